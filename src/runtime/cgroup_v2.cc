// The cgroup v2 backend: one directory <unified mount>/<name> in the single hierarchy.
#include <fcntl.h>
#include <signal.h>

#include <algorithm>

#include "base/fs.h"
#include "base/strings.h"
#include "runtime/internal/cgroup_bpf.h"
#include "runtime/internal/cgroup_util.h"

namespace berth::runtime::internal {

namespace {

// Controllers turned on for containers when the parent offers them, so stats() has numbers
// even without a limit. hugetlb, rdma and misc are left alone: berth sets no such limits.
constexpr std::string_view kWanted[] = {"cpuset", "cpu", "io", "memory", "pids"};

class CgroupV2 final : public Cgroup {
 public:
  CgroupV2(const CgroupLayout& layout, std::string name, const std::vector<std::string>& parts,
           const CgroupOptions& options)
      : name_(std::move(name)), parts_(parts), mount_(layout.unified), options_(options) {
    dir_ = mount_;
    for (const std::string& p : parts_) dir_ = path_join(dir_, p);
  }

  CgroupLayout::Kind kind() const override { return CgroupLayout::kV2; }
  const std::string& name() const override { return name_; }
  std::vector<std::string> paths() const override { return {dir_}; }

  Status create(const Resources& r) override;
  Status update(const Resources& r) override;
  Status add_pid(pid_t pid) override {
    return write_cgroup_file(dir_, "cgroup.procs", std::to_string(pid));
  }
  Result<UniqueFd> path_for_clone_into_cgroup() override;
  Result<CgroupStats> stats() override;
  Result<bool> oom_killed() override;
  Status freeze() override { return set_frozen(true); }
  Status thaw() override { return set_frozen(false); }
  Result<bool> is_frozen() override;
  Result<std::vector<pid_t>> pids() override {
    if (!path_exists(dir_)) return missing();
    return read_procs_recursive(dir_);
  }
  Status kill_all(int sig) override;
  Status destroy() override;

 private:
  Error missing() const { return not_found("cgroup " + name_ + " does not exist"); }
  Status enable_controllers(const std::vector<std::string_view>& needed);
  Status apply(const Resources& r);
  Status set_memory(const Resources& r);
  Status set_cpu(const Resources& r);
  Status set_frozen(bool frozen);

