// The cgroup v1 backend: one directory per mounted hierarchy (co-mounted controllers such as
// "cpu,cpuacct" share one), all named <mount>/<name>.
#include <signal.h>

#include <set>

#include "base/fs.h"
#include "runtime/internal/cgroup_util.h"

namespace berth::runtime::internal {

namespace {

constexpr std::string_view kFrozen = "FROZEN";
constexpr std::string_view kThawed = "THAWED";
// memory.limit_in_bytes reads as PAGE_COUNTER_MAX pages when unlimited (about 2^63 bytes).
constexpr uint64_t kV1Unlimited = uint64_t{1} << 62;

class CgroupV1 final : public Cgroup {
 public:
  CgroupV1(const CgroupLayout& layout, std::string name, const std::vector<std::string>& parts,
           const CgroupOptions& options)
      : name_(std::move(name)), parts_(parts), mounts_(layout.v1), options_(options) {
    std::string rel;
    for (const std::string& p : parts_) rel = path_join(rel, p);
    for (const auto& [controller, mount] : mounts_) dirs_[controller] = path_join(mount, rel);
  }

  CgroupLayout::Kind kind() const override { return CgroupLayout::kV1; }
  const std::string& name() const override { return name_; }
  std::vector<std::string> paths() const override {
    std::set<std::string> unique;
    for (const auto& [controller, dir] : dirs_) unique.insert(dir);
    return {unique.begin(), unique.end()};
  }

  Status create(const Resources& r) override;
  Status update(const Resources& r) override;
  Status add_pid(pid_t pid) override;
  Result<UniqueFd> path_for_clone_into_cgroup() override { return UniqueFd(); }
  Result<CgroupStats> stats() override;
  Result<bool> oom_killed() override;
  Status freeze() override { return set_freezer(kFrozen); }
  Status thaw() override { return set_freezer(kThawed); }
  Result<bool> is_frozen() override;
  Result<std::vector<pid_t>> pids() override;
  Status kill_all(int sig) override;
  Status destroy() override;

 private:
  // This cgroup's directory in `controller`'s hierarchy; nullptr when it is not mounted.
  const std::string* dir(std::string_view controller) const {
    auto it = dirs_.find(std::string(controller));
    return it == dirs_.end() ? nullptr : &it->second;
  }
  Result<std::string> need(std::string_view controller) const {
    if (const std::string* d = dir(controller)) return *d;
    return failed_precondition("cgroup controller " + std::string(controller) + " is not mounted");
  }
  // Any hierarchy lists every process; prefer the freezer's, which kill_all freezes.
  std::string procs_dir() const {
    for (std::string_view c : {"freezer", "pids", "memory"}) {
      if (const std::string* d = dir(c)) return *d;
    }
    return dirs_.begin()->second;
  }
  bool exists() const { return path_exists(procs_dir()); }
  Status check_controllers(const Resources& r) const;
  Status init_cpuset();
  Status apply(const Resources& r);
  Status set_memory(const Resources& r);
  Status set_cpu(const Resources& r);
  Status set_freezer(std::string_view state);

