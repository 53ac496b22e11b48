#include "runtime/spec.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <memory>
#include <set>

#include "base/strings.h"

namespace berth::runtime {
namespace {

constexpr int64_t kMinMemory = 6 * 1024 * 1024;  // dockerd's linuxMinMemory
constexpr int64_t kMinCpuShares = 2;             // the kernel's range, as dockerd clamps
constexpr int64_t kMaxCpuShares = 262144;
constexpr uint64_t kCpuPeriod = 100000;  // dockerd's --cpus period, in microseconds
constexpr int64_t kMaxId = INT32_MAX;    // runc's limit on uids and gids

Error flag_error(std::string_view flag, std::string_view value, std::string_view why) {
  return invalid_argument("invalid argument \"" + std::string(value) + "\" for \"" +
                          std::string(flag) + "\" flag: " + std::string(why));
}

// strconv.ParseInt(s, 10, 64), with Go's error text.
Result<int64_t> parse_go_int(std::string_view s) {
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  const std::string quoted = "strconv.ParseInt: parsing \"" + std::string(s) + "\": ";
  if (digits.empty() || (digits.front() == '-' && s.front() == '+') ||
      (ec != std::errc() && ec != std::errc::result_out_of_range) ||
      end != digits.data() + digits.size())
    return invalid_argument(quoted + "invalid syntax");
  if (ec == std::errc::result_out_of_range) return invalid_argument(quoted + "value out of range");
  return v;
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Go's strconv.Atoi as passwd parsing uses it: nullopt when not a number.
std::optional<int64_t> atoi_opt(std::string_view s) {
  auto r = parse_go_int(s);
  if (!r.ok()) return std::nullopt;
  return *r;
}

// filepath.Clean for the absolute and relative paths of mount destinations and cwd.
std::string clean_path(std::string_view p) {
  bool abs = !p.empty() && p.front() == '/';
  std::vector<std::string> out;
  for (auto& part : split(p, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty() && out.back() != "..")
        out.pop_back();
      else if (!abs)
        out.push_back(part);
      continue;
    }
    out.push_back(part);
  }
  std::string joined = join(out, "/");
  if (abs) return "/" + joined;
  return joined.empty() ? "." : joined;
}

size_t path_depth(const std::string& p) { return split(clean_path(p), '/').size(); }

std::string env_key(std::string_view kv) { return std::string(kv.substr(0, kv.find('='))); }

bool has_option(const std::vector<std::string>& opts, std::string_view o) {
  return std::find(opts.begin(), opts.end(), o) != opts.end();
}

// ---- /etc/passwd and /etc/group, read as runc's libcontainer/user reads them ----

struct PasswdEntry {
  std::string name;
  int64_t uid = 0, gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  int64_t gid = 0;
  std::vector<std::string> members;
};

std::vector<std::string> text_lines(std::string_view text) {
  std::vector<std::string> out = split(text, '\n');
  for (auto& l : out)
    if (!l.empty() && l.back() == '\r') l.pop_back();
  return out;
}

std::string field(const std::vector<std::string>& f, size_t i) { return i < f.size() ? f[i] : ""; }

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (const auto& raw : text_lines(text)) {
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    auto f = split(line, ':');
    out.push_back({field(f, 0), atoi_opt(field(f, 2)).value_or(0),
                   atoi_opt(field(f, 3)).value_or(0), field(f, 5)});
  }
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for (const auto& line : text_lines(text)) {
    if (line.empty()) continue;
    auto f = split(line, ':');
    GroupEntry g{field(f, 0), atoi_opt(field(f, 2)).value_or(0), {}};
    if (!field(f, 3).empty()) g.members = split(field(f, 3), ',');
    out.push_back(std::move(g));
  }
  return out;
}

Status check_id_range(int64_t id) {
  if (id < 0 || id > kMaxId)
    return invalid_argument("uids and gids must be in range 0-" + std::to_string(kMaxId));
  return ok_status();
}

Error no_such_group(std::string_view g) {
  return not_found("unable to find group " + std::string(g) +
                   ": no matching entries in group file");
}

// ---- devices ----

std::string errno_text(int err) {
  // Go prints os errors in lowercase ("no such file or directory"); keep Docker's wording.
  std::string s = strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::optional<oci::LinuxDevice> device_node(const std::string& host_path,
                                            const std::string& container_path) {
  struct stat st;
  if (lstat(host_path.c_str(), &st) != 0) return std::nullopt;
  const char* type = S_ISCHR(st.st_mode) ? "c" : S_ISBLK(st.st_mode) ? "b" : nullptr;
  if (!type) return std::nullopt;
  return oci::LinuxDevice{container_path,
                          type,
                          static_cast<int64_t>(major(st.st_rdev)),
                          static_cast<int64_t>(minor(st.st_rdev)),
                          static_cast<uint32_t>(st.st_mode & 07777),
                          static_cast<uint32_t>(st.st_uid),
                          static_cast<uint32_t>(st.st_gid)};
}

std::vector<std::string> sorted_entries(const std::string& dir) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return names;
  while (dirent* e = readdir(d.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Appends the device nodes under host_dir (recursively, without following symlinks), their
// container paths under container_dir. `skip` names entries never to descend into or take.
void walk_devices(const std::string& host_dir, const std::string& container_dir,
                  const std::set<std::string>& skip, std::vector<oci::LinuxDevice>& out) {
  for (const auto& name : sorted_entries(host_dir)) {
    if (skip.count(name)) continue;
    std::string host = host_dir + "/" + name;
    std::string ctr = container_dir + "/" + name;
    struct stat st;
    if (lstat(host.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      walk_devices(host, ctr, skip, out);
    } else if (auto node = device_node(host, ctr)) {
      out.push_back(std::move(*node));
    }
  }
}

oci::DeviceCgroup allow_rule(const oci::LinuxDevice& d, const std::string& access) {
  return {true, d.type, d.major, d.minor, access};
}

bool valid_device_mode(std::string_view mode) {
  if (mode.empty()) return false;
  std::set<char> seen;
  for (char c : mode)
    if ((c != 'r' && c != 'w' && c != 'm') || !seen.insert(c).second) return false;
  return true;
}

// ---- mounts ----

// moby/sys/mount.MergeTmpfsOptions: later options win over earlier ones of the same kind
// (exec over noexec, size=2 over size=1, one propagation mode), order otherwise kept.
Result<std::vector<std::string>> merge_tmpfs_options(const std::vector<std::string>& options) {
  static const std::vector<std::vector<std::string>> kFamilies = {
      {"ro", "rw"},
      {"suid", "nosuid"},
      {"dev", "nodev"},
      {"exec", "noexec"},
      {"sync", "async"},
      {"dirsync"},
      {"remount"},
      {"mand", "nomand"},
      {"atime", "noatime"},
      {"diratime", "nodiratime"},
      {"bind"},
      {"rbind"},
      {"relatime", "norelatime"},
      {"strictatime", "nostrictatime"},
      {"private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"}};
  static const std::set<std::string> kData = {"size",      "mode",      "uid", "gid",
                                              "nr_inodes", "nr_blocks", "mpol"};
  std::vector<std::string> out;
  std::set<std::string> seen;  // family leader or data key
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    const std::string& o = *it;
    if (o == "defaults") continue;
    std::string key;
    for (const auto& fam : kFamilies)
      if (has_option(fam, o)) key = fam.front();
    if (key.empty()) {
      auto kv = split_once(o, '=');
      if (!kv.found || !kData.count(kv.first))
        return invalid_argument("invalid tmpfs option [\"" + o + "\"]");
      key = kv.first + "=";
    }
    if (seen.insert(key).second) out.insert(out.begin(), o);
  }
  return out;
}

Result<std::string> mount_destination(std::string_view dest, std::string_view type) {
  if (dest.empty() || dest.front() != '/')
    return invalid_argument("invalid mount config for type \"" + std::string(type) +
                            "\": invalid mount path: '" + std::string(dest) +
                            "' mount path must be absolute");
  std::string clean = clean_path(dest);
  if (clean == "/") return invalid_argument("invalid specification: destination can't be '/'");
  return clean;
}

Result<oci::Mount> tmpfs_mount(const std::string& flag) {
  auto [dest, data, has_data] = split_once(flag, ':');
  if (dest.empty() || dest.front() != '/')
    return flag_error("--tmpfs", flag, "mount path must be absolute");
  std::vector<std::string> opts = {"noexec", "nosuid", "nodev", "rprivate"};
  if (!data.empty())
    for (auto& o : split(data, ',')) opts.push_back(o);
  BERTH_ASSIGN_OR_RETURN(auto merged, merge_tmpfs_options(opts));
  BERTH_ASSIGN_OR_RETURN(std::string d, mount_destination(dest, "tmpfs"));
  return oci::Mount{d, "tmpfs", "tmpfs", std::move(merged)};
}

Result<oci::Mount> bind_mount(const BindMount& b) {
  static const std::set<std::string> kModes = {"private", "rprivate", "shared",
                                               "rshared", "slave",    "rslave"};
  if (!kModes.count(b.propagation))
    return invalid_argument("invalid propagation mode: " + b.propagation);
  BERTH_ASSIGN_OR_RETURN(std::string d, mount_destination(b.destination, "bind"));
  std::vector<std::string> opts = {"rbind"};
  if (b.readonly) opts.push_back("ro");
  opts.push_back(b.propagation);
  if (b.idmap) opts.push_back("idmap");
  return oci::Mount{d, "bind", b.source, std::move(opts)};
}

// The user's mounts (binds, tmpfs, host IPC's /dev/shm), sorted parents first as dockerd does.
Result<std::vector<oci::Mount>> user_mounts(const RunOptions& o) {
  std::vector<oci::Mount> out;
  for (const auto& b : o.binds) {
    BERTH_ASSIGN_OR_RETURN(auto m, bind_mount(b));
    out.push_back(std::move(m));
  }
  for (const auto& t : o.tmpfs) {
    BERTH_ASSIGN_OR_RETURN(auto m, tmpfs_mount(t));
    out.push_back(std::move(m));
  }
  std::set<std::string> dests;
  for (const auto& m : out)
    if (!dests.insert(m.destination).second)
      return invalid_argument("Duplicate mount point: " + m.destination);
  if (o.host_ipc && !dests.count("/dev/shm"))
    out.push_back({"/dev/shm", "bind", "/dev/shm", {"rbind", "rprivate"}});
  std::stable_sort(out.begin(), out.end(), [](const oci::Mount& a, const oci::Mount& b) {
    return path_depth(a.destination) < path_depth(b.destination);
  });
  return out;
}

void remove_option(oci::Mount& m, std::string_view opt) {
  m.options.erase(std::remove(m.options.begin(), m.options.end(), opt), m.options.end());
}

Result<std::vector<oci::Mount>> build_mounts(const RunOptions& o) {
  if (o.shm_size < 0) return invalid_argument("SHM size can not be less than 0");
  BERTH_ASSIGN_OR_RETURN(auto user, user_mounts(o));
  std::set<std::string> user_dests;
  for (const auto& m : user) user_dests.insert(m.destination);
  const bool user_dev = user_dests.count("/dev") > 0;

  std::vector<oci::Mount> out;
  for (auto& m : docker_default_mounts(o.shm_size ? o.shm_size : kDefaultShmSize)) {
    if (user_dests.count(m.destination)) continue;
    if (user_dev && m.destination.rfind("/dev/", 0) == 0) continue;
    static const std::set<std::string> kStayWritable = {"/proc", "/dev/pts", "/dev/shm",
                                                        "/dev/mqueue", "/dev"};
    if (o.read_only && !kStayWritable.count(m.destination) && !has_option(m.options, "ro"))
      m.options.push_back("ro");
    // Privileged containers may write /sys and cgroupfs (dockerd clears "ro" on both).
    if (o.privileged && (m.destination == "/sys" || m.type == "cgroup")) remove_option(m, "ro");
    out.push_back(std::move(m));
  }
  out.insert(out.end(), user.begin(), user.end());
  return out;
}

// ---- process ----

Result<std::vector<std::string>> process_args(const RunOptions& o) {
  std::vector<std::string> entry, cmd;
  if (o.entrypoint) {
    // Docker: --entrypoint (even an empty one) drops the image's Cmd; [""] means "none".
    if (!(o.entrypoint->size() == 1 && o.entrypoint->front().empty())) entry = *o.entrypoint;
    cmd = o.command;
  } else {
    entry = o.image.entrypoint.value_or(std::vector<std::string>{});
    cmd = o.command.empty() ? o.image.cmd.value_or(std::vector<std::string>{}) : o.command;
  }
  entry.insert(entry.end(), cmd.begin(), cmd.end());
  if (entry.empty()) return invalid_argument("no command specified");
  return entry;
}

Result<std::string> working_dir(const RunOptions& o) {
  if (!o.working_dir.empty()) {
    if (o.working_dir.front() != '/')
      return invalid_argument("the working directory '" + o.working_dir +
                              "' is invalid, it needs to be an absolute path");
    return clean_path(o.working_dir);
  }
  if (o.image.working_dir.empty()) return std::string("/");
  return clean_path("/" + o.image.working_dir);
}

std::vector<std::string> process_env(const RunOptions& o, const std::string& home) {
  // dockerd: Config.Env = -e entries, then the image's entries whose keys -e did not set...
  std::set<std::string> user_keys;
  for (const auto& e : o.env) user_keys.insert(env_key(e));
  std::vector<std::string> config_env = o.env;
  for (const auto& e : o.image.env)
    if (!user_keys.count(env_key(e))) config_env.push_back(e);
  // ...laid over PATH, HOSTNAME and TERM.
  auto env = merge_env(docker_default_env(o.hostname, o.tty), config_env);
  bool has_home = std::any_of(env.begin(), env.end(),
                              [](const std::string& e) { return env_key(e) == "HOME"; });
  if (!has_home) env.push_back("HOME=" + home);
  return env;
}

Result<oci::User> process_user(const RunOptions& o, std::string* home) {
  const std::string& spec = o.user.empty() ? o.image.user : o.user;
  BERTH_ASSIGN_OR_RETURN(UserSpec u, resolve_user(spec, o.passwd, o.group));
  BERTH_ASSIGN_OR_RETURN(auto added, resolve_groups(o.group_add, o.group));
  oci::User out;
  out.uid = u.uid;
  out.gid = u.gid;
  // The primary gid comes first, as dockerd has done since CVE-2023-25173.
  std::vector<uint32_t> all = {u.gid};
  all.insert(all.end(), u.supplementary_gids.begin(), u.supplementary_gids.end());
  all.insert(all.end(), added.begin(), added.end());
  for (uint32_t g : all)
    if (!std::count(out.additional_gids.begin(), out.additional_gids.end(), g))
      out.additional_gids.push_back(g);
  *home = u.home;
  return out;
}

Result<std::vector<oci::Rlimit>> process_rlimits(const RunOptions& o) {
  std::vector<oci::Rlimit> out;
  for (const auto& flag : o.ulimits) {
    BERTH_ASSIGN_OR_RETURN(oci::Rlimit r, parse_ulimit(flag));
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const oci::Rlimit& x) { return x.type == r.type; });
    if (same != out.end())
      *same = r;  // the last --ulimit for a name wins, as in Docker
    else
      out.push_back(std::move(r));
  }
  return out;
}

Result<oci::Process> build_process(const RunOptions& o) {
  oci::Process p;
  p.terminal = o.tty;
  std::string home;
  BERTH_ASSIGN_OR_RETURN(p.user, process_user(o, &home));
  BERTH_ASSIGN_OR_RETURN(p.args, process_args(o));
  p.env = process_env(o, home);
  BERTH_ASSIGN_OR_RETURN(p.cwd, working_dir(o));
  p.capabilities = oci::Capabilities{o.capabilities, o.capabilities, {}, o.capabilities, {}};
  BERTH_ASSIGN_OR_RETURN(p.rlimits, process_rlimits(o));
  p.no_new_privileges = o.no_new_privileges;
  return p;
}

// ---- linux ----

std::vector<oci::Namespace> namespaces(const RunOptions& o) {
  std::vector<oci::Namespace> out = {{"mount", ""}};
  if (o.network == NetworkMode::kNone) out.push_back({"network", ""});
  if (o.network == NetworkMode::kJoin) out.push_back({"network", o.netns_path});
  if (!o.host_uts) out.push_back({"uts", ""});
  if (!o.host_pid) out.push_back({"pid", ""});
  if (!o.host_ipc) out.push_back({"ipc", ""});
  if (o.private_cgroupns) out.push_back({"cgroup", ""});
  return out;
}

// runc's validation, done here so the error comes before anything is created.
Status check_sysctls(const RunOptions& o) {
  static const std::set<std::string> kIpc = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const auto& [key, value] : o.sysctls) {
    const std::string q = "sysctl \"" + key + "\"";
    if (kIpc.count(key) || key.rfind("fs.mqueue.", 0) == 0) {
      if (o.host_ipc) return invalid_argument(q + " is not allowed in the hosts ipc namespace");
      continue;
    }
    if (key.rfind("net.", 0) == 0) {
      if (o.network == NetworkMode::kHost)
        return invalid_argument(q + " is not allowed in the hosts network namespace");
      continue;
    }
    if (!o.host_uts && key == "kernel.domainname") continue;
    if (!o.host_uts && key == "kernel.hostname")
      return invalid_argument(q +
                              " is not allowed as it conflicts with the OCI \"hostname\" field");
    return invalid_argument(q + " is not in a separate kernel namespace");
  }
  return ok_status();
}

Result<std::optional<oci::Memory>> memory_resources(const RunOptions& o) {
  if (o.memory != 0 && o.memory < kMinMemory)
    return invalid_argument("Minimum memory limit allowed is 6MB");
  if (o.memory == 0 && o.memory_swap > 0)
    return invalid_argument(
        "You should always set the Memory limit when using Memoryswap limit, see usage");
  if (o.memory > 0 && o.memory_swap > 0 && o.memory_swap < o.memory)
    return invalid_argument(
        "Minimum memoryswap limit should be larger than memory limit, see usage");
  if (o.memory_reservation != 0 && o.memory_reservation < kMinMemory)
    return invalid_argument("Minimum memory reservation allowed is 6MB");
  if (o.memory > 0 && o.memory_reservation > 0 && o.memory < o.memory_reservation)
    return invalid_argument(
        "Minimum memory limit can not be less than memory reservation limit, see usage");
  const bool swappiness = o.memory_swappiness && *o.memory_swappiness != -1;
  if (swappiness && (*o.memory_swappiness < 0 || *o.memory_swappiness > 100))
    return invalid_argument("Invalid value: " + std::to_string(*o.memory_swappiness) +
                            ", valid memory swappiness range is 0-100");
  oci::Memory m;
  if (o.memory > 0) m.limit = o.memory;
  if (o.memory_reservation > 0) m.reservation = o.memory_reservation;
  int64_t swap = o.memory_swap;
  if (o.memory > 0 && swap == 0) swap = 2 * o.memory;  // dockerd's default: swap = memory
  if (o.memory > 0 && !o.swap_limit_supported) swap = -1;
  if (swap != 0) m.swap = swap;
  if (swappiness) m.swappiness = static_cast<uint64_t>(*o.memory_swappiness);
  if (o.oom_kill_disable) m.disable_oom_killer = true;
  if (m == oci::Memory{}) return std::optional<oci::Memory>();
  return std::optional<oci::Memory>(m);
}

// docker's parsers.ParseUintList syntax: "0-3,5".
bool valid_cpuset(const std::string& list) {
  for (const auto& part : split(list, ',')) {
    auto [lo, hi, range] = split_once(part, '-');
    auto l = is_digits(lo) ? atoi_opt(lo) : std::nullopt;
    auto h = range ? (is_digits(hi) ? atoi_opt(hi) : std::nullopt) : l;
    if (!l || !h || *l > *h) return false;
  }
  return true;
}

Result<std::optional<oci::Cpu>> cpu_resources(const RunOptions& o) {
  if (o.cpu_shares < 0) return invalid_argument("shares: invalid argument");
  if (o.nano_cpus < 0 || (o.host_cpus > 0 && o.nano_cpus > 0 &&
                          (o.nano_cpus < 10000000 || o.nano_cpus > o.host_cpus * 1000000000LL))) {
    if (o.host_cpus <= 0) return invalid_argument("--cpus: the number of CPUs must be positive");
    return invalid_argument("Range of CPUs is from 0.01 to " + std::to_string(o.host_cpus) +
                            ".00, as there are only " + std::to_string(o.host_cpus) +
                            " CPUs available");
  }
  if (!o.cpuset_cpus.empty() && !valid_cpuset(o.cpuset_cpus))
    return invalid_argument("Invalid value " + o.cpuset_cpus + " for cpuset cpus");
  if (!o.cpuset_mems.empty() && !valid_cpuset(o.cpuset_mems))
    return invalid_argument("Invalid value " + o.cpuset_mems + " for cpuset mems");
  oci::Cpu c;
  if (o.cpu_shares > 0)
    c.shares = static_cast<uint64_t>(std::clamp(o.cpu_shares, kMinCpuShares, kMaxCpuShares));
  if (o.nano_cpus > 0) {
    c.period = kCpuPeriod;
    c.quota = o.nano_cpus * static_cast<int64_t>(kCpuPeriod) / 1000000000LL;
  }
  c.cpus = o.cpuset_cpus;
  c.mems = o.cpuset_mems;
  if (c == oci::Cpu{}) return std::optional<oci::Cpu>();
  return std::optional<oci::Cpu>(c);
}

// Device nodes and cgroup rules: Docker's defaults plus --device, or everything if privileged.
Status add_devices(const RunOptions& o, oci::Linux& l) {
  std::vector<oci::LinuxDevice> nodes;
  std::vector<oci::DeviceCgroup> rules;
  if (o.privileged) {
    BERTH_ASSIGN_OR_RETURN(nodes, host_devices(o.host_dev_dir));
    rules = {oci::DeviceCgroup{true, "", std::nullopt, std::nullopt, "rwm"}};
  } else {
    rules = docker_device_cgroup_rules();
  }
  for (const auto& flag : o.devices) {
    BERTH_ASSIGN_OR_RETURN(DeviceMapping m, parse_device(flag));
    BERTH_ASSIGN_OR_RETURN(DeviceGrant g, devices_from_path(m));
    for (auto& n : g.nodes) {
      auto same = std::find_if(nodes.begin(), nodes.end(),
                               [&](const oci::LinuxDevice& d) { return d.path == n.path; });
      if (same == nodes.end()) nodes.push_back(std::move(n));
    }
    if (!o.privileged) rules.insert(rules.end(), g.rules.begin(), g.rules.end());
  }
  l.devices = std::move(nodes);
  l.resources->devices = std::move(rules);
  return ok_status();
}

Result<oci::Linux> build_linux(const RunOptions& o) {
  BERTH_TRY(check_sysctls(o));
  oci::Linux l;
  l.sysctl = o.sysctls;
  // Docker's defaults (since 20.10) in a network namespace of the container's own: any user may
  // bind ports below 1024 and ping. A non-root USER serving on port 80 works as under Docker,
  // and so does root in a user namespace, which holds no capability over this namespace.
  if (o.network != NetworkMode::kHost) {
    l.sysctl.try_emplace("net.ipv4.ip_unprivileged_port_start", "0");
    l.sysctl.try_emplace("net.ipv4.ping_group_range", "0 2147483647");
  }
  l.resources = oci::Resources{};
  BERTH_TRY(add_devices(o, l));
  BERTH_ASSIGN_OR_RETURN(l.resources->memory, memory_resources(o));
  BERTH_ASSIGN_OR_RETURN(l.resources->cpu, cpu_resources(o));
  if (o.pids_limit) l.resources->pids = oci::Pids{*o.pids_limit > 0 ? *o.pids_limit : -1};
  l.cgroups_path = o.cgroups_path;
  l.namespaces = namespaces(o);
  if (!o.uid_map.empty()) {  // --userns (runtime/userns.h)
    l.namespaces.push_back({"user", ""});
    l.uid_mappings = o.uid_map;
    l.gid_mappings = o.gid_map.empty() ? o.uid_map : o.gid_map;
  }
  if (!o.privileged) {
    l.seccomp = o.seccomp;
    l.masked_paths = docker_masked_paths();
    l.readonly_paths = docker_readonly_paths();
  }
  return l;
}

}  // namespace

