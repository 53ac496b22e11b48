// What a GPU request or a CDI device adds to a container: the CDI "containerEdits" model.
//
// Both ways of asking for a device end here: `--gpus` (NVIDIA discovery or the nvidia.com/gpu
// CDI kind) and `--device vendor.com/class=name` (any CDI spec). The engine applies the edits
// to the OCI spec it builds (engine/gpu.cc); nothing here touches a container.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::gpu {

struct DeviceNode {
  std::string path;       // in the container
  std::string host_path;  // on the host; "" means the same as path
  std::string type;       // "c" or "b"; "" = read from the host node
  std::optional<int64_t> major, minor;
  std::string permissions;  // cgroup access, "" = "rwm"
  std::optional<uint32_t> file_mode, uid, gid;
  bool operator==(const DeviceNode&) const = default;
};

struct Mount {
  std::string host_path;
  std::string container_path;
  std::string type;                  // "" = bind
  std::vector<std::string> options;  // "" = read-only bind
  bool operator==(const Mount&) const = default;
};

struct Hook {
  std::string hook_name;  // prestart, createRuntime, createContainer, startContainer, poststart, poststop
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;
  bool operator==(const Hook&) const = default;
};

struct ContainerEdits {
  std::vector<std::string> env;  // KEY=VALUE
  std::vector<DeviceNode> device_nodes;
  std::vector<Mount> mounts;
  std::vector<Hook> hooks;
  std::vector<uint32_t> additional_gids;

  // Appends `other`, skipping a device node or mount whose container path is already there and
  // an env entry already present (two devices of one spec often share the control nodes).
  void merge(const ContainerEdits& other);
  bool empty() const {
    return env.empty() && device_nodes.empty() && mounts.empty() && hooks.empty() &&
           additional_gids.empty();
  }
};

}  // namespace berth::gpu
