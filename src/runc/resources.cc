// From a spec's linux.resources to berth's cgroup resources.
#include "base/strings.h"
#include "runc/internal.h"
#include "runtime/spec.h"

namespace berth::runc {

runtime::Resources resources_from_spec(const oci::RuntimeSpec& spec) {
  runtime::Resources r;
  std::vector<oci::DeviceCgroup> rules;
  if (spec.linux && spec.linux->resources) {
    const auto& res = *spec.linux->resources;
    if (res.memory) {
      if (res.memory->limit && *res.memory->limit > 0) r.memory = *res.memory->limit;
      if (res.memory->swap && *res.memory->swap != 0) r.memory_swap = *res.memory->swap;
      if (res.memory->reservation && *res.memory->reservation > 0)
        r.memory_reservation = *res.memory->reservation;
    }
    if (res.cpu) {
      if (res.cpu->shares && *res.cpu->shares > 0) r.cpu_shares = *res.cpu->shares;
      if (res.cpu->quota && *res.cpu->quota > 0) r.cpu_quota = *res.cpu->quota;
      if (res.cpu->period && *res.cpu->period > 0)
        r.cpu_period = static_cast<int64_t>(*res.cpu->period);
      r.cpuset_cpus = res.cpu->cpus;
      r.cpuset_mems = res.cpu->mems;
    }
    if (res.pids && res.pids->limit > 0) r.pids_limit = res.pids->limit;
    if (res.block_io && res.block_io->weight) r.blkio_weight = *res.block_io->weight;
    rules = res.devices;
  }
  r.devices = runtime::cgroup_device_rules(rules);
  return r;
}

Result<std::string> cgroup_name(const std::string& cgroups_path, const std::string& id) {
  std::string name;
  if (cgroups_path.empty()) {
    name = "berth-runc/" + id;
  } else if (cgroups_path[0] != '/' && cgroups_path.find(':') != std::string::npos) {
    auto parts = split(cgroups_path, ':');
    if (parts.size() != 3)
      return invalid_argument(
          "config.json: expected cgroupsPath of the form slice:prefix:name, got \"" + cgroups_path +
          "\"");
    name =
        (parts[0].empty() ? "system.slice" : parts[0]) + "/" + parts[1] + "-" + parts[2] + ".scope";
  } else {
    name = cgroups_path;
  }
  while (!name.empty() && name[0] == '/') name.erase(0, 1);
  for (const auto& part : split(name, '/'))
    if (part == "..") return invalid_argument("config.json: cgroupsPath must not contain \"..\"");
  if (name.empty()) return invalid_argument("config.json: cgroupsPath must not be the root cgroup");
  return name;
}

}  // namespace berth::runc