// ---- defaults ----

std::vector<oci::Mount> docker_default_mounts(int64_t shm_size) {
  return {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid", "noexec", "nodev"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/dev/shm",
       "tmpfs",
       "shm",
       {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(shm_size)}},
  };
}

std::vector<std::string> docker_masked_paths() {
  return {"/proc/asound",
          "/proc/acpi",
          "/proc/kcore",
          "/proc/keys",
          "/proc/latency_stats",
          "/proc/timer_list",
          "/proc/timer_stats",
          "/proc/sched_debug",
          "/proc/scsi",
          "/sys/firmware",
          "/sys/devices/virtual/powercap"};
}

std::vector<std::string> docker_readonly_paths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

std::vector<oci::LinuxDevice> default_devices() {
  auto dev = [](const char* path, int64_t maj, int64_t min) {
    return oci::LinuxDevice{path, "c", maj, min, 0666u, 0u, 0u};
  };
  return {dev("/dev/null", 1, 3),   dev("/dev/zero", 1, 5),    dev("/dev/full", 1, 7),
          dev("/dev/random", 1, 8), dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0)};
}

namespace {
oci::DeviceCgroup rule(bool allow, const char* type, std::optional<int64_t> maj,
                       std::optional<int64_t> min, const char* access) {
  return {allow, type, maj, min, access};
}
}  // namespace

