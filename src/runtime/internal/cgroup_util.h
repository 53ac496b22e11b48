// Shared pieces of the cgroup backends: cgroupfs file I/O, value conversions and the backend
// constructors. Internal to the runtime module (tests include it to check the conversions).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "runtime/cgroup.h"

namespace berth::runtime::internal {

// --- cgroupfs I/O. Each write is one write(2) of the whole value, as cgroupfs expects. ---

// Writes `value` to dir/file (O_WRONLY|O_TRUNC, never creates it). Error: "writing <value> to
// <path>: <strerror>".
Status write_cgroup_file(const std::string& dir, std::string_view file, std::string_view value);
// Contents of dir/file with surrounding white space trimmed. Error: "reading <path>: <strerror>".
Result<std::string> read_cgroup_file(const std::string& dir, std::string_view file);
bool cgroup_file_exists(const std::string& dir, std::string_view file);
// A number file ("123"); `max` reads as nullopt.
Result<std::optional<uint64_t>> read_cgroup_limit(const std::string& dir, std::string_view file);
// The value of `key` in a "key value" per line file (memory.stat, cpu.stat, memory.events,
// memory.oom_control); nullopt when the key is absent.
Result<std::optional<uint64_t>> read_cgroup_key(const std::string& dir, std::string_view file,
                                                std::string_view key);
// A number file, or `fallback` when the file does not exist (controller not mounted/enabled).
Result<uint64_t> read_cgroup_u64_or(const std::string& dir, std::string_view file,
                                    uint64_t fallback);
// cgroup.procs of `dir` and of every sub-cgroup below it, sorted and unique. A missing
// cgroup.procs reads as empty.
Result<std::vector<pid_t>> read_procs_recursive(const std::string& dir);
// Sends `sig` to each pid; processes that already exited are skipped.
Status signal_pids(const std::vector<pid_t>& pids, int sig);
// rmdir of `dir` after its sub-cgroups, retrying EBUSY until `timeout`. Absent dir: success.
Status remove_cgroup_dir(const std::string& dir, std::chrono::milliseconds timeout);
// Calls `done` until it returns true, sleeping a little longer each time; kUnavailable with
// `what` when `timeout` passes first.
Status poll_until(std::chrono::milliseconds timeout, const std::function<Result<bool>()>& done,
                  const std::function<std::string()>& what);

// --- conversions (as runc and Docker do them) ---

inline constexpr int64_t kCpuPeriod = 100000;  // Docker's period for --cpus
// --cpus -> CFS quota for a 100000us period; <= 0 -> -1 (no limit).
int64_t cpus_to_quota(double cpus);
// v1 cpu.shares -> v2 cpu.weight: 1 + ((shares - 2) * 9999) / 262142, shares clamped to 2..262144.
uint64_t shares_to_weight(uint64_t shares);
// blkio weight (10..1000) -> v2 io.weight (1..10000), runc's formula.
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// The v1 devices.allow/deny line: "c 1:3 rwm", "a *:* rwm".
std::string v1_device_rule(const DeviceRule& rule);
// The value of a byte limit file: "-1"/"max" for unlimited (<= 0), else the number.
std::string v1_bytes(int64_t bytes);
std::string v2_bytes(int64_t bytes);
// Splits "berth/x" into its checked components; kInvalidArgument for "", "." or "..".
Result<std::vector<std::string>> split_cgroup_name(const std::string& name);

// --- backends ---

std::unique_ptr<Cgroup> make_cgroup_v1(const CgroupLayout& layout, std::string name,
                                       const std::vector<std::string>& parts,
                                       const CgroupOptions& options);
std::unique_ptr<Cgroup> make_cgroup_v2(const CgroupLayout& layout, std::string name,
                                       const std::vector<std::string>& parts,
                                       const CgroupOptions& options);

}  // namespace berth::runtime::internal
