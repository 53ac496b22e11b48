// `top`, `stats`, `update`: Docker's flags and columns.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "base/strings.h"
#include "cli/commands/commands.h"
#include "format/table.h"
#include "format/units.h"

namespace berth::cli {
namespace {

void add_top(CLI::App* parent, Cli& cli) {
  auto name = std::make_shared<std::string>();
  auto* c = parent->add_subcommand("top", "Display the running processes of a container");
  c->prefix_command();  // what follows the container are ps options
  c->add_option("CONTAINER", *name, "Container")->required();
  c->callback([&cli, name, c] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto r = (*eng)->top_container(*name, c->remaining());
    if (!r.ok()) return cli.fail(r.error());
    std::string text = join(r->titles, "\t") + "\n";
    for (const auto& p : r->processes) text += join(p, "\t") + "\n";
    format::TabwriterOptions to;
    to.min_width = 20;  // Docker's top: tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)
    cli.out << format::tabwrite(text, to);
  });
}

std::string percent(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", v);
  return b;
}

volatile std::sig_atomic_t g_stop_stats = 0;

void add_stats(CLI::App* parent, Cli& cli) {
  struct Opts {
    std::vector<std::string> names;
    bool all = false, no_stream = false, no_trunc = false;
    std::string format;
  };
  auto o = std::make_shared<Opts>();
  auto* c = parent->add_subcommand("stats", "Display a live stream of container(s) resource usage statistics");
  c->add_flag("-a,--all", o->all, "Show all containers (default shows just running)");
  c->add_flag("--no-stream", o->no_stream, "Disable streaming stats and only pull the first result");
  c->add_flag("--no-trunc", o->no_trunc, "Do not truncate output");
  c->add_option("--format", o->format, "Format output using a custom template");
  c->add_option("CONTAINER", o->names, "Containers");
  c->callback([&cli, o] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto pick = [&]() -> Result<std::vector<engine::ContainerRecord>> {
      std::vector<engine::ContainerRecord> out;
      if (!o->names.empty()) {
        for (const auto& n : o->names) {
          BERTH_ASSIGN_OR_RETURN(auto rec, (*eng)->find_container(n));
          out.push_back(rec);
        }
        return out;
      }
      BERTH_ASSIGN_OR_RETURN(auto all, (*eng)->list_containers());
      for (auto& rec : all)
        if (o->all || rec.state == "running") out.push_back(rec);
      return out;
    };
    std::signal(SIGINT, [](int) { g_stop_stats = 1; });
    bool tty = ::isatty(STDOUT_FILENO);
    std::map<std::string, engine::ContainerStats> prev;
    for (bool first = true; !g_stop_stats; first = false) {
      auto recs = pick();
      if (!recs.ok()) return cli.fail(recs.error());
      if (first) {
        // CPU % needs two samples: take the first one now, the shown one shortly after.
        for (const auto& r : *recs)
          if (auto s = (*eng)->container_stats(r); s.ok()) prev[r.id] = *s;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
      std::vector<nlohmann::json> rows;
      for (const auto& r : *recs) {
        auto s = (*eng)->container_stats(r);
        if (!s.ok()) continue;
        double cpu = 0;
        if (auto it = prev.find(r.id); it != prev.end() && s->sampled_ns > it->second.sampled_ns &&
                                        s->cpu_usage_ns >= it->second.cpu_usage_ns)
          cpu = 100.0 * static_cast<double>(s->cpu_usage_ns - it->second.cpu_usage_ns) /
                static_cast<double>(s->sampled_ns - it->second.sampled_ns);
        prev[r.id] = *s;
        bool up = s->running;
        nlohmann::json j;
        j["ID"] = o->no_trunc ? r.id : r.id.substr(0, 12);
        j["Container"] = j["ID"];
        j["Name"] = r.name;
        j["CPUPerc"] = up ? percent(cpu) : "--";
        j["MemUsage"] = up ? format::bytes_size(static_cast<double>(s->memory_usage)) + " / " +
                                 format::bytes_size(static_cast<double>(s->memory_limit))
                           : "-- / --";
        j["MemPerc"] = up && s->memory_limit
                           ? percent(100.0 * static_cast<double>(s->memory_usage) /
                                     static_cast<double>(s->memory_limit))
                           : "--";
        j["NetIO"] = up ? format::human_size(static_cast<double>(s->net_rx)) + " / " +
                              format::human_size(static_cast<double>(s->net_tx))
                        : "--";
        j["BlockIO"] = up ? format::human_size(static_cast<double>(s->block_read)) + " / " +
                                format::human_size(static_cast<double>(s->block_write))
                          : "--";
        j["PIDs"] = up ? std::to_string(s->pids) : "--";
        rows.push_back(std::move(j));
      }
      if (tty && !o->no_stream) cli.out << "\033[2J\033[H";
      cli.print_list(o->format,
                     "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t"
                     "{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
                     {{"ID", "CONTAINER ID"}, {"Container", "CONTAINER"}, {"Name", "NAME"},
                      {"CPUPerc", "CPU %"}, {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"},
                      {"NetIO", "NET I/O"}, {"BlockIO", "BLOCK I/O"}, {"PIDs", "PIDS"}},
                     rows);
      cli.out.flush();
      if (o->no_stream) break;
      for (int i = 0; i < 10 && !g_stop_stats; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

void add_update(CLI::App* parent, Cli& cli) {
  struct Opts {
    std::vector<std::string> names;
    std::string memory, memory_swap, cpus, cpuset_cpus, restart;
    int64_t cpu_shares = 0, pids_limit = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* c = parent->add_subcommand("update", "Update configuration of one or more containers");
  c->add_option("-m,--memory", o->memory, "Memory limit");
  c->add_option("--memory-swap", o->memory_swap, "Swap limit equal to memory plus swap: -1 to enable unlimited swap");
  c->add_option("--cpus", o->cpus, "Number of CPUs");
  c->add_option("-c,--cpu-shares", o->cpu_shares, "CPU shares (relative weight)");
  c->add_option("--cpuset-cpus", o->cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  c->add_option("--pids-limit", o->pids_limit, "Tune container pids limit (set -1 for unlimited)");
  c->add_option("--restart", o->restart, "Restart policy to apply when a container exits");
  c->add_option("CONTAINER", o->names, "Containers")->required();
  c->callback([&cli, o, c] {
    engine::UpdateRequest u;
    auto flag_error = [&](const Error& e) {
      cli.err << e.message() << "\nSee 'berth update --help'.\n";
      cli.exit_code = 125;
    };
    if (c->count("--memory")) {
      auto v = size_flag("-m, --memory", o->memory);
      if (!v.ok()) return flag_error(v.error());
      u.memory = *v;
    }
    if (c->count("--memory-swap")) {
      auto v = size_flag("--memory-swap", o->memory_swap);
      if (!v.ok()) return flag_error(v.error());
      u.memory_swap = *v;
    }
    if (c->count("--cpus")) {
      auto v = runtime::parse_cpus(o->cpus);
      if (!v.ok())
        return flag_error(invalid_argument("invalid argument \"" + o->cpus +
                                           "\" for \"--cpus\" flag: " + v.error().message()));
      u.nano_cpus = *v;
    }
    if (c->count("--cpu-shares")) u.cpu_shares = o->cpu_shares;
    if (c->count("--cpuset-cpus")) u.cpuset_cpus = o->cpuset_cpus;
    if (c->count("--pids-limit")) u.pids_limit = o->pids_limit;
    if (c->count("--restart")) u.restart = o->restart;
    if (!u.memory && !u.memory_swap && !u.nano_cpus && !u.cpu_shares && !u.cpuset_cpus &&
        !u.pids_limit && !u.restart)
      return cli.fail(invalid_argument("you must provide one or more flags when using this command"));
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    for (const auto& n : o->names) {
      auto st = (*eng)->update_container(n, u);
      if (st.ok()) cli.out << n << "\n";
      else cli.fail(st.error());
    }
  });
}

}  // namespace

void add_container_admin_commands(CLI::App* parent, Cli& cli) {
  add_top(parent, cli);
  add_stats(parent, cli);
  add_update(parent, cli);
}

}  // namespace berth::cli
