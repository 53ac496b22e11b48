// Cgroup layout detection, resource validation, the backend factory and the conversions shared
// by both backends. The backends are cgroup_v1.cc and cgroup_v2.cc; file I/O is cgroup_io.cc.
#include "runtime/cgroup.h"

#include <sched.h>
#include <unistd.h>

#include <cmath>
#include <set>

#include "base/fs.h"
#include "base/strings.h"
#include "runtime/internal/cgroup_util.h"

namespace berth::runtime {

namespace {

constexpr int64_t kMinMemory = 6 * 1024 * 1024;  // Docker's linuxMinMemory

Status validate_memory(const Resources& r, bool creating) {
  if (r.memory && *r.memory > 0 && *r.memory < kMinMemory) {
    return invalid_argument("Minimum memory limit allowed is 6MB");
  }
  if (r.memory_swap && *r.memory_swap != -1) {
    bool have_memory = r.memory && *r.memory > 0;
    if (!have_memory && creating) {
      return invalid_argument(
          "You should always set the Memory limit when using Memoryswap limit, see usage");
    }
    if (*r.memory_swap < 0 || (have_memory && *r.memory_swap < *r.memory)) {
      return invalid_argument(
          "Minimum memoryswap limit should be larger than memory limit, see usage");
    }
  }
  if (r.memory_reservation && *r.memory_reservation > 0) {
    if (*r.memory_reservation < kMinMemory) {
      return invalid_argument("Minimum memory reservation allowed is 6MB");
    }
    if (r.memory && *r.memory > 0 && *r.memory < *r.memory_reservation) {
      return invalid_argument(
          "Minimum memory limit can not be less than memory reservation limit, see usage");
    }
  }
  return {};
}

Status validate_cpu(const Resources& r, int host_cpus) {
  if (r.cpus) {
    if (r.cpu_period) {
      return invalid_argument("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    }
    if (r.cpu_quota) {
      return invalid_argument("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    }
    double c = *r.cpus;
    if (std::isnan(c) || c < 0 || (c > 0 && c < 0.01) || c > host_cpus) {
      return invalid_argument("Range of CPUs is from 0.01 to " + std::to_string(host_cpus) +
                              ".00, as there are only " + std::to_string(host_cpus) +
                              " CPUs available");
    }
  }
  if (r.cpu_period && (*r.cpu_period < 1000 || *r.cpu_period > 1000000)) {
    return invalid_argument(
        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  }
  if (r.cpu_quota && *r.cpu_quota > 0 && *r.cpu_quota < 1000) {
    return invalid_argument("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  }
  return {};
}

Status validate_device(const DeviceRule& d) {
  if (d.type != 'a' && d.type != 'b' && d.type != 'c') {
    return invalid_argument(std::string("invalid device type '") + d.type + "': must be a, b or c");
  }
  bool ok = !d.access.empty() && d.access.size() <= 3;
  for (char c : d.access) ok = ok && (c == 'r' || c == 'w' || c == 'm');
  if (!ok) {
    return invalid_argument("invalid device access \"" + d.access + "\": must be a subset of rwm");
  }
  if (d.major < -1 || d.minor < -1 || d.major > 0xfffff || d.minor > 0xfffff) {
    return invalid_argument("invalid device number " + std::to_string(d.major) + ":" +
                            std::to_string(d.minor));
  }
  return {};
}

// Mount points in mountinfo escape space, tab, newline and backslash as \ooo.
std::string unescape_mount_field(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto octal = [&](size_t j) { return s[j] >= '0' && s[j] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool is_at_or_below(const std::string& path, const std::string& dir) {
  if (path == dir) return true;
  std::string prefix = dir == "/" ? dir : dir + "/";
  return path.compare(0, prefix.size(), prefix) == 0;
}

const std::set<std::string>& known_v1_controllers() {
  static const std::set<std::string> k = {"blkio",    "cpu",        "cpuacct", "cpuset", "devices",
                                          "freezer",  "hugetlb",    "memory",  "misc",   "net_cls",
                                          "net_prio", "perf_event", "pids",    "rdma"};
  return k;
}

struct Mount {
  std::string point, fstype, super_opts;
};

// The mounts visible at or below `root`, later mounts hiding what they cover.
Result<std::vector<Mount>> visible_mounts(std::string_view mountinfo, const std::string& root) {
  std::vector<Mount> mounts;
  for (const std::string& line : split(mountinfo, '\n')) {
    if (trim(line).empty()) continue;
    std::vector<std::string> f = split(trim(line), ' ');
    size_t sep = 6;
    while (sep < f.size() && f[sep] != "-") ++sep;
    if (f.size() < 5 || sep + 3 >= f.size()) {
      return invalid_argument("malformed mountinfo line: " + line);
    }
    Mount m{unescape_mount_field(f[4]), f[sep + 1], f[sep + 3]};
    if (!is_at_or_below(m.point, root)) continue;
    std::erase_if(mounts, [&](const Mount& old) { return is_at_or_below(old.point, m.point); });
    mounts.push_back(std::move(m));
  }
  return mounts;
}

}  // namespace

Status validate_resources(const Resources& r, int host_cpus, bool creating) {
  BERTH_TRY(validate_memory(r, creating));
  BERTH_TRY(validate_cpu(r, host_cpus));
  if (r.blkio_weight && *r.blkio_weight != 0 && (*r.blkio_weight < 10 || *r.blkio_weight > 1000)) {
    return invalid_argument("Range of blkio weight is from 10 to 1000");
  }
  for (const DeviceRule& d : r.devices) BERTH_TRY(validate_device(d));
  return {};
}

int host_cpu_count() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string_view cgroup_kind_name(CgroupLayout::Kind kind) {
  switch (kind) {
    case CgroupLayout::kV1:
      return "v1";
    case CgroupLayout::kV2:
      return "v2";
    case CgroupLayout::kHybrid:
      return "hybrid";
  }
  return "v2";
}

Result<CgroupLayout> parse_cgroup_layout(std::string_view mountinfo, const std::string& root) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Mount> mounts, visible_mounts(mountinfo, root));
  CgroupLayout layout;
  layout.root = root;
  for (const Mount& m : mounts) {
    if (m.fstype == "cgroup2") {
      // The root mount wins over a nested one (a v2 host never has both).
      if (layout.unified.empty() || m.point == root) layout.unified = m.point;
    } else if (m.fstype == "cgroup") {
      for (const std::string& opt : split(m.super_opts, ',')) {
        if (known_v1_controllers().count(opt)) layout.v1.emplace(opt, m.point);
      }
    }
  }
  if (layout.v1.empty() && layout.unified.empty()) {
    return not_found("no cgroup file system is mounted at " + root);
  }
  if (layout.v1.empty()) {
    layout.kind = CgroupLayout::kV2;
  } else {
    layout.kind = layout.unified.empty() ? CgroupLayout::kV1 : CgroupLayout::kHybrid;
  }
  return layout;
}

Result<CgroupLayout> detect_cgroups(const std::string& root, const std::string& mountinfo_path) {
  auto text = read_file(mountinfo_path);
  if (!text.ok()) return std::move(text).error().context("detecting cgroups");
  auto layout = parse_cgroup_layout(*text, root);
  if (!layout.ok()) return std::move(layout).error().context("detecting cgroups");
  return layout;
}

Result<std::unique_ptr<Cgroup>> open_cgroup(const CgroupLayout& layout, const std::string& name,
                                            const CgroupOptions& options) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> parts, internal::split_cgroup_name(name));
  if (layout.kind == CgroupLayout::kV2) {
    if (layout.unified.empty()) return invalid_argument("cgroup v2 layout without a mount point");
    return internal::make_cgroup_v2(layout, name, parts, options);
  }
  if (layout.v1.empty()) return invalid_argument("cgroup v1 layout without controllers");
  return internal::make_cgroup_v1(layout, name, parts, options);
}

namespace internal {

int64_t cpus_to_quota(double cpus) {
  if (cpus <= 0) return -1;
  return static_cast<int64_t>(std::llround(cpus * kCpuPeriod));
}

uint64_t shares_to_weight(uint64_t shares) {
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight < 10) weight = 10;
  return 1 + ((weight - 10) * 9999) / 990;
}

std::string v1_device_rule(const DeviceRule& rule) {
  auto num = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  return std::string(1, rule.type) + " " + num(rule.major) + ":" + num(rule.minor) + " " +
         rule.access;
}

std::string v1_bytes(int64_t bytes) { return bytes <= 0 ? "-1" : std::to_string(bytes); }
std::string v2_bytes(int64_t bytes) { return bytes <= 0 ? "max" : std::to_string(bytes); }

Result<std::vector<std::string>> split_cgroup_name(const std::string& name) {
  std::vector<std::string> parts;
  for (const std::string& p : split(name, '/')) {
    if (p.empty()) continue;  // leading "/" and doubled slashes
    if (p == "." || p == "..") {
      return invalid_argument("invalid cgroup name \"" + name + "\": must not contain . or ..");
    }
    parts.push_back(p);
  }
  if (parts.empty()) return invalid_argument("invalid cgroup name \"" + name + "\": empty");
  return parts;
}

}  // namespace internal
}  // namespace berth::runtime
