// Shared state of one `berth` invocation: global flags, the engine (opened on first use), output
// streams, and the helpers every command uses to render and to fail the way Docker does.
#pragma once

#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "engine/engine.h"

namespace berth::cli {

struct GlobalOptions {
  std::string root = "/var/lib/berth";
  std::string runroot = "/run/berth";
  std::string log_level = "info";
  bool debug = false;
};

class Cli {
 public:
  GlobalOptions global;
  int exit_code = 0;
  std::ostream& out = std::cout;
  std::ostream& err = std::cerr;

  Result<engine::Engine*> engine();

  // Prints "Error: <message>" and sets the exit code (1 unless given, as Docker's CLI does for
  // failed requests; `run`/`create` pass 125).
  void fail(const Error& e, int code = 1);
  // Asks "Are you sure you want to continue? [y/N] " on stdout; true only for y/yes.
  bool confirm(const std::string& warning);

  // Renders list output the way Docker's formatter does: `table ...` formats get a header line
  // and tabwriter alignment; other formats print one template result per row.
  void print_list(const std::string& user_format, const std::string& default_format,
                  const std::map<std::string, std::string>& headers,
                  const std::vector<nlohmann::json>& rows);
  // Prints each object through the template, or as a 4-space-indented JSON array without one.
  void print_objects(const std::string& format, const std::vector<nlohmann::ordered_json>& objs);

 private:
  std::unique_ptr<engine::Engine> engine_;
};

// Each command file registers its subcommands under `parent`.
void register_image_commands(CLI::App& app, Cli& cli);
void register_system_commands(CLI::App& app, Cli& cli);
void register_container_commands(CLI::App& app, Cli& cli);
void register_volume_commands(CLI::App& app, Cli& cli);
// exec / container exec (commands/exec.cc); call after register_container_commands.
void register_exec_commands(CLI::App& app, Cli& cli);
// After register_container_commands (adds `container port`).
void register_network_commands(CLI::App& app, Cli& cli);
// build, image build, builder prune (commands/build.cc); after register_image_commands.
void register_build_commands(CLI::App& app, Cli& cli);
void register_registry_commands(CLI::App& app, Cli& cli);

// "See 'berth images --help'." naming the command path of `app`.
std::string command_path(const CLI::App* app);

}  // namespace berth::cli
