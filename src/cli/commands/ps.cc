// `ps` / `container ls`: Docker's columns, statuses ("Up 3 seconds", "Exited (0) 2 minutes ago")
// and filters.
#include <ctime>

#include "base/strings.h"
#include "cli/commands/commands.h"
#include "format/units.h"

namespace berth::cli {
namespace {

std::string ellipsis(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 1) + "…";
}

std::string status_text(const engine::ContainerRecord& c, int64_t now_s, bool paused,
                        const std::string& health) {
  if (c.state == "running") {
    std::string s = "Up " + format::human_duration(now_s - c.started_at / 1000000000);
    if (paused) return s + " (Paused)";
    if (health == "starting") return s + " (health: starting)";
    if (!health.empty()) return s + " (" + health + ")";
    return s;
  }
  if (c.state == "created") return "Created";
  if (c.state == "restarting")  // Docker: "Restarting (137) 2 seconds ago"
    return "Restarting (" + std::to_string(c.exit_code) + ") " +
           format::time_ago(c.finished_at / 1000000000, now_s);
  if (c.state == "exited")
    return "Exited (" + std::to_string(c.exit_code) + ") " +
           format::time_ago(c.finished_at / 1000000000, now_s);
  return c.state;
}

struct PsFlags {
  bool all = false, quiet = false, no_trunc = false, latest = false, size = false;
  int last = -1;
  std::vector<std::string> filters;
  std::string format;
};

bool ps_filter_match(const engine::ContainerRecord& c, const std::string& state,
                     const std::string& health, const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    auto kv = split_once(f, '=');
    if (kv.first == "status" && state != kv.second) return false;
    if (kv.first == "health" && health != kv.second) return false;
    if (kv.first == "name" && c.name.find(kv.second) == std::string::npos) return false;
    if (kv.first == "id" && c.id.rfind(kv.second, 0) != 0) return false;
    if (kv.first == "exited" && (c.state != "exited" || std::to_string(c.exit_code) != kv.second))
      return false;
    if (kv.first == "ancestor" && c.image_ref != kv.second && c.image_id.find(kv.second) == std::string::npos)
      return false;
    if (kv.first == "label") {
      auto conf = nlohmann::json::parse(c.config, nullptr, false);
      auto lkv = split_once(kv.second, '=');
      if (conf.is_discarded() || !conf["Labels"].contains(lkv.first)) return false;
      if (lkv.found && conf["Labels"][lkv.first] != lkv.second) return false;
    }
  }
  return true;
}

void run_ps(Cli& cli, const PsFlags& f) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  for (const auto& fl : f.filters) {
    auto k = split_once(fl, '=').first;
    if (k != "status" && k != "name" && k != "id" && k != "exited" && k != "ancestor" &&
        k != "label" && k != "health")
      return cli.fail(invalid_argument("invalid filter '" + k + "'"));
  }
  auto all = (*eng)->list_containers();
  if (!all.ok()) return cli.fail(all.error());
  int64_t now = std::time(nullptr);
  std::vector<nlohmann::json> rows;
  int shown = 0;
  int limit = f.latest ? 1 : f.last;
  for (const auto& c : *all) {
    bool show_all = f.all || limit > 0 || !f.filters.empty();
    if (!show_all && c.state != "running") continue;
    auto frozen = (*eng)->is_paused(c);
    bool paused = frozen.ok() && *frozen;
    std::string state = paused ? "paused" : c.state;
    std::string health = (*eng)->health_of(c);
    if (!ps_filter_match(c, state, health.empty() ? "none" : health, f.filters)) continue;
    if (limit > 0 && shown >= limit) break;
    ++shown;
    if (f.quiet) {
      cli.out << (f.no_trunc ? c.id : c.id.substr(0, 12)) << "\n";
      continue;
    }
    auto conf = nlohmann::json::parse(c.config, nullptr, false);
    std::string command;
    if (!conf.is_discarded() && conf["Cmd"].is_array())
      command = join(conf["Cmd"].get<std::vector<std::string>>(), " ");
    nlohmann::json j;
    j["ID"] = f.no_trunc ? c.id : c.id.substr(0, 12);
    j["Image"] = c.image_ref;
    j["Command"] = "\"" + (f.no_trunc ? command : ellipsis(command, 20)) + "\"";
    j["RunningFor"] = format::time_ago(c.created / 1000000000, now);
    j["CreatedAt"] = format::format_local_created(c.created / 1000000000);
    j["Status"] = status_text(c, now, paused, health);
    j["State"] = state;
    j["Ports"] = ports_column(**eng, c);
    j["Names"] = c.name;
    j["Labels"] = conf.is_discarded() ? "" : conf["Labels"].dump();
    j["Size"] = "0B";
    j["Networks"] = conf.is_discarded() ? "" : conf.value("NetworkMode", "");
    rows.push_back(std::move(j));
  }
  if (f.quiet) return;
  cli.print_list(f.format,
                 "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}"
                 "\t{{.Names}}",
                 {{"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Command", "COMMAND"},
                  {"RunningFor", "CREATED"}, {"CreatedAt", "CREATED AT"}, {"Status", "STATUS"},
                  {"State", "STATE"}, {"Ports", "PORTS"}, {"Names", "NAMES"},
                  {"Labels", "LABELS"}, {"Size", "SIZE"}, {"Networks", "NETWORKS"}},
                 rows);
}

}  // namespace

void add_ps(CLI::App* parent, const std::string& name, Cli& cli) {
  auto f = std::make_shared<PsFlags>();
  auto* c = parent->add_subcommand(name, "List containers");
  c->add_flag("-a,--all", f->all, "Show all containers (default shows just running)");
  c->add_flag("-q,--quiet", f->quiet, "Only display container IDs");
  c->add_flag("--no-trunc", f->no_trunc, "Don't truncate output");
  c->add_flag("-l,--latest", f->latest, "Show the latest created container (includes all states)");
  c->add_option("-n,--last", f->last, "Show n last created containers (includes all states)");
  c->add_flag("-s,--size", f->size, "Display total file sizes");
  c->add_option("-f,--filter", f->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  c->add_option("--format", f->format, "Format output using a custom template");
  c->callback([&cli, f] { run_ps(cli, *f); });
  if (name == "ls") c->alias("list")->alias("ps");
}

}  // namespace berth::cli
