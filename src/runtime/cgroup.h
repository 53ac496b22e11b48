// Container cgroups: cgroup v1 and v2 behind one small interface.
//
// detect_cgroups() reads the mount table and says which hierarchy to use: pure v2 (one cgroup2
// mount at the root), v1 (one mount per controller) or hybrid (v1 controllers plus a cgroup2 mount,
// usually at <root>/unified, that holds few or no controllers). On hybrid hosts the v1 controllers
// are used, as runc does. open_cgroup() then returns a backend for one container's cgroup; it does
// not touch the file system until create() is called.
//
// Every path comes from the CgroupLayout, never from a literal /sys/fs/cgroup, so tests run the
// backends on fake trees in temp dirs (files pre-created by the test, values read back).
//
// Errors name the file and the value: "writing 2g to /sys/fs/cgroup/berth/x/memory.max: Invalid
// argument", with the Code following errno (EINVAL -> kInvalidArgument, EACCES/EPERM ->
// kPermissionDenied, ENOENT -> kNotFound, EBUSY -> kUnavailable).
//
// A Cgroup object is not thread-safe; use one per thread or lock around it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::runtime {

// One OCI linux.resources.devices entry. Rules apply in order; the last matching rule wins.
struct DeviceRule {
  bool allow = false;
  char type = 'a';             // 'a' (all), 'c' (char) or 'b' (block)
  int64_t major = -1;          // -1 = any
  int64_t minor = -1;          // -1 = any
  std::string access = "rwm";  // non-empty subset of "rwm"
};

// Resource limits. A field left unset (nullopt / empty) is not written: create() leaves the
// kernel's default, update() leaves the current value.
//   memory, memory_reservation: bytes; <= 0 means unlimited.
//   memory_swap: memory + swap in bytes, as Docker's --memory-swap; -1 = unlimited swap. Docker's
//     default of "2x memory" when only --memory is given is the caller's policy, not applied here.
//   cpus: Docker's --cpus; becomes quota/period with period 100000; <= 0 removes the limit.
//   cpu_shares: v1 cpu.shares; on v2 converted to cpu.weight with runc's formula; 0 = unset.
//   cpu_quota (<= 0 = no limit) and cpu_period: raw CFS values in microseconds; not with cpus.
//   pids_limit: <= 0 means unlimited.
//   blkio_weight: 10..1000; 0 = unset.
struct Resources {
  std::optional<int64_t> memory, memory_swap, memory_reservation;
  std::optional<double> cpus;
  std::optional<uint64_t> cpu_shares;
  std::optional<int64_t> cpu_quota, cpu_period;
  std::string cpuset_cpus, cpuset_mems;
  std::optional<int64_t> pids_limit;
  std::optional<uint16_t> blkio_weight;
  std::vector<DeviceRule> devices;
};

// Checks `r` the way Docker's daemon does, with Docker's messages ("Minimum memory limit allowed
// is 6MB", "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available", ...).
// `host_cpus` bounds --cpus. `creating` adds the checks that only apply to a new container
// (a swap limit needs a memory limit). Returns kInvalidArgument.
Status validate_resources(const Resources& r, int host_cpus, bool creating = true);
// CPUs this process may run on (sched_getaffinity), as Docker's NCPU.
int host_cpu_count();

// Which hierarchy to use and where it is mounted.
struct CgroupLayout {
  enum Kind { kV1, kV2, kHybrid };
  Kind kind = kV2;
  std::string root;  // e.g. /sys/fs/cgroup
  // v1 controller name ("memory", "cpu", ...) -> its mount point. Co-mounted controllers
  // ("cpu,cpuacct") share one mount point. Empty on kV2.
  std::map<std::string, std::string> v1;
  // The cgroup2 mount point: the root on kV2, e.g. <root>/unified on kHybrid, empty on kV1.
  std::string unified;
};

std::string_view cgroup_kind_name(CgroupLayout::Kind kind);  // "v1", "v2", "hybrid"

// Parses /proc/self/mountinfo text; only mounts at or below `root` count. kNotFound when there is
// no cgroup mount there.
Result<CgroupLayout> parse_cgroup_layout(std::string_view mountinfo,
                                         const std::string& root = "/sys/fs/cgroup");
Result<CgroupLayout> detect_cgroups(const std::string& root = "/sys/fs/cgroup",
                                    const std::string& mountinfo_path = "/proc/self/mountinfo");

