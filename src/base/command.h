// Running a helper program (git, nvidia-smi) to its end: its output captured, a time limit kept.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth {

struct CommandResult {
  int status = 0;   // exit status, or 128 + the signal that ended it
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs argv[0] (looked up in PATH) with stdin from /dev/null and `env` ("NAME=value", winning
// over berth's own) added to berth's environment. Past `timeout` its process group is killed and kUnavailable "<cmd> did not finish
// within N ms" returned; kNotFound when it cannot be started. A non-zero exit is not an error
// here: the caller reads `status` (and `err` to explain it).
Result<CommandResult> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout,
                                  const std::vector<std::string>& env = {});

}  // namespace berth
