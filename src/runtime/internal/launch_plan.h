// The plan launch() computes in the parent and the child walks after clone. Everything here is
// ready to hand to a syscall: the child allocates nothing.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "runtime/caps.h"
#include "runtime/seccomp.h"

namespace berth::runtime::internal {

struct MountOp {
  std::string source;
  std::string target;  // absolute inside the container: "/proc"
  std::string type;
  std::string data;    // fs-specific options: "mode=755,size=65536k"
  unsigned long flags = 0;
  // After a bind mount, remount with MS_BIND|MS_REMOUNT|remount_flags (read-only binds).
  unsigned long remount_flags = 0;
  unsigned long propagation = 0;  // MS_PRIVATE, MS_SLAVE, MS_SHARED (with MS_REC)
  bool bind = false;
  bool target_is_file = false;
  bool cgroup_tree = false;  // a "cgroup" mount: tmpfs + one mount per v1 hierarchy
  // "idmap"/"ridmap" binds: the parent clones the source as an idmapped detached mount
  // (runtime/userns.h); the child moves it into place instead of mounting `source`.
  bool idmap = false;
  bool idmap_recursive = false;
  int tree_fd = -1;
};

struct CgroupHierarchy {
  std::string name;     // directory under /sys/fs/cgroup: "cpu,cpuacct", "memory", "unified"
  std::string type;     // "cgroup" or "cgroup2"
  std::string options;  // "cpu,cpuacct" (v1), "" (v2)
};

struct DeviceOp {
  std::string path;  // "/dev/null", "/dev/cpu/0/cpuid"
  std::string dir;   // "/dev", "/dev/cpu/0"
  std::string name;  // "null", "cpuid"
  mode_t mode = 0;   // S_IFCHR | 0666
  dev_t dev = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct RlimitOp {
  int resource = 0;
  struct rlimit limit {};
};

// A hook the child runs itself (createContainer, startContainer): argv and envp ready for execve.
struct HookOp {
  std::string path;
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;  // point into args/env, null-terminated
  int timeout = 0;                // seconds; 0: none
};

struct ChildPlan {
  int clone_flags = 0;
  std::vector<int> join_ns_fds;  // setns() in order; owned by the parent
  std::string rootfs;
  std::string overlay_options;
  bool readonly_root = false;
  unsigned long root_propagation = 0;
  std::vector<MountOp> mounts;
  std::vector<CgroupHierarchy> cgroup_hierarchies;
  std::vector<DeviceOp> devices;
  std::vector<std::string> masked_paths, readonly_paths;
  std::string hostname, domainname;
  std::vector<std::pair<std::string, std::string>> sysctls;  // "/proc/sys/net/...", value
  std::vector<RlimitOp> rlimits;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::optional<mode_t> umask;
  std::optional<int> oom_score_adj;
  std::optional<CapSets> caps;
  bool no_new_privs = false;
  const CompiledSeccomp* seccomp = nullptr;
  std::string cwd;
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;  // point into args/env, null-terminated
  std::vector<std::string> path_dirs;  // the container's PATH, for command lookup
  int stdio[3] = {-1, -1, -1};
  bool terminal = false;
  unsigned short rows = 0, cols = 0;
  int console_sock = -1;  // the child sends the pty master over this socket
  // exec (runtime/exec.cc): the namespaces are joined (join_ns_fds) instead of made, and the
  // root file system, devices, hostname and sysctls are the running container's already.
  bool exec_only = false;
  // The start gate (LaunchOptions::start_gate_fd): set up, report "ready" (ChildError kind 3)
  // and close the error pipe, then block reading one byte from this fd before execve.
  int start_gate_fd = -1;
  int shm_mount_fd = -1;  // LaunchOptions::shm_mount_fd
  // The user namespace the process enters last, right before its identity (runtime/userns.h);
  // -1: berth's own.
  int userns_fd = -1;
  // With idmapped layers: the host uid/gid of the container's root. The overlay is mounted with
  // these as fsuid/fsgid, since overlayfs works in its upper dir with its mounter's ids, which
  // must be mapped in the layers' idmapping.
  long overlay_fsuid = -1, overlay_fsgid = -1;
  // Hooks (runtime/hooks.h). With runtime_hooks the child reports ChildError kind 4 once its
  // mounts are made and waits for a byte on the sync pipe while the parent runs prestart and
  // createRuntime. The state JSON the child's own hooks read is state_head + pid + state_tail,
  // formatted into state_buf (sized in the parent: the child allocates nothing).
  bool runtime_hooks = false;
  std::vector<HookOp> create_container_hooks, start_container_hooks;
  std::string state_head_creating, state_head_created, state_tail;
  mutable std::vector<char> state_buf;
};

// What the child reports on its error pipe before _exit.
struct ChildError {
  int kind = 0;  // 0: setup (125), 1: command not found (127), 2: cannot execute (126),
                 // 3: ready and waiting at the start gate (not an error)
                 // 4: mounts made, waiting for the runtime's hooks (not an error)
  int err = 0;   // errno
  char what[480] = {0};
};

// exec (runtime/exec.cc): what launch() needs to start a process in a running container.
struct ExecJoin {
  std::vector<UniqueFd> ns_fds;  // the target's namespaces, in setns order (pid excluded)
  UniqueFd target_pidns, own_pidns;  // pid: joined by the parent around clone
  pid_t target = -1;
};
// Opens the target's namespaces that differ from ours and fills plan.join_ns_fds.
Result<ExecJoin> prepare_exec(pid_t target, ChildPlan& plan);
// Moves `pid` into every cgroup the target is in (read from /proc/<target>/cgroup).
Status join_target_cgroups(pid_t target, pid_t pid);

// Runs in the child: never returns.
[[noreturn]] void run_child(const ChildPlan& plan, int sync_fd, int err_fd);

}  // namespace berth::runtime::internal