  std::string name_;
  std::vector<std::string> parts_;
  std::map<std::string, std::string> mounts_;  // controller -> mount point
  std::map<std::string, std::string> dirs_;    // controller -> this cgroup's directory
  CgroupOptions options_;
};

Status CgroupV1::check_controllers(const Resources& r) const {
  std::vector<std::string_view> needed;
  if (r.memory || r.memory_swap || r.memory_reservation) needed.push_back("memory");
  if (r.cpus || r.cpu_shares || r.cpu_quota || r.cpu_period) needed.push_back("cpu");
  if (!r.cpuset_cpus.empty() || !r.cpuset_mems.empty()) needed.push_back("cpuset");
  if (r.pids_limit) needed.push_back("pids");
  if (r.blkio_weight && *r.blkio_weight) needed.push_back("blkio");
  if (!r.devices.empty()) needed.push_back("devices");
  for (std::string_view c : needed) BERTH_TRY(need(c));
  return {};
}

// The kernel leaves a new v1 cpuset's cpus and mems empty, and an empty cpuset refuses tasks:
// copy them down from the parent, level by level, as runc does.
Status CgroupV1::init_cpuset() {
  auto it = mounts_.find("cpuset");
  if (it == mounts_.end()) return {};
  std::string parent = it->second;
  for (const std::string& p : parts_) {
    std::string cur = path_join(parent, p);
    for (std::string_view file : {"cpuset.cpus", "cpuset.mems"}) {
      BERTH_ASSIGN_OR_RETURN(std::string value, read_cgroup_file(cur, file));
      if (!value.empty()) continue;
      BERTH_ASSIGN_OR_RETURN(std::string inherited, read_cgroup_file(parent, file));
      BERTH_TRY(write_cgroup_file(cur, file, inherited));
    }
    parent = cur;
  }
  return {};
}

Status CgroupV1::set_memory(const Resources& r) {
  if (!r.memory && !r.memory_swap && !r.memory_reservation) return {};
  BERTH_ASSIGN_OR_RETURN(std::string d, need("memory"));
  if (r.memory_reservation) {
    BERTH_TRY(write_cgroup_file(d, "memory.soft_limit_in_bytes", v1_bytes(*r.memory_reservation)));
  }
  constexpr std::string_view kMemsw = "memory.memsw.limit_in_bytes";
  if (!r.memory_swap) {
    if (!r.memory) return {};
    // Docker's message for a memory limit above the swap limit set before, rather than the
    // kernel's bare EINVAL.
    if (*r.memory > 0 && cgroup_file_exists(d, kMemsw)) {
      BERTH_ASSIGN_OR_RETURN(std::optional<uint64_t> memsw, read_cgroup_limit(d, kMemsw));
      if (memsw && *memsw<kV1Unlimited&& static_cast<uint64_t>(*r.memory)> * memsw) {
        return invalid_argument(
            "Memory limit should be smaller than already set memoryswap limit, update the "
            "memoryswap at the same time");
      }
    }
    return write_cgroup_file(d, "memory.limit_in_bytes", v1_bytes(*r.memory));
  }
  if (!cgroup_file_exists(d, kMemsw)) {
    return failed_precondition(
        "setting memory swap limit: your kernel does not support swap limit capabilities");
  }
  // The kernel keeps limit_in_bytes <= memsw.limit_in_bytes after every write: when the new
  // memsw limit is higher than the current one write it first, otherwise write it last.
  BERTH_ASSIGN_OR_RETURN(std::optional<uint64_t> current, read_cgroup_limit(d, kMemsw));
  bool raising =
      *r.memory_swap < 0 || !current || static_cast<uint64_t>(*r.memory_swap) >= *current;
  std::string memsw = v1_bytes(*r.memory_swap);
  if (raising) BERTH_TRY(write_cgroup_file(d, kMemsw, memsw));
  if (r.memory) BERTH_TRY(write_cgroup_file(d, "memory.limit_in_bytes", v1_bytes(*r.memory)));
  if (!raising) BERTH_TRY(write_cgroup_file(d, kMemsw, memsw));
  return {};
}

Status CgroupV1::set_cpu(const Resources& r) {
  if (!r.cpus && !r.cpu_shares && !r.cpu_quota && !r.cpu_period) return {};
  BERTH_ASSIGN_OR_RETURN(std::string d, need("cpu"));
  if (r.cpu_shares && *r.cpu_shares) {
    BERTH_TRY(write_cgroup_file(d, "cpu.shares", std::to_string(*r.cpu_shares)));
  }
  std::optional<int64_t> period = r.cpu_period, quota = r.cpu_quota;
  if (r.cpus) {
    period = kCpuPeriod;
    quota = cpus_to_quota(*r.cpus);
  }
  auto write_quota = [&] {
    return write_cgroup_file(d, "cpu.cfs_quota_us", std::to_string(*quota <= 0 ? -1 : *quota));
  };
  if (period) {
    Status st = write_cgroup_file(d, "cpu.cfs_period_us", std::to_string(*period));
    // A shorter period can exceed the bandwidth the current quota allows; runc then writes
    // the quota first. Same here.
    if (!st.ok() && quota && st.error().sys_errno() == EINVAL) {
      BERTH_TRY(write_quota());
      return write_cgroup_file(d, "cpu.cfs_period_us", std::to_string(*period));
    }
    BERTH_TRY(st);
  }
  if (quota) BERTH_TRY(write_quota());
  return {};
}

Status CgroupV1::apply(const Resources& r) {
  BERTH_TRY(set_memory(r));
  BERTH_TRY(set_cpu(r));
  if (!r.cpuset_cpus.empty() || !r.cpuset_mems.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string d, need("cpuset"));
    if (!r.cpuset_cpus.empty()) BERTH_TRY(write_cgroup_file(d, "cpuset.cpus", r.cpuset_cpus));
    if (!r.cpuset_mems.empty()) BERTH_TRY(write_cgroup_file(d, "cpuset.mems", r.cpuset_mems));
  }
  if (r.pids_limit) {
    BERTH_ASSIGN_OR_RETURN(std::string d, need("pids"));
    std::string v = *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit);
    BERTH_TRY(write_cgroup_file(d, "pids.max", v));
  }
  if (r.blkio_weight && *r.blkio_weight) {
    BERTH_ASSIGN_OR_RETURN(std::string d, need("blkio"));
    // Kernels with the BFQ scheduler and without CFQ only have blkio.bfq.weight.
    std::string_view file =
        cgroup_file_exists(d, "blkio.bfq.weight") ? "blkio.bfq.weight" : "blkio.weight";
    BERTH_TRY(write_cgroup_file(d, file, std::to_string(*r.blkio_weight)));
  }
  if (!r.devices.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string d, need("devices"));
    for (const DeviceRule& rule : r.devices) {
      BERTH_TRY(write_cgroup_file(d, rule.allow ? "devices.allow" : "devices.deny",
                                  v1_device_rule(rule)));
    }
  }
  return {};
}

