// Registration functions of the command files; cli/commands/image.cc wires them into both the
// top-level names (`images`, `rmi`) and the `image` group (`image ls`, `image rm`).
#pragma once

#include <optional>
#include <string>

#include "cli/cli.h"

namespace berth::cli {

void add_images(CLI::App* parent, const std::string& name, Cli& cli);
void add_history(CLI::App* parent, Cli& cli);
void add_rmi(CLI::App* parent, const std::string& name, Cli& cli);
void add_tag(CLI::App* parent, Cli& cli);
void add_image_prune(CLI::App* parent, Cli& cli);
enum class Kind { kAny, kImage, kContainer };
void add_inspect(CLI::App* parent, Cli& cli, Kind kind);
void add_import(CLI::App* parent, Cli& cli);
void add_save(CLI::App* parent, Cli& cli);
void add_load(CLI::App* parent, Cli& cli);

// cp, diff, export, commit, pause, unpause, rename (container_fs.cc).
void add_container_fs_commands(CLI::App* parent, Cli& cli);
// top, stats, update (container_admin.cc).
void add_container_admin_commands(CLI::App* parent, Cli& cli);
// Networking (commands/network.cc): the flags of run/create, and ps's PORTS column.
void add_network_run_flags(CLI::App* cmd, engine::RunRequest& req);
std::string ports_column(engine::Engine& e, const engine::ContainerRecord& c);

// `run`/`create` of an image not in the store: Docker's "Unable to find image 'x' locally", then
// a pull with its progress on stderr (commands/registry.cc).
Status pull_missing_image(Cli& cli, engine::Engine& eng, const std::string& image);

// `attach` / `start -a` through a detached container's attach.sock (commands/attach.cc);
// nullopt when it has none (created without -i): the caller follows its log instead.
struct AttachOptions {
  bool attach_stdin = true;  // false: --no-stdin, or start -a without -i
  bool stdin_once = false;   // close the container's stdin when ours ends (start -ai)
  bool sig_proxy = true;
  // The detach sequence's bytes (engine/detach_keys.h: resolve_detach_keys); a tty client
  // that reads it leaves the container running and returns 0. "" never detaches.
  std::string detach_keys = "\x10\x11";
};
std::optional<Result<int>> attach_socket(engine::Engine& e, const engine::ContainerRecord& c,
                                         const AttachOptions& o);

// `run -it` without -d: the container starts under berth-monitor, as `start -ai` does, and this
// process attaches to it, so that the detach keys leave it running (as Docker's do); the exit
// code is the container's (also with --rm).
Result<int> run_tty_through_monitor(engine::Engine& e, const engine::ContainerRecord& c,
                                    const std::string& detach_keys);

// `ps` and `container ls|list` (commands/ps.cc).
void add_ps(CLI::App* parent, const std::string& name, Cli& cli);
// `logs` and `attach` (commands/logs.cc).
void add_logs(CLI::App* parent, Cli& cli);
void add_attach(CLI::App* parent, Cli& cli);
// Streams a running container's output from its json-file log, starting at `since` (unix
// nanos), until it exits; returns its exit code (commands/logs.cc).
Result<int> attach_output(engine::Engine& e, const engine::ContainerRecord& c, int64_t since,
                          bool sig_proxy, Cli& cli);

// A byte-size flag (--memory, --shm-size...): "512m", "2g", or -1; Docker's flag error otherwise.
Result<int64_t> size_flag(const std::string& flag, const std::string& v);

// "7 minutes ago" for a unix-nanos time.
std::string created_since(int64_t unix_nanos);

}  // namespace berth::cli
