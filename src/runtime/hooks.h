// OCI lifecycle hooks (runtime-spec config.md "POSIX-platform Hooks"), run by the built-in
// runtime and by berth-runc at the points runc runs them:
//   prestart, createRuntime   by the runtime, in its own namespaces, after the container's mounts
//                             are made and before pivot_root (launch() pauses the child there);
//   createContainer           inside the container's namespaces, before pivot_root, so the path
//                             resolves on the host (the child runs them itself);
//   startContainer            inside the container, after pivot_root, right before the command;
//   poststart                 by the runtime once the command runs;
//   poststop                  by the runtime after the container is gone.
// Each hook gets the container's state JSON on stdin; a hook that fails or outlives its timeout
// is an error that names it, and (before poststart) fails the start.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

// What every hook is told about the container (the runtime-spec's state).
struct HookState {
  std::string id;
  std::string bundle;
  std::map<std::string, std::string> annotations;
};

// The state JSON for `status` ("creating", "created", "running", "stopped") and `pid`.
std::string hook_state_json(const HookState& s, std::string_view status, pid_t pid);

// Runs `hooks` in order from this process, each with `state_json` on stdin. `what` names the
// kind in errors: "createRuntime hook /usr/bin/x failed with status 1".
Status run_hooks(const std::vector<oci::Hook>& hooks, std::string_view what,
                 const std::string& state_json);

}  // namespace berth::runtime
