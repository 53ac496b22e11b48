// --ipc container:<name|id> and --pid container:<name|id>: a container joins another running
// container's IPC or PID namespace (through /proc/<its pid>/ns/*), as Docker's modes of the same
// names. Not yet: Docker also hands the other's /dev/shm (POSIX shared memory) to an IPC joiner;
// here /dev/shm stays the joiner's own (a bind across mount namespaces needs open_tree/move_mount).
#pragma once

#include <string>

#include "base/error.h"
#include "engine/engine.h"
#include "oci/runtime_spec.h"

namespace berth::engine {

// At create: "container:<x>" must name an existing container; returns what the config keeps
// ("container:<id>", so a rename of the other does not break it), or `mode` unchanged.
// `kind` is "ipc" or "pid".
Result<std::string> resolve_namespace_mode(Engine& e, const std::string& kind,
                                           const std::string& mode);

// At start: points the spec's ipc/pid namespaces at those of the containers named by the
// config's IpcMode/PidMode. Docker's errors when the other is not running.
Status join_container_namespaces(Engine& e, const ContainerRecord& c, oci::RuntimeSpec& spec);

}  // namespace berth::engine
