#include "runtime/caps.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::runtime {
namespace {

bool has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void push_unique(std::vector<std::string>& v, const std::string& s) {
  if (!has(v, s)) v.push_back(s);
}

Result<std::vector<std::string>> normalize_all(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    BERTH_ASSIGN_OR_RETURN(std::string c, normalize_cap(n));
    push_unique(out, c);
  }
  return out;
}

uint64_t read_last_cap() {
  auto text = read_file("/proc/sys/kernel/cap_last_cap");
  if (text.ok()) {
    std::string_view t = trim(*text);
    uint64_t n = 0;
    bool digits = !t.empty() && t.size() < 4;
    for (char c : t) {
      if (c < '0' || c > '9') digits = false;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (digits && n < 64) return n;
  }
  // No /proc (early in a container's life): PR_CAPBSET_READ fails with EINVAL past the last cap.
  uint64_t last = 0;
  while (last + 1 < 64 && prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
  return last;
}

uint64_t supported_mask() {
  uint64_t last = last_cap();
  return last >= 63 ? ~uint64_t{0} : (uint64_t{1} << (last + 1)) - 1;
}

// capget/capset v3 splits each 64-bit set into two 32-bit words.
void split(uint64_t set, __u32 __user_cap_data_struct::*field, __user_cap_data_struct* data) {
  data[0].*field = static_cast<__u32>(set);
  data[1].*field = static_cast<__u32>(set >> 32);
}

}  // namespace

const std::vector<std::string>& docker_default_caps() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE",
  };
  return caps;
}

const std::vector<std::string>& known_caps() {
  // Index = capability number (linux/capability.h).
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",
      "CAP_DAC_OVERRIDE",
      "CAP_DAC_READ_SEARCH",
      "CAP_FOWNER",
      "CAP_FSETID",
      "CAP_KILL",
      "CAP_SETGID",
      "CAP_SETUID",
      "CAP_SETPCAP",
      "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE",
      "CAP_NET_BROADCAST",
      "CAP_NET_ADMIN",
      "CAP_NET_RAW",
      "CAP_IPC_LOCK",
      "CAP_IPC_OWNER",
      "CAP_SYS_MODULE",
      "CAP_SYS_RAWIO",
      "CAP_SYS_CHROOT",
      "CAP_SYS_PTRACE",
      "CAP_SYS_PACCT",
      "CAP_SYS_ADMIN",
      "CAP_SYS_BOOT",
      "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE",
      "CAP_SYS_TIME",
      "CAP_SYS_TTY_CONFIG",
      "CAP_MKNOD",
      "CAP_LEASE",
      "CAP_AUDIT_WRITE",
      "CAP_AUDIT_CONTROL",
      "CAP_SETFCAP",
      "CAP_MAC_OVERRIDE",
      "CAP_MAC_ADMIN",
      "CAP_SYSLOG",
      "CAP_WAKE_ALARM",
      "CAP_BLOCK_SUSPEND",
      "CAP_AUDIT_READ",
      "CAP_PERFMON",
      "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE",
  };
  return caps;
}

uint64_t last_cap() {
  static const uint64_t last = read_last_cap();
  return last;
}

std::vector<std::string> all_caps() {
  const auto& known = known_caps();
  size_t n = std::min<size_t>(known.size(), last_cap() + 1);
  return std::vector<std::string>(known.begin(), known.begin() + static_cast<long>(n));
}

Result<std::string> normalize_cap(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "ALL") return upper;
  if (upper.rfind("CAP_", 0) != 0) upper = "CAP_" + upper;
  if (!has(known_caps(), upper)) return invalid_argument("unknown capability: \"" + upper + "\"");
  return upper;
}

Result<std::vector<std::string>> resolve_caps(const std::vector<std::string>& base,
                                              const std::vector<std::string>& cap_add,
                                              const std::vector<std::string>& cap_drop,
                                              bool privileged) {
  if (privileged) return all_caps();
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> drops, normalize_all(cap_drop));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> adds, normalize_all(cap_add));
  std::vector<std::string> out;
  if (has(adds, "ALL")) {
    for (const auto& c : all_caps())
      if (!has(drops, c)) out.push_back(c);
    return out;
  }
  if (has(drops, "ALL")) return adds;
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> basics, normalize_all(base));
  for (const auto& c : basics)
    if (c != "ALL" && !has(drops, c)) out.push_back(c);
  for (const auto& c : adds) push_unique(out, c);
  return out;
}

Result<uint64_t> cap_mask(const std::vector<std::string>& names) {
  const auto& known = known_caps();
  uint64_t mask = 0;
  for (const auto& n : names) {
    BERTH_ASSIGN_OR_RETURN(std::string c, normalize_cap(n));
    if (c == "ALL") return invalid_argument("unknown capability: \"ALL\"");
    auto bit = static_cast<uint64_t>(std::find(known.begin(), known.end(), c) - known.begin());
    mask |= uint64_t{1} << bit;
  }
  return mask & supported_mask();
}

std::vector<std::string> cap_names(uint64_t mask) {
  std::vector<std::string> out;
  const auto& known = known_caps();
  for (size_t bit = 0; bit < known.size(); ++bit)
    if (mask & (uint64_t{1} << bit)) out.push_back(known[bit]);
  return out;
}

CapNames docker_cap_names(const std::vector<std::string>& caps) {
  CapNames names;
  names.bounding = names.effective = names.permitted = caps;
  return names;
}

Result<CapSets> cap_sets_from_names(const CapNames& names) {
  CapSets s;
  BERTH_ASSIGN_OR_RETURN(s.bounding, cap_mask(names.bounding));
  BERTH_ASSIGN_OR_RETURN(s.effective, cap_mask(names.effective));
  BERTH_ASSIGN_OR_RETURN(s.permitted, cap_mask(names.permitted));
  BERTH_ASSIGN_OR_RETURN(s.inheritable, cap_mask(names.inheritable));
  BERTH_ASSIGN_OR_RETURN(s.ambient, cap_mask(names.ambient));
  return s;
}

int apply_caps(const CapSets& sets) noexcept {
  __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return -errno;
  // After setresuid with KEEPCAPS the effective set is empty; CAP_SETPCAP must be effective for
  // PR_CAPBSET_DROP, and it is still permitted.
  data[0].effective = data[0].permitted;
  data[1].effective = data[1].permitted;
  if (syscall(SYS_capset, &hdr, data) != 0) return -errno;
  for (unsigned long cap = 0; cap < 64; ++cap) {
    if (sets.bounding & (uint64_t{1} << cap)) continue;
    int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in_set < 0) {
      if (errno == EINVAL) break;  // past the kernel's last capability
      return -errno;
    }
    if (in_set == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return -errno;
  }
  split(sets.effective, &__user_cap_data_struct::effective, data);
  split(sets.permitted, &__user_cap_data_struct::permitted, data);
  split(sets.inheritable, &__user_cap_data_struct::inheritable, data);
  if (syscall(SYS_capset, &hdr, data) != 0) return -errno;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    if (errno != EINVAL || sets.ambient != 0) return -errno;  // EINVAL: kernel before 4.3
    return 0;
  }
  for (unsigned long cap = 0; cap < 64; ++cap) {
    if (!(sets.ambient & (uint64_t{1} << cap))) continue;
    // Raising needs the cap in permitted and inheritable; runc (1.1.2+) only warns when it
    // cannot, and specs rely on that (`runc spec` lists ambient caps without inheritable ones).
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
  return 0;
}

}  // namespace berth::runtime
