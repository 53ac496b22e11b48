// `berth exec`: a new process in a running container, with Docker's semantics. The CLI process
// joins the container directly (the container's pid is in its record; no daemon, no monitor
// round trip) and is the new process's parent: it proxies the pty with -t and reaps it.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"

namespace berth::engine {

struct ExecRequest {
  std::string container;             // name, id or id prefix
  std::vector<std::string> command;  // COMMAND [ARG...]
  std::vector<std::string> env;      // -e and --env-file, in order (KEY=VALUE or KEY)
  std::string user;                  // -u name|uid[:group|gid]; "" = the container's user
  std::string workdir;               // -w; "" = the container's
  bool interactive = false;          // -i
  bool tty = false;                  // -t
  bool detach = false;               // -d
  bool privileged = false;           // --privileged: every capability
  std::string detach_keys;           // -it: the sequence's bytes (detach_keys.h); "" none
};

// Runs the command and returns its exit status (Docker's: 128 + signal when killed). With
// detach, returns 0 once it started; the process is left to run on its own (reparented).
// Errors: kNotFound "No such container: x"; kFailedPrecondition "container <id> is not
// running"; a failed start as launch() reports it (runtime::exit_code_for gives 126/127).
Result<int> exec_in(Engine& engine, const ExecRequest& req);

// Docker's --env-file: KEY=VALUE lines; blank lines and lines starting with '#' skipped; a bare
// KEY takes its value from this process's environment (dropped when unset). Errors name the
// file and line: "env file x line 3: variable 'A B' contains whitespaces".
Result<std::vector<std::string>> read_env_file(const std::string& path);

}  // namespace berth::engine
