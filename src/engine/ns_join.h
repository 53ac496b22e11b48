// --ipc container:<name|id> and --pid container:<name|id>: a container joins another running
// container's IPC or PID namespace (through /proc/<its pid>/ns/*), as Docker's modes of the same
// names. An IPC joiner also gets the other's /dev/shm (POSIX shared memory, which PyTorch's
// DataLoader and most IPC libraries use), cloned out of its mount namespace
// (runtime/mount_clone.h). Unlike Docker, the donor need not be created `--ipc shareable`: berth
// never mounts a container's shm on the host, so every running container can be joined.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "engine/engine.h"
#include "oci/runtime_spec.h"

namespace berth::engine {

// At create: "container:<x>" must name an existing container; returns what the config keeps
// ("container:<id>", so a rename of the other does not break it), or `mode` unchanged.
// `kind` is "ipc" or "pid".
Result<std::string> resolve_namespace_mode(Engine& e, const std::string& kind,
                                           const std::string& mode);

// At start: points the spec's ipc/pid namespaces at those of the containers named by the
// config's IpcMode/PidMode. Docker's errors when the other is not running. For an IPC joiner,
// `shm` receives the donor's /dev/shm as a detached mount (for LaunchOptions::shm_mount_fd) and
// the spec's own /dev/shm tmpfs is dropped.
Status join_container_namespaces(Engine& e, const ContainerRecord& c, oci::RuntimeSpec& spec,
                                 UniqueFd* shm);

}  // namespace berth::engine