Status CgroupV1::create(const Resources& r) {
  BERTH_TRY(validate_resources(r, host_cpu_count(), /*creating=*/true));
  BERTH_TRY(check_controllers(r));
  bool existed = exists();
  for (const std::string& d : paths()) {
    BERTH_TRY_CTX(mkdir_all(d, 0755), "creating cgroup " + name_);
  }
  Status st = init_cpuset();
  if (st.ok()) st = apply(r);
  if (!st.ok() && !existed) (void)destroy();  // leave nothing half-made behind
  return st;
}

Status CgroupV1::update(const Resources& r) {
  BERTH_TRY(validate_resources(r, host_cpu_count(), /*creating=*/false));
  BERTH_TRY(check_controllers(r));
  if (!exists()) return not_found("cgroup " + name_ + " does not exist");
  return apply(r);
}

Status CgroupV1::add_pid(pid_t pid) {
  for (const std::string& d : paths()) {
    BERTH_TRY(write_cgroup_file(d, "cgroup.procs", std::to_string(pid)));
  }
  return {};
}

Result<CgroupStats> CgroupV1::stats() {
  if (!exists()) return not_found("cgroup " + name_ + " does not exist");
  CgroupStats s;
  if (const std::string* d = dir("memory")) {
    BERTH_ASSIGN_OR_RETURN(s.memory_usage, read_cgroup_u64_or(*d, "memory.usage_in_bytes", 0));
    BERTH_ASSIGN_OR_RETURN(uint64_t limit,
                           read_cgroup_u64_or(*d, "memory.limit_in_bytes", kV1Unlimited));
    if (limit < kV1Unlimited) s.memory_limit = limit;
    if (cgroup_file_exists(*d, "memory.stat")) {
      BERTH_ASSIGN_OR_RETURN(auto v, read_cgroup_key(*d, "memory.stat", "total_inactive_file"));
      s.memory_inactive_file = v.value_or(0);
    }
    if (cgroup_file_exists(*d, "memory.oom_control")) {
      BERTH_ASSIGN_OR_RETURN(auto v, read_cgroup_key(*d, "memory.oom_control", "oom_kill"));
      s.oom_kill = v.value_or(0);
    }
  }
  if (const std::string* d = dir("pids")) {
    BERTH_ASSIGN_OR_RETURN(s.pids_current, read_cgroup_u64_or(*d, "pids.current", 0));
  }
  if (const std::string* d = dir("cpuacct")) {
    BERTH_ASSIGN_OR_RETURN(s.cpu_usage_ns, read_cgroup_u64_or(*d, "cpuacct.usage", 0));
  }
  return s;
}