std::vector<oci::DeviceCgroup> docker_device_cgroup_rules() {
  return {rule(false, "", std::nullopt, std::nullopt, "rwm"),
          rule(true, "c", 1, 5, "rwm"),
          rule(true, "c", 1, 3, "rwm"),
          rule(true, "c", 1, 9, "rwm"),
          rule(true, "c", 1, 8, "rwm"),
          rule(true, "c", 5, 0, "rwm"),
          rule(true, "c", 5, 1, "rwm"),
          rule(false, "c", 10, 229, "rwm")};
}

std::vector<oci::DeviceCgroup> runc_implicit_device_rules() {
  return {rule(true, "c", std::nullopt, std::nullopt, "m"),
          rule(true, "b", std::nullopt, std::nullopt, "m"),
          rule(true, "c", 1, 3, "rwm"),
          rule(true, "c", 1, 8, "rwm"),
          rule(true, "c", 1, 7, "rwm"),
          rule(true, "c", 5, 0, "rwm"),
          rule(true, "c", 1, 5, "rwm"),
          rule(true, "c", 1, 9, "rwm"),
          rule(true, "c", 136, std::nullopt, "rwm"),
          rule(true, "c", 5, 2, "rwm"),
          rule(true, "c", 10, 200, "rwm")};
}

