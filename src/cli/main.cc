// berth's command line: global flags, command registration, Docker-style parse errors.
#include <cstdlib>
#include <cstring>

#include "base/fs.h"
#include "base/log.h"
#include "cli/cli.h"
#include "runc/runc.h"

namespace berth::cli {
namespace {

const CLI::App* deepest_parsed(const CLI::App* app) {
  for (const auto* sub : app->get_subcommands())
    if (sub->parsed()) return deepest_parsed(sub);
  return app;
}

// Docker prints `unknown flag: --x` + `See 'docker images --help'.` and exits 125 for bad flags,
// and exits 1 for a wrong number of arguments.
int report_parse_error(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  const CLI::App* where = deepest_parsed(&app);
  std::string see = "See '" + command_path(where) + " --help'.";
  std::string msg = e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    auto rest = where->remaining();
    std::string first = rest.empty() ? "" : rest.front();
    if (where == &app && !first.empty() && first[0] != '-') {
      std::cerr << "berth: '" << first << "' is not a berth command.\nSee 'berth --help'\n";
      return 1;
    }
    if (!first.empty() && first[0] == '-') {
      std::cerr << "unknown " << (first.rfind("--", 0) == 0 ? "flag: " : "shorthand flag: ")
                << first << "\n" << see << "\n";
      return 125;
    }
    std::cerr << "\"" << command_path(where) << "\" accepts no more arguments than given: "
              << first << "\n" << see << "\n";
    return 1;
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) ||
      dynamic_cast<const CLI::ArgumentMismatch*>(&e)) {
    std::cerr << "\"" << command_path(where) << "\" requires at least 1 argument.\n" << see
              << "\n";
    return 1;
  }
  std::cerr << msg << "\n" << see << "\n";
  return 125;
}

}  // namespace

std::string command_path(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a; a = a->get_parent())
    path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

}  // namespace berth::cli

int main(int argc, char** argv) {
  using namespace berth::cli;
  // Invoked through a link named berth-runc: speak runc's command line (src/runc/).
  if (argc > 0 && berth::basename(argv[0]) == "berth-runc")
    return berth::runc::runc_main(argc, argv);
  Cli cli;
  // Never destroyed: freeing the few thousand objects of every command's flags would only
  // delay the exit (about 3% of a `run --rm`).
  CLI::App& app = *new CLI::App{"A self-sufficient runtime for containers", "berth"};
  app.set_help_flag("-h,--help", "Print usage");
  app.require_subcommand(0, 1);
  if (const char* r = std::getenv("BERTH_ROOT")) cli.global.root = r;
  if (const char* r = std::getenv("BERTH_RUNROOT")) cli.global.runroot = r;
  app.add_option("--root", cli.global.root, "Root of persistent state (env BERTH_ROOT)");
  app.add_option("--runroot", cli.global.runroot, "Root of run state (env BERTH_RUNROOT)");
  app.add_option("-l,--log-level", cli.global.log_level,
                 "Set the logging level (\"debug\"|\"info\"|\"warn\"|\"error\"|\"fatal\")");
  app.add_flag("-D,--debug", cli.global.debug, "Enable debug mode");
  bool show_version = false;
  app.add_flag("-v,--version", show_version, "Print version information and quit");

  register_image_commands(app, cli);
  register_system_commands(app, cli);
  register_container_commands(app, cli);
  register_volume_commands(app, cli);
  register_exec_commands(app, cli);
  register_network_commands(app, cli);
  register_build_commands(app, cli);
  register_registry_commands(app, cli);

  auto* help = app.add_subcommand("help", "Help about any command");
  std::vector<std::string> help_path;
  help->add_option("command", help_path);
  help->callback([&] {
    CLI::App* target = &app;
    for (const auto& name : help_path) {
      try {
        target = target->get_subcommand(name);
      } catch (const CLI::OptionNotFound&) {
        std::cerr << "Unknown help topic \"" << name << "\"\n";
        cli.exit_code = 1;
        return;
      }
    }
    std::cout << target->help();
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << deepest_parsed(&app)->help();
    return 0;
  } catch (const CLI::ParseError& e) {
    return report_parse_error(app, e, argc, argv);
  }
  if (show_version) {
    std::cout << "berth version " << BERTH_VERSION << "\n";
    return 0;
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return 0;
  }
  return cli.exit_code;
}