Result<bool> CgroupV1::oom_killed() {
  BERTH_ASSIGN_OR_RETURN(std::string d, need("memory"));
  // "oom_kill N" exists since Linux 4.13.
  BERTH_ASSIGN_OR_RETURN(auto v, read_cgroup_key(d, "memory.oom_control", "oom_kill"));
  return v.value_or(0) > 0;
}

Status CgroupV1::set_freezer(std::string_view state) {
  BERTH_ASSIGN_OR_RETURN(std::string d, need("freezer"));
  BERTH_TRY(write_cgroup_file(d, "freezer.state", state));
  std::string now;
  int polls = 0;
  Status st = poll_until(
      options_.freeze_timeout,
      [&]() -> Result<bool> {
        BERTH_ASSIGN_OR_RETURN(now, read_cgroup_file(d, "freezer.state"));
        if (now == state) return true;
        // A task in the middle of fork can keep the cgroup FREEZING; writing the state again
        // retries the freeze, as runc does.
        if (++polls % 25 == 0) BERTH_TRY(write_cgroup_file(d, "freezer.state", state));
        return false;
      },
      [&] {
        return "timed out waiting for " + path_join(d, "freezer.state") + " to become " +
               std::string(state) + " (it is " + (now.empty() ? "empty" : now) + ")";
      });
  if (!st.ok() && state == kFrozen) (void)write_cgroup_file(d, "freezer.state", kThawed);
  return st;
}

Result<bool> CgroupV1::is_frozen() {
  BERTH_ASSIGN_OR_RETURN(std::string d, need("freezer"));
  BERTH_ASSIGN_OR_RETURN(std::string state, read_cgroup_file(d, "freezer.state"));
  return state == kFrozen;
}

Result<std::vector<pid_t>> CgroupV1::pids() {
  if (!exists()) return not_found("cgroup " + name_ + " does not exist");
  return read_procs_recursive(procs_dir());
}

Status CgroupV1::kill_all(int sig) {
  if (!exists()) return not_found("cgroup " + name_ + " does not exist");
  // An empty cgroup has nobody to fork into it: no freeze and thaw (a freezer round trip is
  // most of what removing an exited container's cgroup costs).
  if (auto now = read_procs_recursive(procs_dir()); now.ok() && now->empty()) return {};
  // v1 has no cgroup.kill. Freezing first means nothing forks between reading cgroup.procs and
  // the signal; frozen tasks take the SIGKILL once thawed.
  bool frozen = sig == SIGKILL && dir("freezer") && set_freezer(kFrozen).ok();
  auto pids = read_procs_recursive(procs_dir());
  Status st = pids.ok() ? signal_pids(*pids, sig) : Status(std::move(pids).error());
  if (frozen) {
    Status thawed = set_freezer(kThawed);
    if (st.ok()) st = std::move(thawed);
  }
  return st;
}

Status CgroupV1::destroy() {
  bool any = false;
  for (const std::string& d : paths()) any = any || path_exists(d);
  if (!any) return {};
  if (exists()) BERTH_TRY(kill_all(SIGKILL));
  for (const std::string& d : paths()) BERTH_TRY(remove_cgroup_dir(d, options_.destroy_timeout));
  return {};
}

}  // namespace

std::unique_ptr<Cgroup> make_cgroup_v1(const CgroupLayout& layout, std::string name,
                                       const std::vector<std::string>& parts,
                                       const CgroupOptions& options) {
  return std::make_unique<CgroupV1>(layout, std::move(name), parts, options);
}

}  // namespace berth::runtime::internal
