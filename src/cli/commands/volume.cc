// `volume create|ls|inspect|rm|prune`, with Docker's columns, messages and exit codes.
#include "base/strings.h"
#include "cli/commands/commands.h"
#include "format/units.h"

namespace berth::cli {
namespace {

std::map<std::string, std::string> key_values(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& i : items) {
    auto kv = split_once(i, '=');
    out[kv.first] = kv.second;
  }
  return out;
}

std::string labels_text(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(k + "=" + v);
  return join(parts, ",");
}

void add_volume_create(CLI::App* parent, Cli& cli) {
  struct Opts {
    std::string name, name_flag, driver = "local";
    std::vector<std::string> labels, opts;
  };
  auto o = std::make_shared<Opts>();
  auto* c = parent->add_subcommand("create", "Create a volume");
  c->add_option("-d,--driver", o->driver, "Specify volume driver name");
  c->add_option("--label", o->labels, "Set metadata for a volume")->allow_extra_args(false);
  c->add_option("-o,--opt", o->opts, "Set driver specific options")->allow_extra_args(false);
  c->add_option("--name", o->name_flag, "Specify volume name")->group("");
  c->add_option("VOLUME", o->name, "Volume name");
  c->callback([&cli, o] {
    if (!o->name.empty() && !o->name_flag.empty() && o->name != o->name_flag)
      return cli.fail(invalid_argument("conflicting options: either specify --name or provide "
                                       "positional arg, not both"));
    if (o->driver != "local")
      return cli.fail(invalid_argument("plugin \"" + o->driver +
                                       "\" not found: berth has the local volume driver only"));
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto v = (*eng)->create_volume(o->name.empty() ? o->name_flag : o->name,
                                   key_values(o->labels), key_values(o->opts));
    if (!v.ok()) return cli.fail(v.error());
    cli.out << v->name << "\n";
  });
}

void add_volume_ls(CLI::App* parent, Cli& cli) {
  struct Opts {
    bool quiet = false;
    std::vector<std::string> filters;
    std::string format;
  };
  auto o = std::make_shared<Opts>();
  auto* c = parent->add_subcommand("ls", "List volumes");
  c->alias("list");
  c->add_flag("-q,--quiet", o->quiet, "Only display volume names");
  c->add_option("-f,--filter", o->filters, "Provide filter values (e.g. \"dangling=true\")")
      ->allow_extra_args(false);
  c->add_option("--format", o->format, "Format output using a custom template");
  c->callback([&cli, o] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto rows = (*eng)->list_volumes();
    if (!rows.ok()) return cli.fail(rows.error());
    std::vector<nlohmann::json> out;
    for (const auto& r : *rows) {
      bool keep = true;
      for (const auto& f : o->filters) {
        auto [key, val, key_found_] = split_once(f, '=');
        if (key == "dangling") keep &= (val == "true" || val == "1") == r.containers.empty();
        else if (key == "name") keep &= r.volume.name.find(val) != std::string::npos;
        else if (key == "driver") keep &= r.volume.driver == val;
        else if (key == "label") {
          auto [lk, lv, lk_found_] = split_once(val, '=');
          auto it = r.volume.labels.find(lk);
          keep &= it != r.volume.labels.end() && (val.find('=') == std::string::npos || it->second == lv);
        } else {
          return cli.fail(invalid_argument("invalid filter '" + key + "'"));
        }
      }
      if (!keep) continue;
      if (o->quiet) {
        cli.out << r.volume.name << "\n";
        continue;
      }
      out.push_back({{"Name", r.volume.name},
                     {"Driver", r.volume.driver},
                     {"Scope", "local"},
                     {"Mountpoint", r.volume.mountpoint},
                     {"Labels", labels_text(r.volume.labels)},
                     {"Links", std::to_string(r.containers.size())},
                     {"Size", "N/A"}});
    }
    if (o->quiet) return;
    cli.print_list(o->format, "table {{.Driver}}\t{{.Name}}",
                   {{"Name", "VOLUME NAME"}, {"Driver", "DRIVER"}, {"Scope", "SCOPE"},
                    {"Mountpoint", "MOUNTPOINT"}, {"Labels", "LABELS"}, {"Links", "LINKS"},
                    {"Size", "SIZE"}},
                   out);
  });
}

void add_volume_inspect(CLI::App* parent, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  auto* c = parent->add_subcommand("inspect", "Display detailed information on one or more volumes");
  c->add_option("-f,--format", *format, "Format output using a custom template");
  c->add_option("VOLUME", *names, "Volumes")->required();
  c->callback([&cli, names, format] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    std::vector<nlohmann::ordered_json> objs;
    for (const auto& n : *names) {
      auto j = (*eng)->inspect_volume(n);
      if (!j.ok()) {
        cli.fail(j.error());
        continue;
      }
      objs.push_back(std::move(*j));
    }
    cli.print_objects(*format, objs);
  });
}

void add_volume_rm(CLI::App* parent, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto* c = parent->add_subcommand("rm", "Remove one or more volumes");
  c->alias("remove");
  c->add_flag("-f,--force", *force, "Force the removal of one or more volumes");
  c->add_option("VOLUME", *names, "Volumes")->required();
  c->callback([&cli, names, force] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    for (const auto& n : *names) {
      auto st = (*eng)->remove_volume(n);
      // -f: a volume that is already gone is not an error (Docker's meaning of force here).
      if (st.ok() || (*force && st.error().code() == Code::kNotFound)) cli.out << n << "\n";
      else cli.fail(st.error());
    }
  });
}

void add_volume_prune(CLI::App* parent, Cli& cli) {
  struct Opts {
    bool all = false, force = false;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<Opts>();
  auto* c = parent->add_subcommand("prune", "Remove unused local volumes");
  c->add_flag("-a,--all", o->all, "Remove all unused volumes, not just anonymous ones");
  c->add_flag("-f,--force", o->force, "Do not prompt for confirmation");
  c->add_option("--filter", o->filters, "Provide filter values (e.g. \"label=<label>\")")
      ->allow_extra_args(false);
  c->callback([&cli, o] {
    std::string warning =
        o->all ? "WARNING! This will remove all local volumes not used by at least one container."
               : "WARNING! This will remove anonymous local volumes not used by at least one "
                 "container.";
    if (!o->force && !cli.confirm(warning)) return;
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto rep = (*eng)->prune_volumes(o->all, o->filters);
    if (!rep.ok()) return cli.fail(rep.error());
    if (!rep->events.empty()) {
      cli.out << "Deleted Volumes:\n";
      for (const auto& e : rep->events) cli.out << e.what << "\n";
      cli.out << "\n";
    }
    cli.out << "Total reclaimed space: "
            << format::human_size(static_cast<double>(rep->reclaimed)) << "\n";
  });
}

}  // namespace

void register_volume_commands(CLI::App& app, Cli& cli) {
  auto* v = app.add_subcommand("volume", "Manage volumes");
  v->require_subcommand(1);
  add_volume_create(v, cli);
  add_volume_ls(v, cli);
  add_volume_inspect(v, cli);
  add_volume_rm(v, cli);
  add_volume_prune(v, cli);
}

}  // namespace berth::cli
