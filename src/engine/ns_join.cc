// Joining another container's IPC and PID namespaces (see ns_join.h).
#include "engine/ns_join.h"

#include <linux/magic.h>

#include <nlohmann/json.hpp>

#include "runtime/mount_clone.h"

namespace berth::engine {
namespace {

constexpr std::string_view kPrefix = "container:";

// The running container a mode names, with Docker's errors.
Result<ContainerRecord> running_target(Engine& e, const std::string& target) {
  BERTH_ASSIGN_OR_RETURN(auto other, e.find_container(target));
  if (other.state == "restarting")
    return conflict("Container " + target + " is restarting, wait until the container is running");
  if (other.state != "running" || other.pid <= 0)
    return conflict("container " + target + " is not running");
  return other;
}

}  // namespace

Result<std::string> resolve_namespace_mode(Engine& e, const std::string& kind,
                                           const std::string& mode) {
  if (mode.rfind(kPrefix, 0) != 0) return mode;
  std::string target = mode.substr(kPrefix.size());
  if (target.empty()) return invalid_argument("invalid " + kind + " mode \"" + mode + "\"");
  BERTH_ASSIGN_OR_RETURN(auto other, e.find_container(target));
  return std::string(kPrefix) + other.id;
}

Status join_container_namespaces(Engine& e, const ContainerRecord& c, oci::RuntimeSpec& spec,
                                 UniqueFd* shm) {
  auto conf = nlohmann::json::parse(c.config, nullptr, false);
  if (conf.is_discarded() || !spec.linux) return {};
  for (const char* kind : {"ipc", "pid"}) {
    std::string mode = conf.value(std::string(kind) == "ipc" ? "IpcMode" : "PidMode", "");
    if (mode.rfind(kPrefix, 0) != 0) continue;
    BERTH_ASSIGN_OR_RETURN(auto other, running_target(e, mode.substr(kPrefix.size())));
    std::string proc = "/proc/" + std::to_string(other.pid);
    bool found = false;
    for (auto& ns : spec.linux->namespaces)
      if (ns.type == kind) {
        ns.path = proc + "/ns/" + kind;
        found = true;
      }
    if (!found) spec.linux->namespaces.push_back({kind, proc + "/ns/" + kind});
    if (std::string(kind) == "ipc" && shm) {
      auto cloned = runtime::clone_mount_of(other.pid, "/dev/shm", TMPFS_MAGIC);
      if (!cloned.ok())
        return std::move(cloned).error().context("sharing /dev/shm of container " + other.name);
      *shm = std::move(*cloned);
      std::erase_if(spec.mounts, [](const oci::Mount& m) { return m.destination == "/dev/shm"; });
    }
  }
  return {};
}

}  // namespace berth::engine
