// Docker's default seccomp policy as data (moby's profiles/seccomp, which containerd shares): an
// allowlist with everything else failing with EPERM, plus groups that open up when the container
// holds a capability, runs on an arch, or runs on a new enough kernel.
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>

#include "runtime/seccomp.h"

namespace berth::runtime {
namespace {

// Safe for every container: they touch only the caller's own process, files and memory, or are
// already gated by a capability Docker grants by default.
// clang-format off
const std::vector<std::string> kAlwaysAllowed = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32",
    "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
    "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync",
    "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait",
    "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64",
    "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
    "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
    "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
    "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
    "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
    "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
    "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
    "ioprio_set", "io_setup", "io_submit", "io_uring_enter", "io_uring_register",
    "io_uring_setup", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
    "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
    "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore",
    "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
    "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
    "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
    "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2",
    "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
    "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
    "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
    "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
    "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
    "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
    "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
    "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
    "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat",
    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
    "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
    "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo",
    "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
    "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
    "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
    "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev",
};
// clang-format on

constexpr uint64_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                          CLONE_NEWCGROUP;
static_assert(kCloneNamespaceFlags == 0x7E020000);

SeccompFilter caps(std::vector<std::string> c) {
  SeccompFilter f;
  f.caps = std::move(c);
  return f;
}

SeccompFilter arches(std::vector<std::string> a) {
  SeccompFilter f;
  f.arches = std::move(a);
  return f;
}

SeccompFilter min_kernel(int major, int minor) {
  SeccompFilter f;
  f.min_kernel = KernelVersion{major, minor};
  return f;
}

SeccompArg arg(unsigned index, SeccompOp op, uint64_t value) {
  return SeccompArg{index, value, /*value_two=*/0, op};
}

SeccompSyscall allow(std::vector<std::string> names, SeccompFilter includes = {},
                     SeccompFilter excludes = {}) {
  SeccompSyscall sc;
  sc.names = std::move(names);
  sc.action = SeccompAction::kAllow;
  sc.includes = std::move(includes);
  sc.excludes = std::move(excludes);
  return sc;
}

SeccompSyscall allow_if_arg(std::string name, SeccompArg a, SeccompFilter includes = {},
                            SeccompFilter excludes = {}) {
  SeccompSyscall sc = allow({std::move(name)}, std::move(includes), std::move(excludes));
  sc.args = {a};
  return sc;
}

std::vector<SeccompSyscall> conditional_rules() {
  using Op = SeccompOp;
  std::vector<SeccompSyscall> r;
  // Before 4.8 ptrace could bypass seccomp, so only newer kernels allow it (and only on one's
  // own children: YAMA/ptrace rules still apply).
  r.push_back(allow({"process_vm_readv", "process_vm_writev", "ptrace"}, min_kernel(4, 8)));
  // AF_VSOCK reaches the hypervisor's host, which the network namespace does not isolate.
  r.push_back(allow_if_arg("socket", arg(0, Op::kNotEqual, AF_VSOCK)));
  // personality: only the harmless domains (PER_LINUX, PER_LINUX32, UNAME26 variants, query).
  for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL})
    r.push_back(allow_if_arg("personality", arg(0, Op::kEqualTo, persona)));
  r.push_back(allow({"sync_file_range2", "swapcontext"}, arches({"ppc64le"})));
  r.push_back(allow({"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                     "cacheflush", "set_tls"},
                    arches({"arm", "arm64"})));
  r.push_back(allow({"arch_prctl"}, arches({"amd64", "x32"})));
  r.push_back(allow({"modify_ldt"}, arches({"amd64", "x32", "x86"})));
  r.push_back(allow({"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"},
                    arches({"s390", "s390x"})));
  r.push_back(allow({"riscv_flush_icache"}, arches({"riscv64"})));
  r.push_back(allow({"open_by_handle_at"}, caps({"CAP_DAC_READ_SEARCH"})));
  r.push_back(allow({"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
                     "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
                     "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
                     "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
                     "umount",        "umount2",       "unshare"},
                    caps({"CAP_SYS_ADMIN"})));
  // Without CAP_SYS_ADMIN: clone without namespace flags (s390 swaps clone's first two args).
  SeccompFilter admin_or_s390 = caps({"CAP_SYS_ADMIN"});
  admin_or_s390.arches = {"s390", "s390x"};
  r.push_back(
      allow_if_arg("clone", arg(0, Op::kMaskedEqual, kCloneNamespaceFlags), {}, admin_or_s390));
  r.push_back(allow_if_arg("clone", arg(1, Op::kMaskedEqual, kCloneNamespaceFlags),
                           arches({"s390", "s390x"}), caps({"CAP_SYS_ADMIN"})));
  r.back().comment = "s390 parameter ordering for clone is different";
  // clone3's flags live in memory seccomp cannot inspect: ENOSYS makes libc fall back to clone.
  SeccompSyscall clone3;
  clone3.names = {"clone3"};
  clone3.action = SeccompAction::kErrno;
  clone3.errno_ret = ENOSYS;
  clone3.excludes = caps({"CAP_SYS_ADMIN"});
  r.push_back(std::move(clone3));
  r.push_back(allow({"reboot"}, caps({"CAP_SYS_BOOT"})));
  r.push_back(allow({"chroot"}, caps({"CAP_SYS_CHROOT"})));
  r.push_back(allow({"delete_module", "init_module", "finit_module"}, caps({"CAP_SYS_MODULE"})));
  r.push_back(allow({"acct"}, caps({"CAP_SYS_PACCT"})));
  r.push_back(allow(
      {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"},
      caps({"CAP_SYS_PTRACE"})));
  r.push_back(allow({"iopl", "ioperm"}, caps({"CAP_SYS_RAWIO"})));
  r.push_back(
      allow({"settimeofday", "stime", "clock_settime", "clock_settime64"}, caps({"CAP_SYS_TIME"})));
  r.push_back(allow({"vhangup"}, caps({"CAP_SYS_TTY_CONFIG"})));
  r.push_back(allow({"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"},
                    caps({"CAP_SYS_NICE"})));
  r.push_back(allow({"syslog"}, caps({"CAP_SYSLOG"})));
  r.push_back(allow({"bpf"}, caps({"CAP_BPF"})));
  r.push_back(allow({"perf_event_open"}, caps({"CAP_PERFMON"})));
  return r;
}

SeccompProfile build_default_profile() {
  SeccompProfile p;
  p.default_action = SeccompAction::kErrno;
  p.default_errno_ret = EPERM;
  p.arch_map = {
      {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
      {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
      {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
      {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
      {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
      {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
      {"SCMP_ARCH_RISCV64", {}},
  };
  p.syscalls.push_back(allow(kAlwaysAllowed));
  for (auto& sc : conditional_rules()) p.syscalls.push_back(std::move(sc));
  return p;
}

}  // namespace

const SeccompProfile& default_seccomp_profile() {
  static const SeccompProfile profile = build_default_profile();
  return profile;
}

}  // namespace berth::runtime
