// `berth run --runtime runc|crun|<path>`: a container started by another runc-compatible runtime
// instead of berth's launcher. berth still makes the bundle, the spec and the cgroup (with the
// limits), and supervises the container as its own (attached run or the monitor); the runtime
// does `create` (stdio inherited, pty over --console-socket), `start`, and `delete -f` after
// the exit. Its state lives under <runroot>/runtimes/<name>/.
//
// How the pieces meet:
//  - The overlay root must be mounted before `create` (runtimes bind-mount root.path). It is
//    mounted in a private mount namespace of the supervising process (unshare + rslave), so it
//    can never leak onto the host: it goes away with the container and the supervisor.
//  - The supervisor becomes a child subreaper, so the container (orphaned when `create` exits)
//    is reparented to it and the usual waitpid works.
//  - The spec gets linux.cgroupsPath = /berth/<id>: the runtime joins berth's cgroup.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "engine/engine.h"
#include "oci/runtime_spec.h"
#include "runtime/launcher.h"

namespace berth::engine {

struct ExternalRuntime {
  std::string binary;      // absolute path
  std::string state_root;  // --root given to the runtime
  std::string bundle;      // containers/<id>/runtime: config.json for the runtime
  std::string id;
};

// "runc"/"crun" (searched in $PATH) or a path to an executable. Docker's error:
// "unknown or invalid runtime name: <name>" (kInvalidArgument).
Result<std::string> resolve_runtime(const std::string& name);

// The runtime a container was created with (HostConfig Runtime), or nullopt for berth's own.
std::optional<ExternalRuntime> external_runtime_of(const Engine& engine, const ContainerRecord& c);

// create + start; returns the container's first process (a child of ours once create exits).
// Errors carry the runtime's own message, with exit_code_for()'s 126/127 rules.
Result<runtime::Launched> launch_external(const ExternalRuntime& rt, oci::RuntimeSpec spec,
                                          const runtime::LaunchOptions& lo);

// After the container exited: `delete -f` and the root file system unmounted.
void cleanup_external(const ExternalRuntime& rt, const std::string& rootfs);

}  // namespace berth::engine