std::vector<std::string> docker_default_env(std::string_view hostname, bool tty) {
  std::vector<std::string> env = {std::string("PATH=") + kDefaultPath,
                                  "HOSTNAME=" + std::string(hostname)};
  if (tty) env.push_back("TERM=xterm");
  return env;
}

std::vector<std::string> merge_env(std::vector<std::string> base,
                                   const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) {
    const std::string key = env_key(o);
    auto same = std::find_if(base.begin(), base.end(),
                             [&](const std::string& e) { return env_key(e) == key; });
    if (o.find('=') == std::string::npos) {
      if (same != base.end()) base.erase(same);
    } else if (same != base.end()) {
      *same = o;
    } else {
      base.push_back(o);
    }
  }
  return base;
}

// ---- users ----

Result<UserSpec> resolve_user(std::string_view user, std::string_view passwd_text,
                              std::string_view group_text) {
  // "a:b:c" is user a, group b: runc ignores what follows.
  auto parts = split(user, ':');
  const std::string user_arg = field(parts, 0), group_arg = field(parts, 1);
  const auto uid_num = atoi_opt(user_arg), gid_num = atoi_opt(group_arg);

  UserSpec out;
  std::string matched;
  const auto users = parse_passwd(passwd_text);
  auto it = std::find_if(users.begin(), users.end(), [&](const PasswdEntry& e) {
    if (user_arg.empty()) return e.uid == 0;
    return uid_num ? e.uid == *uid_num : e.name == user_arg;
  });
  if (it != users.end()) {
    matched = it->name;
    out.uid = static_cast<uint32_t>(it->uid);
    out.gid = static_cast<uint32_t>(it->gid);
    if (!it->home.empty()) out.home = it->home;
  } else if (!user_arg.empty()) {
    if (!uid_num)
      return not_found("unable to find user " + user_arg + ": no matching entries in passwd file");
    BERTH_TRY(check_id_range(*uid_num));
    out.uid = static_cast<uint32_t>(*uid_num);
  }
  if (group_arg.empty() && matched.empty()) return out;

  const auto groups = parse_group(group_text);
  if (!group_arg.empty()) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& e) {
      return gid_num ? e.gid == *gid_num : e.name == group_arg;
    });
    if (g != groups.end()) {
      out.gid = static_cast<uint32_t>(g->gid);
    } else {
      if (!gid_num) return no_such_group(group_arg);
      BERTH_TRY(check_id_range(*gid_num));
      out.gid = static_cast<uint32_t>(*gid_num);
    }
    return out;
  }
  // No group given: the user's supplementary groups are those that list it by name.
  for (const auto& g : groups)
    if (has_option(g.members, matched))
      out.supplementary_gids.push_back(static_cast<uint32_t>(g.gid));
  return out;
}

