// --gpus and CDI --device names for a container being created (see src/gpu/).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "engine/container.h"
#include "gpu/edits.h"
#include "oci/runtime_spec.h"

namespace berth::engine {

struct ContainerDevices {
  gpu::ContainerEdits edits;
  nlohmann::ordered_json device_requests = nlohmann::ordered_json::array();  // HostConfig's
};

// Takes the CDI names out of `devices` (the --device values; host paths stay) and resolves
// them and req.gpus (or, for --runtime nvidia without the toolkit, NVIDIA_VISIBLE_DEVICES).
// `env` is the image's Env followed by -e values; `lowers` the layer dirs, top first (to pick
// the library directory driver files are mounted into).
Result<ContainerDevices> resolve_container_devices(const RunRequest& req,
                                                   std::vector<std::string>& devices,
                                                   const std::vector<std::string>& env,
                                                   const std::vector<std::string>& lowers);

// `--runtime nvidia` as Docker users write it (seed 004): the NVIDIA toolkit's runtime when it is
// installed (nvidia-container-runtime on PATH, or a runtime binary named "nvidia"); otherwise ""
// (berth's built-in runtime), and resolve_container_devices then gives the GPUs that
// NVIDIA_VISIBLE_DEVICES names (all, none/void, or indexes and UUIDs), as that runtime would.
// Any other value is returned unchanged.
std::string effective_runtime(const std::string& requested);

// Applies the edits to a spec built by runtime::build_spec: env (replacing the same keys),
// device nodes with their cgroup rules, mounts (read-only binds unless the spec says), hooks
// and additional groups.
Status apply_container_edits(const gpu::ContainerEdits& edits, oci::RuntimeSpec& spec,
                             bool privileged);

}  // namespace berth::engine
