// From `berth run` options to an OCI runtime spec, with Docker's defaults and Docker's rules.
//
// Everything here is plain data: Docker's default mounts, masked and read-only paths, device
// rules and environment, and build_spec(), which turns RunOptions into an oci::RuntimeSpec the way
// dockerd's createSpec does. Nothing here touches the host except --device and --privileged,
// which stat device nodes (devices_from_path, host_devices). Errors are kInvalidArgument (a bad
// flag value, with Docker's wording) or kNotFound (a user, group or device that is not there).
//
// Rules that differ from the obvious and are kept because Docker users rely on them:
//  - --entrypoint (even "") drops the image's Cmd; command arguments replace the image's Cmd.
//  - Env: PATH (the default when the image has none), HOSTNAME, TERM=xterm with -t, then the
//    image's Env overridden by -e; later entries replace earlier ones with the same key, and a
//    "KEY" without '=' removes KEY. HOME is added from /etc/passwd when nobody set it (as runc
//    does at exec time).
//  - The spec never carries an rlimit the user did not ask for: hosts without CAP_SYS_RESOURCE
//    cannot raise a hard limit, and a default rlimit (podman's nofile=1048576) breaks every run
//    there. oomScoreAdj is left out for the same reason.
//  - --privileged: no masked or read-only paths, /sys and the cgroup mount read-write, every host
//    device, a device cgroup that allows all, and no seccomp filter.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/image.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroup.h"

namespace berth::runtime {

inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr int64_t kDefaultShmSize = 64 * 1024 * 1024;

// ---- Docker's defaults as data ----

// /proc, /dev (tmpfs, mode=755, size=65536k), /dev/pts (newinstance), /sys (ro), /sys/fs/cgroup
// (ro), /dev/mqueue, /dev/shm (tmpfs, mode=1777, size=<shm_size bytes>), in Docker's order.
std::vector<oci::Mount> docker_default_mounts(int64_t shm_size = kDefaultShmSize);
// /proc/asound, /proc/acpi, /proc/kcore, ... /sys/firmware, /sys/devices/virtual/powercap.
std::vector<std::string> docker_masked_paths();
// /proc/bus, /proc/fs, /proc/irq, /proc/sys, /proc/sysrq-trigger.
std::vector<std::string> docker_readonly_paths();
// Docker's default capabilities are runtime/caps.h's docker_default_caps().

// The nodes every container gets in its /dev (runtime-spec "default devices"): null, zero,
// full, random, urandom, tty, all 0666 root:root. /dev/ptmx (a symlink to pts/ptmx) and
// /dev/console are the rootfs code's business.
std::vector<oci::LinuxDevice> default_devices();
// The device cgroup rules Docker writes into every spec: deny all; allow c 1:5, 1:3, 1:9, 1:8,
// 5:0, 5:1 rwm; deny c 10:229 (fuse).
std::vector<oci::DeviceCgroup> docker_device_cgroup_rules();
// Rules runc appends to every spec's rules (so pty, ptmx, full and tun work): c *:* m,
// b *:* m, c 1:3, 1:8, 1:7, 5:0, 1:5, 1:9, 136:*, 5:2, 10:200 rwm. The cgroup code adds these
// after the spec's own rules, as runc does.
std::vector<oci::DeviceCgroup> runc_implicit_device_rules();
// A spec's device cgroup rules, then runc's implicit ones, as the cgroup code takes them (an
// empty access means "rwm").
std::vector<DeviceRule> cgroup_device_rules(const std::vector<oci::DeviceCgroup>& spec_rules);
// PATH=<kDefaultPath>, HOSTNAME=<hostname>, and TERM=xterm when tty.
std::vector<std::string> docker_default_env(std::string_view hostname, bool tty);
// Docker's ReplaceOrAppendEnvValues, with keys kept unique: each override replaces the entry
// with its key in place or is appended; an override without '=' removes its key.
std::vector<std::string> merge_env(std::vector<std::string> base,
                                   const std::vector<std::string>& overrides);

// ---- users ----

struct UserSpec {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> supplementary_gids;  // groups listing the user by name, in file order
  std::string home = "/";
  bool operator==(const UserSpec&) const = default;
};

// Resolves `user[:group]` (names or numeric ids; "" means uid 0) against the texts of the
// image's /etc/passwd and /etc/group ("" when a file is absent), with runc's rules: the first
// matching entry wins; a number without an entry is taken as is; supplementary groups only when
// no group was given. Errors, as Docker prints them:
//   unable to find user foo: no matching entries in passwd file          (kNotFound)
//   unable to find group bar: no matching entries in group file          (kNotFound)
//   uids and gids must be in range 0-2147483647                          (kInvalidArgument)
Result<UserSpec> resolve_user(std::string_view user, std::string_view passwd_text,
                              std::string_view group_text);
// --group-add: names or numeric ids to gids, duplicates dropped, order kept.
Result<std::vector<uint32_t>> resolve_groups(const std::vector<std::string>& groups,
                                             std::string_view group_text);

// ---- flag values ----

// --ulimit name=soft[:hard]; hard defaults to soft; -1 is unlimited (RLIM_INFINITY). Names:
// core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime sigpending
// stack. Errors: invalid argument "nofile=x" for "--ulimit" flag: <Docker's reason>.
Result<oci::Rlimit> parse_ulimit(std::string_view value);
// --cpus "1.5" -> 1500000000 nano CPUs. Errors: failed to parse x as a rational number /
// value is too precise (below a nano CPU).
Result<int64_t> parse_cpus(std::string_view value);

// --device host[:container][:permissions]; container defaults to host, permissions to "rwm".
struct DeviceMapping {
  std::string host_path;
  std::string container_path;
  std::string permissions = "rwm";
  bool operator==(const DeviceMapping&) const = default;
};
Result<DeviceMapping> parse_device(std::string_view value);

struct DeviceGrant {
  std::vector<oci::LinuxDevice> nodes;   // to create in the container
  std::vector<oci::DeviceCgroup> rules;  // to allow in the device cgroup
};
// Stats the host node (after resolving a symlink); a directory gives every device under it.
// Error: error gathering device information while adding custom device "<path>": <why>.
Result<DeviceGrant> devices_from_path(const DeviceMapping& mapping);
// Every char and block device under `dev_dir` (skipping pts, shm, fd, mqueue and console),
// with container paths under /dev, for --privileged.
Result<std::vector<oci::LinuxDevice>> host_devices(const std::string& dev_dir);

// ---- the generator ----

enum class NetworkMode {
  kNone,  // a new network namespace (only lo until networking sets it up)
  kHost,  // the host's: no network namespace
  kJoin,  // an existing namespace at netns_path (a bridge endpoint, --network container:x)
};

struct BindMount {
  std::string source;       // host path, already resolved by the engine (volumes too)
  std::string destination;  // absolute path in the container
  bool readonly = false;
  std::string propagation = "rprivate";
  // Seen through the container's user namespace (an "idmap" mount option): files owned by 0 on
  // the host are owned by the container's root. Only with --userns.
  bool idmap = false;
};

struct RunOptions {
  // The image: its config (Env, Entrypoint, Cmd, WorkingDir, User) and the texts of its
  // /etc/passwd and /etc/group ("" when absent).
  oci::RunConfig image;
  std::string passwd;
  std::string group;
  std::string rootfs;  // root.path