  std::string name_;
  std::vector<std::string> parts_;
  std::string mount_;
  std::string dir_;
  CgroupOptions options_;
};

std::vector<std::string_view> needed_controllers(const Resources& r) {
  std::vector<std::string_view> needed;
  if (!r.cpuset_cpus.empty() || !r.cpuset_mems.empty()) needed.push_back("cpuset");
  if (r.cpus || r.cpu_shares || r.cpu_quota || r.cpu_period) needed.push_back("cpu");
  if (r.blkio_weight && *r.blkio_weight) needed.push_back("io");
  if (r.memory || r.memory_swap || r.memory_reservation) needed.push_back("memory");
  if (r.pids_limit) needed.push_back("pids");
  return needed;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A controller shows in a cgroup only when every ancestor lists it in cgroup.subtree_control.
Status CgroupV2::enable_controllers(const std::vector<std::string_view>& needed) {
  std::string parent = mount_;
  for (const std::string& part : parts_) {
    BERTH_ASSIGN_OR_RETURN(std::string avail_text, read_cgroup_file(parent, "cgroup.controllers"));
    BERTH_ASSIGN_OR_RETURN(std::string on_text, read_cgroup_file(parent, "cgroup.subtree_control"));
    std::vector<std::string> avail = split(avail_text, ' '), on = split(on_text, ' ');
    std::string all, required;
    for (std::string_view c : kWanted) {
      bool need = std::find(needed.begin(), needed.end(), c) != needed.end();
      if (need && !contains(avail, c)) {
        return failed_precondition("cgroup v2 controller " + std::string(c) +
                                   " is not available in " +
                                   path_join(parent, "cgroup.controllers"));
      }
      if (!contains(avail, c) || contains(on, c)) continue;
      all += (all.empty() ? "+" : " +") + std::string(c);
      if (need) required += (required.empty() ? "+" : " +") + std::string(c);
    }
    // Enabling a controller nobody asked for can fail (cpu with realtime tasks around, say);
    // that must not stop the container, so fall back to the ones the limits need.
    if (!all.empty() && !write_cgroup_file(parent, "cgroup.subtree_control", all).ok() &&
        !required.empty()) {
      BERTH_TRY(write_cgroup_file(parent, "cgroup.subtree_control", required));
    }
    parent = path_join(parent, part);
  }
  return {};
}

Status CgroupV2::set_memory(const Resources& r) {
  if (r.memory_reservation) {  // memory.low is a protection: "no reservation" is 0, not max
    std::string low = *r.memory_reservation <= 0 ? "0" : std::to_string(*r.memory_reservation);
    BERTH_TRY(write_cgroup_file(dir_, "memory.low", low));
  }
  if (r.memory) BERTH_TRY(write_cgroup_file(dir_, "memory.max", v2_bytes(*r.memory)));
  if (!r.memory_swap) return {};
  if (!cgroup_file_exists(dir_, "memory.swap.max")) {
    return failed_precondition(
        "setting memory swap limit: your kernel does not support swap limit capabilities");
  }
  if (*r.memory_swap < 0) return write_cgroup_file(dir_, "memory.swap.max", "max");
  // v2 limits swap alone, Docker's --memory-swap is memory plus swap.
  std::optional<uint64_t> memory;
  if (r.memory && *r.memory > 0) {
    memory = static_cast<uint64_t>(*r.memory);
  } else {
    BERTH_ASSIGN_OR_RETURN(memory, read_cgroup_limit(dir_, "memory.max"));
  }
  if (!memory) {
    return invalid_argument("setting memory swap limit: a swap limit needs a memory limit");
  }
  if (static_cast<uint64_t>(*r.memory_swap) < *memory) {
    return invalid_argument(
        "Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  return write_cgroup_file(dir_, "memory.swap.max",
                           std::to_string(static_cast<uint64_t>(*r.memory_swap) - *memory));
}

Status CgroupV2::set_cpu(const Resources& r) {
  if (r.cpu_shares && *r.cpu_shares) {
    BERTH_TRY(
        write_cgroup_file(dir_, "cpu.weight", std::to_string(shares_to_weight(*r.cpu_shares))));
  }
  std::string value;
  if (r.cpus) {
    int64_t quota = cpus_to_quota(*r.cpus);
    value = (quota < 0 ? "max" : std::to_string(quota)) + " " + std::to_string(kCpuPeriod);
  } else if (r.cpu_quota) {
    value = *r.cpu_quota <= 0 ? "max" : std::to_string(*r.cpu_quota);
    if (r.cpu_period) value += " " + std::to_string(*r.cpu_period);
  } else if (r.cpu_period) {
    // cpu.max takes "<quota> <period>"; keep the current quota when only the period changes.
    BERTH_ASSIGN_OR_RETURN(std::string current, read_cgroup_file(dir_, "cpu.max"));
    value = split_once(current, ' ').first + " " + std::to_string(*r.cpu_period);
  }
  if (!value.empty()) BERTH_TRY(write_cgroup_file(dir_, "cpu.max", value));
  return {};
}

Status CgroupV2::apply(const Resources& r) {
  BERTH_TRY(set_memory(r));
  BERTH_TRY(set_cpu(r));
  if (!r.cpuset_cpus.empty()) BERTH_TRY(write_cgroup_file(dir_, "cpuset.cpus", r.cpuset_cpus));
  if (!r.cpuset_mems.empty()) BERTH_TRY(write_cgroup_file(dir_, "cpuset.mems", r.cpuset_mems));
  if (r.pids_limit) {
    std::string v = *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit);
    BERTH_TRY(write_cgroup_file(dir_, "pids.max", v));
  }
  if (r.blkio_weight && *r.blkio_weight) {
    // With BFQ the weight goes to io.bfq.weight unchanged (1..1000), as runc does; io.weight
    // has a 1..10000 range.
    if (cgroup_file_exists(dir_, "io.bfq.weight")) {
      BERTH_TRY(write_cgroup_file(dir_, "io.bfq.weight", std::to_string(*r.blkio_weight)));
    } else {
      BERTH_TRY(write_cgroup_file(dir_, "io.weight",
                                  std::to_string(blkio_weight_to_io_weight(*r.blkio_weight))));
    }
  }
  if (!r.devices.empty()) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, path_for_clone_into_cgroup());
    BERTH_TRY_CTX(set_device_filter(fd.get(), r.devices), "setting device rules of " + dir_);
  }
  return {};
}

Status CgroupV2::create(const Resources& r) {
  BERTH_TRY(validate_resources(r, host_cpu_count(), /*creating=*/true));
  bool existed = path_exists(dir_);
  BERTH_TRY_CTX(mkdir_all(dir_, 0755), "creating cgroup " + name_);
  Status st = enable_controllers(needed_controllers(r));
  if (st.ok()) st = apply(r);
  if (!st.ok() && !existed) (void)destroy();  // leave nothing half-made behind
  return st;
}

Status CgroupV2::update(const Resources& r) {
  BERTH_TRY(validate_resources(r, host_cpu_count(), /*creating=*/false));
  if (!path_exists(dir_)) return missing();
  BERTH_TRY(enable_controllers(needed_controllers(r)));
  return apply(r);
}

Result<UniqueFd> CgroupV2::path_for_clone_into_cgroup() {
  // clone3 needs a real (not O_PATH) descriptor of the directory.
  UniqueFd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_error("opening cgroup " + dir_);
  return fd;
}

Result<CgroupStats> CgroupV2::stats() {
  if (!path_exists(dir_)) return missing();
  CgroupStats s;
  BERTH_ASSIGN_OR_RETURN(s.memory_usage, read_cgroup_u64_or(dir_, "memory.current", 0));
  if (cgroup_file_exists(dir_, "memory.max")) {
    BERTH_ASSIGN_OR_RETURN(s.memory_limit, read_cgroup_limit(dir_, "memory.max"));
  }
  if (cgroup_file_exists(dir_, "memory.stat")) {
    BERTH_ASSIGN_OR_RETURN(auto v, read_cgroup_key(dir_, "memory.stat", "inactive_file"));
    s.memory_inactive_file = v.value_or(0);
  }
  if (cgroup_file_exists(dir_, "memory.events")) {
    BERTH_ASSIGN_OR_RETURN(auto v, read_cgroup_key(dir_, "memory.events", "oom_kill"));
    s.oom_kill = v.value_or(0);
  }
  BERTH_ASSIGN_OR_RETURN(s.pids_current, read_cgroup_u64_or(dir_, "pids.current", 0));
  if (cgroup_file_exists(dir_, "cpu.stat")) {  // present without the cpu controller too
    BERTH_ASSIGN_OR_RETURN(auto v, read_cgroup_key(dir_, "cpu.stat", "usage_usec"));
    s.cpu_usage_ns = v.value_or(0) * 1000;
  }
  return s;
}

Result<bool> CgroupV2::oom_killed() {
  if (!path_exists(dir_)) return missing();
  if (!cgroup_file_exists(dir_, "memory.events")) return false;  // memory controller off
  BERTH_ASSIGN_OR_RETURN(auto v, read_cgroup_key(dir_, "memory.events", "oom_kill"));
  return v.value_or(0) > 0;
}

Status CgroupV2::set_frozen(bool frozen) {
  if (!path_exists(dir_)) return missing();
  if (!cgroup_file_exists(dir_, "cgroup.freeze")) {
    return unimplemented("pausing needs Linux 5.2 or later: no cgroup.freeze in " + dir_);
  }
  BERTH_TRY(write_cgroup_file(dir_, "cgroup.freeze", frozen ? "1" : "0"));
  return poll_until(
      options_.freeze_timeout,
      [&]() -> Result<bool> {
        BERTH_ASSIGN_OR_RETURN(bool now, is_frozen());
        return now == frozen;
      },
      [&] {
        return "timed out waiting for " + path_join(dir_, "cgroup.events") + " to say frozen " +
               (frozen ? "1" : "0");
      });
}

Result<bool> CgroupV2::is_frozen() {
  BERTH_ASSIGN_OR_RETURN(auto v, read_cgroup_key(dir_, "cgroup.events", "frozen"));
  return v.value_or(0) == 1;
}

Status CgroupV2::kill_all(int sig) {
  if (!path_exists(dir_)) return missing();
  // cgroup.kill (Linux 5.14) kills the whole subtree atomically, forks in flight included.
  if (sig == SIGKILL && cgroup_file_exists(dir_, "cgroup.kill")) {
    return write_cgroup_file(dir_, "cgroup.kill", "1");
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<pid_t> pids, read_procs_recursive(dir_));
  return signal_pids(pids, sig);
}

Status CgroupV2::destroy() {
  if (!path_exists(dir_)) return {};
  BERTH_TRY(kill_all(SIGKILL));
  return remove_cgroup_dir(dir_, options_.destroy_timeout);
}

}  // namespace

std::unique_ptr<Cgroup> make_cgroup_v2(const CgroupLayout& layout, std::string name,
                                       const std::vector<std::string>& parts,
                                       const CgroupOptions& options) {
  return std::make_unique<CgroupV2>(layout, std::move(name), parts, options);
}

}  // namespace berth::runtime::internal