Result<std::vector<uint32_t>> resolve_groups(const std::vector<std::string>& wanted,
                                             std::string_view group_text) {
  const auto groups = parse_group(group_text);
  std::vector<uint32_t> out;
  for (const auto& w : wanted) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& e) {
      return e.name == w || std::to_string(e.gid) == w;
    });
    int64_t gid;
    if (g != groups.end()) {
      gid = g->gid;
    } else {
      auto n = atoi_opt(w);
      if (!n) return no_such_group(w);
      BERTH_TRY(check_id_range(*n));
      gid = *n;
    }
    if (!std::count(out.begin(), out.end(), static_cast<uint32_t>(gid)))
      out.push_back(static_cast<uint32_t>(gid));
  }
  return out;
}

// ---- flag values ----

Result<oci::Rlimit> parse_ulimit(std::string_view value) {
  static const std::set<std::string> kNames = {
      "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
      "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
  const std::string v(value);
  auto [name, limits, has_eq] = split_once(v, '=');
  if (!has_eq) return flag_error("--ulimit", v, "invalid ulimit argument: " + v);
  if (!kNames.count(name)) return flag_error("--ulimit", v, "invalid ulimit type: " + name);
  auto parts = split(limits, ':');
  if (parts.size() > 2)
    return flag_error(
        "--ulimit", v,
        "too many limit value arguments - " + limits + ", can only have up to two, `soft[:hard]`");
  int64_t soft_hard[2];
  for (size_t i = 0; i < 2; ++i) {
    auto n = parse_go_int(parts[i < parts.size() ? i : 0]);
    if (!n.ok()) return flag_error("--ulimit", v, n.error().message());
    if (*n < -1)
      return flag_error("--ulimit", v,
                        "invalid ulimit value " + std::to_string(*n) +
                            ": must be -1 (unlimited) or a non-negative integer");
    soft_hard[i] = *n;
  }
  auto [soft, hard] = soft_hard;
  // -1 is unlimited: above any hard limit, which Docker forgets when it compares.
  if (hard != -1 && (soft == -1 || soft > hard))
    return flag_error("--ulimit", v,
                      "ulimit soft limit must be less than or equal to hard limit: " +
                          std::to_string(soft) + " > " + std::to_string(hard));
  auto as_rlim = [](int64_t x) { return x == -1 ? UINT64_MAX : static_cast<uint64_t>(x); };
  std::string type = "RLIMIT_" + name;
  for (auto& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return oci::Rlimit{type, as_rlim(hard), as_rlim(soft)};
}

Result<int64_t> parse_cpus(std::string_view value) {
  const std::string v(value);
  auto bad = [&] { return invalid_argument("failed to parse " + v + " as a rational number"); };
  std::string_view s = value;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  auto [whole, frac, has_dot] = split_once(s, '.');
  if ((whole.empty() && frac.empty()) || (!whole.empty() && !is_digits(whole)) ||
      (!frac.empty() && !is_digits(frac)))
    return bad();
  while (frac.size() > 9 && frac.back() == '0') frac.pop_back();
  if (frac.size() > 9) return invalid_argument("value is too precise");
  frac.resize(9, '0');
  int64_t w = 0;
  if (!whole.empty()) {
    auto n = parse_go_int(whole);
    if (!n.ok() || *n > INT64_MAX / 1000000000LL - 1) return bad();
    w = *n;
  }
  int64_t nano = w * 1000000000LL + std::stoll(frac);
  return negative ? -nano : nano;
}

Result<DeviceMapping> parse_device(std::string_view value) {
  const std::string v(value);
  if (std::count(v.begin(), v.end(), ':') > 2)
    return flag_error("--device", v, "bad format for path: " + v);
  auto parts = split(v, ':');
  if (parts[0].empty()) return flag_error("--device", v, "bad format for path: " + v);
  DeviceMapping m;
  m.host_path = parts[0];
  if (parts.size() == 2) {
    if (valid_device_mode(parts[1]))
      m.permissions = parts[1];
    else
      m.container_path = parts[1];
  } else if (parts.size() == 3) {
    m.container_path = parts[1];
    if (!valid_device_mode(parts[2]))
      return flag_error("--device", v, "bad mode specified: " + parts[2]);
    m.permissions = parts[2];
  }
  if (m.container_path.empty()) m.container_path = m.host_path;
  if (m.container_path.front() != '/')
    return flag_error("--device", v, m.container_path + " is not an absolute path");
  m.container_path = clean_path(m.container_path);
  return m;
}

Result<DeviceGrant> devices_from_path(const DeviceMapping& mapping) {
  auto fail = [&](int err, const char* why = nullptr) {
    Error e(err == ENOENT ? Code::kNotFound : Code::kInvalidArgument,
            "error gathering device information while adding custom device \"" + mapping.host_path +
                "\": " + (why ? std::string(why) : errno_text(err)),
            err);
    return e;
  };
  std::string host = mapping.host_path;
  struct stat st;
  if (lstat(host.c_str(), &st) != 0) return fail(errno);
  if (S_ISLNK(st.st_mode)) {
    char resolved[PATH_MAX];
    if (!realpath(host.c_str(), resolved)) return fail(errno);
    host = resolved;
    if (lstat(host.c_str(), &st) != 0) return fail(errno);
  }
  DeviceGrant g;
  if (S_ISDIR(st.st_mode)) {
    walk_devices(host, mapping.container_path, {}, g.nodes);
  } else if (auto node = device_node(host, mapping.container_path)) {
    g.nodes.push_back(std::move(*node));
  }
  if (g.nodes.empty()) return fail(0, "not a device node");
  for (const auto& n : g.nodes) g.rules.push_back(allow_rule(n, mapping.permissions));
  return g;
}

Result<std::vector<oci::LinuxDevice>> host_devices(const std::string& dev_dir) {
  struct stat st;
  if (stat(dev_dir.c_str(), &st) != 0) return sys_error("reading host devices in " + dev_dir);
  if (!S_ISDIR(st.st_mode)) return sys_error("reading host devices in " + dev_dir, ENOTDIR);
  // Like containerd's HostDevices: pts, shm and mqueue are the container's own mounts, fd is
  // /proc's, and console is set up from the container's terminal.
  static const std::set<std::string> kSkip = {"pts",  "shm",         "fd",    "mqueue",
                                              ".lxc", ".lxd-mounts", ".udev", "console"};
  std::vector<oci::LinuxDevice> out;
  walk_devices(dev_dir, "/dev", kSkip, out);
  return out;
}

// ---- the generator ----

Result<oci::RuntimeSpec> build_spec(const RunOptions& o) {
  oci::RuntimeSpec s;
  s.oci_version = oci::kOciVersion;
  BERTH_ASSIGN_OR_RETURN(oci::Process p, build_process(o));
  s.process = std::move(p);
  s.root = oci::Root{o.rootfs, o.read_only};
  // dockerd's FullHostname; with --uts host the container keeps the host's name.
  if (!o.host_uts) s.hostname = o.domainname.empty() ? o.hostname : o.hostname + "." + o.domainname;
  BERTH_ASSIGN_OR_RETURN(s.mounts, build_mounts(o));
  s.annotations = o.annotations;
  BERTH_ASSIGN_OR_RETURN(oci::Linux l, build_linux(o));
  s.linux = std::move(l);
  return s;
}

}  // namespace berth::runtime