// Fields whose controller is not mounted/enabled read as 0 (memory_limit as nullopt).
struct CgroupStats {
  uint64_t memory_usage = 0;             // v1 memory.usage_in_bytes / v2 memory.current
  std::optional<uint64_t> memory_limit;  // nullopt when unlimited
  uint64_t memory_inactive_file = 0;     // Docker's `stats` shows usage minus this
  uint64_t pids_current = 0;
  uint64_t cpu_usage_ns = 0;
  uint64_t oom_kill = 0;  // OOM kills in this cgroup (and below)
};

struct CgroupOptions {
  // How long freeze()/thaw() wait for the kernel to report the new state.
  std::chrono::milliseconds freeze_timeout{5000};
  // How long destroy() retries rmdir while killed processes are still exiting.
  std::chrono::milliseconds destroy_timeout{5000};
};

class Cgroup {
 public:
  virtual ~Cgroup() = default;

  // The backend in use: kV1 (also on hybrid hosts) or kV2.
  virtual CgroupLayout::Kind kind() const = 0;
  // The name given to open_cgroup(), relative to each hierarchy's root, e.g. "berth/<id>".
  virtual const std::string& name() const = 0;
  // Every directory of this cgroup: one per mounted v1 hierarchy, or the one v2 directory.
  virtual std::vector<std::string> paths() const = 0;

  // Checks `r` (validate_resources: kInvalidArgument with Docker's messages), makes the
  // directories (and the parent "berth" level) and applies `r`. On v1 the new cpuset
  // gets its parent's cpus/mems first, as the kernel leaves them empty; on v2 the needed
  // controllers are enabled in the ancestors' cgroup.subtree_control. An existing cgroup of the
  // same name is reused. kFailedPrecondition when a limit needs a controller that is missing, or
  // swap is limited and the kernel has no swap accounting ("your kernel does not support swap
  // limit capabilities"). Custom device rules on v2 load a BPF_PROG_TYPE_CGROUP_DEVICE program.
  // When applying fails, a cgroup that create() made is removed again.
  virtual Status create(const Resources& r) = 0;
  // Applies the fields that are set in `r` to an existing cgroup (docker update).
  virtual Status update(const Resources& r) = 0;
  // Moves `pid` into the cgroup (every v1 hierarchy).
  virtual Status add_pid(pid_t pid) = 0;
  // v2: an O_DIRECTORY fd of the cgroup for clone3(CLONE_INTO_CGROUP). v1: an invalid UniqueFd
  // (there is no such thing on v1; use add_pid before the child execs).
  virtual Result<UniqueFd> path_for_clone_into_cgroup() = 0;

  virtual Result<CgroupStats> stats() = 0;
  // True when the kernel OOM-killed a process of this cgroup.
  virtual Result<bool> oom_killed() = 0;

  // Pause / unpause. Waits until the kernel reports FROZEN/THAWED (v1 freezer.state) or
  // "frozen 1/0" (v2 cgroup.events); kUnavailable after CgroupOptions::freeze_timeout.
  virtual Status freeze() = 0;
  virtual Status thaw() = 0;
  virtual Result<bool> is_frozen() = 0;

  // Processes of the cgroup and of its sub-cgroups, sorted (for `top`).
  virtual Result<std::vector<pid_t>> pids() = 0;
  // Sends `sig` to every process. SIGKILL uses v2 cgroup.kill when present; on v1 it freezes the
  // cgroup first so no process can fork away between reading cgroup.procs and the kill.
  virtual Status kill_all(int sig) = 0;
  // Kills what is left (SIGKILL), then removes the directories, sub-cgroups first, retrying while
  // they are busy (kUnavailable after CgroupOptions::destroy_timeout). Succeeds when the cgroup
  // does not exist, so it also cleans up after a crash. The "berth" parent level is kept.
  virtual Status destroy() = 0;
};

// A backend for the cgroup `name` (e.g. "berth/<id>"; ".." is refused) in `layout`. The name is
// relative to each hierarchy's mount point, not to the caller's own cgroup, as with Docker's
// cgroupfs driver (/sys/fs/cgroup/memory/docker/<id>).
// kV1 and kHybrid give the v1 backend, kV2 the v2 backend. Touches nothing on disk.
Result<std::unique_ptr<Cgroup>> open_cgroup(const CgroupLayout& layout, const std::string& name,
                                            const CgroupOptions& options = {});

}  // namespace berth::runtime
