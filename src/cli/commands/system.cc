// `system df|prune|check|info`, `info`, `version`.
#include <sys/utsname.h>

#include "cli/commands/commands.h"
#include "engine/build.h"
#include "engine/network.h"
#include "format/units.h"
#include "oci/image.h"

namespace berth::cli {
namespace {

std::string percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0%";
  return std::to_string(part * 100 / whole) + "%";
}

void run_df(Cli& cli, const std::string& fmt) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  auto rows = (*eng)->disk_usage();
  if (!rows.ok()) return cli.fail(rows.error());
  std::vector<nlohmann::json> out;
  for (const auto& r : *rows) {
    nlohmann::json j;
    j["Type"] = r.type;
    j["TotalCount"] = std::to_string(r.total);
    j["Active"] = std::to_string(r.active);
    j["Size"] = format::human_size(static_cast<double>(r.size), 4);
    std::string rec = format::human_size(static_cast<double>(r.reclaimable), 4);
    if (r.size > 0) rec += " (" + percent(r.reclaimable, r.size) + ")";
    j["Reclaimable"] = rec;
    out.push_back(std::move(j));
  }
  cli.print_list(fmt, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
                 {{"Type", "TYPE"}, {"TotalCount", "TOTAL"}, {"Active", "ACTIVE"},
                  {"Size", "SIZE"}, {"Reclaimable", "RECLAIMABLE"}},
                 out);
}

// As `docker system prune`: stopped containers, unused networks, dangling (or with -a, unused)
// images and the build cache, each listed as Docker lists it, then the space freed.
void run_system_prune(Cli& cli, bool all, bool force, bool volumes) {
  std::string warning =
      "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at "
      "least one container\n" +
      std::string(volumes ? "  - all anonymous volumes not used by at least one container\n" : "") +
      "  - all " +
      std::string(all ? "images without at least one container associated to them"
                      : "dangling images") +
      "\n  - " + (all ? "all build cache" : "unused build cache") + "\n";
  if (!force && !cli.confirm(warning)) return;
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  uint64_t reclaimed = 0;
  auto containers = (*eng)->prune_containers();
  if (!containers.ok()) return cli.fail(containers.error());
  if (!containers->empty()) {
    cli.out << "Deleted Containers:\n";
    for (const auto& id : *containers) cli.out << id << "\n";
    cli.out << "\n";
  }
  auto networks = engine::prune_networks(**eng);
  if (!networks.ok()) return cli.fail(networks.error());
  if (!networks->empty()) {
    cli.out << "Deleted Networks:\n";
    for (const auto& n : *networks) cli.out << n << "\n";
    cli.out << "\n";
  }
  if (volumes) {
    auto vols = (*eng)->prune_volumes(false, {});
    if (!vols.ok()) return cli.fail(vols.error());
    if (!vols->events.empty()) {
      cli.out << "Deleted Volumes:\n";
      for (const auto& e : vols->events) cli.out << e.what << "\n";
      cli.out << "\n";
    }
    reclaimed += vols->reclaimed;
  }
  auto rep = (*eng)->prune_images(all, {});
  if (!rep.ok()) return cli.fail(rep.error());
  if (!rep->events.empty()) {
    cli.out << "Deleted Images:\n";
    for (const auto& e : rep->events) cli.out << e.kind << ": " << e.what << "\n";
    cli.out << "\n";
  }
  reclaimed += rep->reclaimed;
  auto cache = engine::prune_build_cache(**eng, all);
  if (!cache.ok()) return cli.fail(cache.error());
  reclaimed += *cache;
  cli.out << "Total reclaimed space: " << format::human_size(static_cast<double>(reclaimed))
          << "\n";
}

void run_check(Cli& cli, bool repair) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  auto rep = (*eng)->check(repair);
  if (!rep.ok()) return cli.fail(rep.error());
  for (const auto& r : rep->repaired) cli.out << "repaired: " << r << "\n";
  for (const auto& p : rep->problems) cli.out << "problem: " << p << "\n";
  if (rep->problems.empty()) {
    cli.out << "store is consistent\n";
  } else {
    cli.err << "Error: " << rep->problems.size() << " problem(s) found"
            << (repair ? "" : "; run `berth system check --repair` to remove damaged data")
            << "\n";
    cli.exit_code = 1;
  }
}