  // The process.
  std::vector<std::string> env;                        // -e/--env: KEY=VALUE, or KEY to unset
  std::optional<std::vector<std::string>> entrypoint;  // --entrypoint; {} or {""} = none
  std::vector<std::string> command;                    // arguments after the image
  std::string working_dir;                             // -w
  std::string user;                                    // -u name|uid[:group|gid]
  std::vector<std::string> group_add;                  // --group-add
  std::string hostname;  // -h, or the engine's default (id prefix; the host's with --network host)
  std::string domainname;
  bool tty = false;                  // -t
  std::vector<std::string> ulimits;  // --ulimit values as typed

  // Security.
  std::vector<std::string> capabilities;  // the resolved set (bounding = effective = permitted)
  bool privileged = false;
  bool no_new_privileges = false;    // --security-opt no-new-privileges
  std::optional<oci::Json> seccomp;  // compiled linux.seccomp; nullopt = unconfined
  bool read_only = false;            // --read-only

  // Mounts.
  int64_t shm_size = kDefaultShmSize;  // --shm-size, bytes
  std::vector<std::string> tmpfs;      // --tmpfs /path[:options]
  std::vector<BindMount> binds;        // -v / --mount type=bind, and the engine's /etc files

  // Resources. Byte sizes are parsed by the CLI; 0 means "not set" as in Docker's HostConfig.
  std::optional<int64_t> pids_limit;  // <= 0: unlimited
  int64_t memory = 0;
  int64_t memory_swap = 0;  // memory + swap; -1 unlimited; 0 with --memory: twice --memory
  int64_t memory_reservation = 0;
  std::optional<int64_t> memory_swappiness;
  bool oom_kill_disable = false;
  bool swap_limit_supported = true;  // false: the host has no memsw; swap becomes -1 as Docker
  int64_t nano_cpus = 0;             // --cpus (parse_cpus)
  int host_cpus = 0;                 // if > 0, --cpus is checked against it as Docker does
  int64_t cpu_shares = 0;
  std::string cpuset_cpus;
  std::string cpuset_mems;
  std::vector<std::string> devices;   // --device values as typed
  std::string host_dev_dir = "/dev";  // scanned for --privileged
  std::string cgroups_path;

  // Namespaces.
  NetworkMode network = NetworkMode::kNone;
  std::string netns_path;  // for kJoin
  bool host_ipc = false;   // --ipc host
  bool host_pid = false;   // --pid host
  bool host_uts = false;   // --uts host
  bool private_cgroupns = true;
  // --userns=auto: a user namespace with these mappings (gid_map empty: the same as uid_map).
  std::vector<oci::IdMapping> uid_map, gid_map;
  std::map<std::string, std::string> sysctls;  // --sysctl
  std::map<std::string, std::string> annotations;
};

// The spec dockerd would hand to runc for these options (see the rules at the top).
Result<oci::RuntimeSpec> build_spec(const RunOptions& options);

}  // namespace berth::runtime