void run_info(Cli& cli, const std::string& fmt) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  auto j = (*eng)->info();
  if (!j.ok()) return cli.fail(j.error());
  if (!fmt.empty()) return cli.print_objects(fmt, {*j});
  auto& i = *j;
  auto& o = cli.out;
  o << "Client:\n Version:    " << BERTH_VERSION << "\n Debug Mode: "
    << (cli.global.debug ? "true" : "false") << "\n\nServer:\n";
  o << " Containers: " << i["Containers"] << "\n  Running: " << i["ContainersRunning"]
    << "\n  Paused: " << i["ContainersPaused"] << "\n  Stopped: " << i["ContainersStopped"]
    << "\n";
  o << " Images: " << i["Images"] << "\n";
  o << " Server Version: " << i["ServerVersion"].get<std::string>() << "\n";
  o << " Storage Driver: " << i["Driver"].get<std::string>() << "\n";
  o << " Logging Driver: " << i["LoggingDriver"].get<std::string>() << "\n";
  o << " Cgroup Driver: " << i["CgroupDriver"].get<std::string>() << "\n";
  o << " Cgroup Version: " << i["CgroupVersion"].get<std::string>() << "\n";
  o << " Runtimes:";
  for (const auto& [name, _] : i["Runtimes"].items()) o << " " << name;
  o << "\n Default Runtime: " << i["DefaultRuntime"].get<std::string>() << "\n";
  o << " Kernel Version: " << i["KernelVersion"].get<std::string>() << "\n";
  o << " Operating System: " << i["OperatingSystem"].get<std::string>() << "\n";
  o << " OSType: " << i["OSType"].get<std::string>() << "\n";
  o << " Architecture: " << i["Architecture"].get<std::string>() << "\n";
  o << " CPUs: " << i["NCPU"] << "\n";
  o << " Total Memory: " << format::bytes_size(i["MemTotal"].get<double>()) << "\n";
  o << " Name: " << i["Name"].get<std::string>() << "\n";
  o << " Docker Root Dir: " << i["DockerRootDir"].get<std::string>() << "\n";
  o << " Debug Mode: " << (cli.global.debug ? "true" : "false") << "\n";
  o << " CDI spec directories:\n";
  for (const auto& d : i["CDISpecDirs"]) o << "  " << d.get<std::string>() << "\n";
}

void run_version(Cli& cli, const std::string& fmt) {
  nlohmann::ordered_json j;
  j["Version"] = BERTH_VERSION;
  j["ApiVersion"] = "1.43";
  j["Compiler"] = std::string("g++ ") + __VERSION__;
  j["Os"] = "linux";
  j["Arch"] = oci::native_arch();
  if (!fmt.empty()) {
    nlohmann::ordered_json v;
    v["Client"] = j;
    return cli.print_objects(fmt, {v});
  }
  cli.out << "Client:\n Version:           " << BERTH_VERSION
          << "\n API version:       1.43\n Compiler:          " << j["Compiler"].get<std::string>()
          << "\n OS/Arch:           linux/" << oci::native_arch() << "\n";
}

}  // namespace

void register_system_commands(CLI::App& app, Cli& cli) {
  auto fmt = std::make_shared<std::string>();
  auto* info = app.add_subcommand("info", "Display system-wide information");
  info->add_option("-f,--format", *fmt, "Format output using a custom template");
  info->callback([&cli, fmt] { run_info(cli, *fmt); });

  auto vfmt = std::make_shared<std::string>();
  auto* version = app.add_subcommand("version", "Show the berth version information");
  version->add_option("-f,--format", *vfmt, "Format output using a custom template");
  version->callback([&cli, vfmt] { run_version(cli, *vfmt); });

  auto* sys = app.add_subcommand("system", "Manage berth");
  sys->require_subcommand(1);
  auto* sinfo = sys->add_subcommand("info", "Display system-wide information");
  sinfo->add_option("-f,--format", *fmt, "Format output using a custom template");
  sinfo->callback([&cli, fmt] { run_info(cli, *fmt); });

  auto dfmt = std::make_shared<std::string>();
  auto* df = sys->add_subcommand("df", "Show berth disk usage");
  df->add_option("--format", *dfmt, "Format output using a custom template");
  df->callback([&cli, dfmt] { run_df(cli, *dfmt); });

  struct PruneFlags {
    bool all = false, force = false, volumes = false;
  };
  auto pr = std::make_shared<PruneFlags>();
  auto* prune = sys->add_subcommand("prune", "Remove unused data");
  prune->add_flag("-a,--all", pr->all, "Remove all unused images not just dangling ones");
  prune->add_flag("-f,--force", pr->force, "Do not prompt for confirmation");
  prune->add_flag("--volumes", pr->volumes, "Prune anonymous volumes");
  prune->callback([&cli, pr] { run_system_prune(cli, pr->all, pr->force, pr->volumes); });

  auto repair = std::make_shared<bool>(false);
  auto* check = sys->add_subcommand(
      "check", "Verify the store's digests and references and remove what a crash left behind");
  check->add_flag("--repair", *repair, "Also remove damaged images and blobs");
  check->callback([&cli, repair] { run_check(cli, *repair); });

  auto* boot = sys->add_subcommand(
      "boot", "Start the containers whose restart policy (always, unless-stopped) asks for it");
  boot->callback([&cli] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto started = (*eng)->boot();
    if (!started.ok()) return cli.fail(started.error());
    for (const auto& n : *started) cli.out << n << "\n";
  });
}

}  // namespace berth::cli
