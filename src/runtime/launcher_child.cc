// The container's first process between clone and execve. Rules: raw syscalls only, no
// allocation (the parent's heap may be in any state), report failures on the error pipe and
// _exit. Paths inside the root are opened with openat2(RESOLVE_IN_ROOT), so a symlink planted in
// the image can never make a mount land outside the container's root.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <termios.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "runtime/internal/launch_plan.h"

namespace berth::runtime::internal {
namespace {

[[noreturn]] __attribute__((format(printf, 4, 5))) void die(int err_fd, int kind, int err,
                                                             const char* fmt, ...) {
  ChildError e;
  e.kind = kind;
  e.err = err;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(e.what, sizeof e.what, fmt, ap);
  va_end(ap);
  ssize_t n = ::write(err_fd, &e, sizeof e);
  (void)n;
  ::_exit(kind == 1 ? 127 : kind == 2 ? 126 : 125);
}

int openat2_in_root(int root_fd, const char* rel, int flags) {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, root_fd, rel, &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);
  return fd;
}

// Creates every missing directory of `path` (absolute inside the root) and, when `file`, an empty
// file as its last component. Returns an O_PATH fd of the target or -errno.
int make_target(int root_fd, const char* path, bool file) {
  char buf[4096];
  size_t len = std::strlen(path);
  if (len + 1 >= sizeof buf) return -ENAMETOOLONG;
  std::memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; ++i) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    bool last = buf[i] == '\0';
    char saved = buf[i];
    buf[i] = '\0';
    int fd = openat2_in_root(root_fd, buf, O_PATH);
    if (fd < 0 && errno == ENOENT) {
      // Create the component inside its (already resolved) parent.
      char* slash = std::strrchr(buf, '/');
      *slash = '\0';
      int parent = openat2_in_root(root_fd, slash == buf ? "/" : buf, O_PATH | O_DIRECTORY);
      *slash = '/';
      if (parent < 0) return -errno;
      int r;
      if (last && file) {
        r = ::openat(parent, slash + 1, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (r >= 0) ::close(r);
      } else {
        r = ::mkdirat(parent, slash + 1, 0755);
      }
      int saved_errno = errno;
      ::close(parent);
      if (r < 0 && saved_errno != EEXIST) return -saved_errno;
      fd = openat2_in_root(root_fd, buf, O_PATH);
    }
    if (fd < 0) return -errno;
    buf[i] = saved;
    if (last) return fd;
    ::close(fd);
  }
  return -EINVAL;
}

void fd_path(char* out, size_t n, int fd) { std::snprintf(out, n, "/proc/self/fd/%d", fd); }

void do_mount(const ChildPlan& p, const MountOp& m, int root_fd, int err_fd) {
  int target = make_target(root_fd, m.target.c_str(), m.target_is_file);
  if (target < 0)
    die(err_fd, 0, -target, "creating mount point \"%s\" in rootfs: %s", m.target.c_str(),
        std::strerror(-target));
  char tp[64];
  fd_path(tp, sizeof tp, target);
  if (m.cgroup_tree) {
    if (::mount("tmpfs", tp, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=755") < 0)
      die(err_fd, 0, errno, "mounting cgroup tmpfs at \"%s\": %s", m.target.c_str(),
          std::strerror(errno));
    for (const auto& h : p.cgroup_hierarchies) {
      int d = ::openat(target, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      // Re-resolve through the new tmpfs: the O_PATH fd above still names the covered dir.
      ::close(d);
      char dir[600];
      std::snprintf(dir, sizeof dir, "%s/%s", m.target.c_str(), h.name.c_str());
      int hd = make_target(root_fd, dir, false);
      if (hd < 0) continue;
      char hp[64];
      fd_path(hp, sizeof hp, hd);
      unsigned long fl = MS_NOSUID | MS_NOEXEC | MS_NODEV | (m.flags & MS_RDONLY);
      if (::mount("cgroup", hp, h.type.c_str(), fl, h.options.empty() ? nullptr : h.options.c_str()) < 0) {
        int e = errno;
        ::close(hd);
        die(err_fd, 0, e, "mounting cgroup hierarchy \"%s\": %s", h.name.c_str(), std::strerror(e));
      }
      ::close(hd);
    }
    if (m.flags & MS_RDONLY) {
      int t2 = make_target(root_fd, m.target.c_str(), false);
      char tp2[64];
      fd_path(tp2, sizeof tp2, t2);
      ::mount(nullptr, tp2, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV,
              "mode=755");
      ::close(t2);
    }
    ::close(target);
    return;
  }
  unsigned long flags = m.flags;
  if (m.bind) flags |= MS_BIND;
  if (m.tree_fd >= 0) {
    // An idmapped clone the parent made (MountOp::tree_fd).
    if (::syscall(SYS_move_mount, m.tree_fd, "", target, "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
      int e = errno;
      die(err_fd, 0, e, "mounting idmapped \"%s\" to rootfs at \"%s\": %s", m.source.c_str(),
          m.target.c_str(), std::strerror(e));
    }
  } else if (::mount(m.source.c_str(), tp, m.type.empty() ? nullptr : m.type.c_str(), flags,
                     m.data.empty() ? nullptr : m.data.c_str()) < 0) {
    int e = errno;
    die(err_fd, 0, e, "mounting \"%s\" to rootfs at \"%s\": %s",
        m.source.empty() ? m.type.c_str() : m.source.c_str(), m.target.c_str(), std::strerror(e));
  }
  if (m.bind && m.remount_flags) {
    // A bind mount ignores flags like MS_RDONLY; they take effect on a remount. Reopen the
    // target: the old O_PATH fd refers to the directory under the new mount.
    int t2 = make_target(root_fd, m.target.c_str(), m.target_is_file);
    char tp2[64];
    fd_path(tp2, sizeof tp2, t2);
    if (::mount(nullptr, tp2, nullptr, MS_BIND | MS_REMOUNT | m.remount_flags, nullptr) < 0) {
      int e = errno;
      die(err_fd, 0, e, "remounting \"%s\" read-only: %s", m.target.c_str(), std::strerror(e));
    }
    ::close(t2);
  }
  if (m.propagation) {
    int t3 = make_target(root_fd, m.target.c_str(), m.target_is_file);
    char tp3[64];
    fd_path(tp3, sizeof tp3, t3);
    ::mount(nullptr, tp3, nullptr, m.propagation, nullptr);
    ::close(t3);
  }
  ::close(target);
}

void make_devices(const ChildPlan& p, int root_fd, int err_fd) {
  for (const auto& d : p.devices) {
    int parent_dir = make_target(root_fd, d.dir.c_str(), false);
    if (parent_dir < 0)
      die(err_fd, 0, -parent_dir, "creating %s: %s", d.dir.c_str(), std::strerror(-parent_dir));
    ::close(parent_dir);
    char dp[64];
    int dev_dir = openat2_in_root(root_fd, d.dir.c_str(), O_DIRECTORY);
    if (dev_dir < 0)
      die(err_fd, 0, errno, "opening %s in rootfs: %s", d.dir.c_str(), std::strerror(errno));
    const char* name = d.name.c_str();
    ::unlinkat(dev_dir, name, 0);
    if (::mknodat(dev_dir, name, d.mode, d.dev) < 0) {
      // Without CAP_MKNOD (a user namespace), bind-mount the host's node instead, as runc does.
      int e = errno;
      int f = ::openat(dev_dir, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (f < 0) die(err_fd, 0, e, "creating device \"%s\": %s", d.path.c_str(), std::strerror(e));
      fd_path(dp, sizeof dp, f);
      if (::mount(d.path.c_str(), dp, nullptr, MS_BIND, nullptr) < 0)
        die(err_fd, 0, errno, "bind-mounting device \"%s\": %s", d.path.c_str(),
            std::strerror(errno));
      ::close(f);
    } else {
      ::fchownat(dev_dir, name, d.uid, d.gid, AT_SYMLINK_NOFOLLOW);
      ::fchmodat(dev_dir, name, d.mode & 07777, 0);
    }
    ::close(dev_dir);
  }
  int dev_dir = openat2_in_root(root_fd, "/dev", O_DIRECTORY);
  if (dev_dir >= 0) {
    // The standard links every Linux program expects.
    const char* links[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                              {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                              {"/proc/kcore", "core"}, {"pts/ptmx", "ptmx"}};
    for (auto& l : links) {
      if (std::strcmp(l[1], "ptmx") == 0) ::unlinkat(dev_dir, l[1], 0);
      ::symlinkat(l[0], dev_dir, l[1]);
    }
    ::close(dev_dir);
  }
}

void pivot(const ChildPlan& p, int err_fd) {
  if (::chdir(p.rootfs.c_str()) < 0)
    die(err_fd, 0, errno, "chdir to rootfs \"%s\": %s", p.rootfs.c_str(), std::strerror(errno));
  // pivot_root(".", "."): the old root ends up stacked on "/"; detach it (runc's trick, which
  // needs no directory for the old root inside the container).
  if (::syscall(SYS_pivot_root, ".", ".") < 0)
    die(err_fd, 0, errno, "pivot_root: %s", std::strerror(errno));
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    die(err_fd, 0, errno, "making the old root a slave: %s", std::strerror(errno));
  if (::umount2(".", MNT_DETACH) < 0)
    die(err_fd, 0, errno, "unmounting the old root: %s", std::strerror(errno));
  if (::chdir("/") < 0) die(err_fd, 0, errno, "chdir /: %s", std::strerror(errno));
}

void mask_paths(const ChildPlan& p, int err_fd) {
  for (const auto& m : p.masked_paths) {
    struct stat st;
    if (::lstat(m.c_str(), &st) < 0) continue;  // absent: nothing to hide
    int r = S_ISDIR(st.st_mode)
                ? ::mount("tmpfs", m.c_str(), "tmpfs", MS_RDONLY, nullptr)
                : ::mount("/dev/null", m.c_str(), nullptr, MS_BIND, nullptr);
    if (r < 0 && errno != ENOENT)
      die(err_fd, 0, errno, "masking \"%s\": %s", m.c_str(), std::strerror(errno));
  }
  for (const auto& m : p.readonly_paths) {
    if (::mount(m.c_str(), m.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
      if (errno == ENOENT) continue;
      die(err_fd, 0, errno, "making \"%s\" read-only: %s", m.c_str(), std::strerror(errno));
    }
    if (::mount(nullptr, m.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, nullptr) <
        0)
      die(err_fd, 0, errno, "remounting \"%s\" read-only: %s", m.c_str(), std::strerror(errno));
  }
}

void write_file(const char* path, const char* value, int err_fd) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(err_fd, 0, errno, "opening \"%s\": %s", path, std::strerror(errno));
  ssize_t n = ::write(fd, value, std::strlen(value));
  int e = errno;
  ::close(fd);
  if (n < 0) die(err_fd, 0, e, "writing \"%s\": %s", path, std::strerror(e));
}

// A pseudo-terminal from the container's own devpts (so `tty` names a path that exists inside),
// made the controlling terminal and stdio; the master goes back to the parent over a socket.
void setup_console(const ChildPlan& p, int err_fd) {
  int master = ::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die(err_fd, 0, errno, "opening /dev/pts/ptmx: %s", std::strerror(errno));
  int unlock = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) < 0)
    die(err_fd, 0, errno, "unlocking the pty: %s", std::strerror(errno));
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) die(err_fd, 0, errno, "opening the pty peer: %s", std::strerror(errno));
  if (p.rows && p.cols) {
    struct winsize ws {};
    ws.ws_row = p.rows;
    ws.ws_col = p.cols;
    ::ioctl(master, TIOCSWINSZ, &ws);
  }
  char cbuf[CMSG_SPACE(sizeof(int))];
  std::memset(cbuf, 0, sizeof cbuf);
  char byte = 'c';
  struct iovec iov {&byte, 1};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &master, sizeof(int));
  if (::sendmsg(p.console_sock, &msg, 0) < 0)
    die(err_fd, 0, errno, "sending the pty master: %s", std::strerror(errno));
  ::close(master);
  // /dev/console is the terminal too, as runc makes it.
  int con = p.exec_only
                ? -1  // exec: the container's /dev/console stays its first process's
                : ::open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (con >= 0) {
    ::close(con);
    char sp[64];
    std::snprintf(sp, sizeof sp, "/proc/self/fd/%d", slave);
    ::mount(sp, "/dev/console", nullptr, MS_BIND, nullptr);
  }
  if (::setsid() < 0) die(err_fd, 0, errno, "setsid: %s", std::strerror(errno));
  if (::ioctl(slave, TIOCSCTTY, 0) < 0)
    die(err_fd, 0, errno, "setting the controlling terminal: %s", std::strerror(errno));
  for (int i = 0; i < 3; ++i)
    if (::dup2(slave, i) < 0) die(err_fd, 0, errno, "dup2: %s", std::strerror(errno));
  if (slave > 2) ::close(slave);
}

// execve with the container's PATH (execvpe would search the parent's).
[[noreturn]] void exec_command(const ChildPlan& p, int err_fd) {
  const char* cmd = p.argv[0];
  if (std::strchr(cmd, '/')) {
    ::execve(cmd, p.argv.data(), p.envp.data());
    int e = errno;
    if (e == ENOENT) die(err_fd, 1, e, "exec: \"%s\": no such file or directory", cmd);
    die(err_fd, 2, e, "exec: \"%s\": %s", cmd, std::strerror(e));
  }
  char buf[4096];
  int last = ENOENT;
  for (const auto& dir : p.path_dirs) {
    std::snprintf(buf, sizeof buf, "%s/%s", dir.empty() ? "." : dir.c_str(), cmd);
    ::execve(buf, p.argv.data(), p.envp.data());
    if (errno != ENOENT && errno != ENOTDIR) last = errno;
  }
  if (last == ENOENT) die(err_fd, 1, last, "exec: \"%s\": executable file not found in $PATH", cmd);
  die(err_fd, 2, last, "exec: \"%s\": %s", cmd, std::strerror(last));
}

// The hooks the child runs itself (createContainer, startContainer), in order, each with the
// state on stdin: a raw clone (glibc's fork runs atfork handlers, unsafe after our own clone),
// a socket for stdin so that a hook that does not read it cannot SIGPIPE us, and a poll for the
// timeout. A failing hook fails the start, naming the hook.
void run_child_hooks(const ChildPlan& p, const std::vector<HookOp>& hooks, const char* what,
                     const std::string& head, int err_fd) {
  if (hooks.empty()) return;
  int len = std::snprintf(p.state_buf.data(), p.state_buf.size(), "%s%d%s", head.c_str(),
                          static_cast<int>(::getpid()), p.state_tail.c_str());
  if (len < 0 || static_cast<size_t>(len) >= p.state_buf.size()) len = 0;
  for (const auto& h : hooks) {
    int in[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
      die(err_fd, 0, errno, "%s hook %s: socketpair: %s", what, h.path.c_str(), std::strerror(errno));
    long pid = ::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (pid < 0) die(err_fd, 0, errno, "%s hook %s: clone: %s", what, h.path.c_str(), std::strerror(errno));
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::execve(h.path.c_str(), h.argv.data(), h.envp.data());
      ::_exit(127);
    }
    ::close(in[0]);
    (void)!::send(in[1], p.state_buf.data(), static_cast<size_t>(len), MSG_NOSIGNAL);
    ::close(in[1]);
    struct timespec start {}, now {};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    int status = 0;
    while (true) {
      pid_t r = ::waitpid(static_cast<pid_t>(pid), &status, h.timeout ? WNOHANG : 0);
      if (r == pid) break;
      if (r < 0 && errno != EINTR)
        die(err_fd, 0, errno, "%s hook %s: wait: %s", what, h.path.c_str(), std::strerror(errno));
      ::clock_gettime(CLOCK_MONOTONIC, &now);
      long long waited_ms = (now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000;
      if (h.timeout && waited_ms >= h.timeout * 1000LL) {
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
        die(err_fd, 0, ETIMEDOUT, "%s hook %s timed out after %ds", what, h.path.c_str(), h.timeout);
      }
      if (r == 0) {
        struct timespec nap {0, 5 * 1000 * 1000};
        ::nanosleep(&nap, nullptr);
      }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      die(err_fd, 0, 0, "%s hook %s failed with status %d", what, h.path.c_str(),
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

}  // namespace

[[noreturn]] void exec_process(const ChildPlan& p, int err_fd);

void run_child(const ChildPlan& p, int sync_fd, int err_fd) {
  // Wait until the parent has put us in the cgroup.
  char go;
  if (::read(sync_fd, &go, 1) != 1) ::_exit(125);
  if (!p.runtime_hooks) ::close(sync_fd);
  // Nothing in the container may open /proc/<pid>/exe of this process while it is still berth.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  for (int fd : p.join_ns_fds)
    if (::setns(fd, 0) < 0) die(err_fd, 0, errno, "joining namespace: %s", std::strerror(errno));
  if (p.exec_only) {
    // exec: the container is set up; setns(mnt) made its root ours. Only the process is left.
    if (p.terminal) setup_console(p, err_fd);
    exec_process(p, err_fd);
  }
  if (p.clone_flags & CLONE_NEWUTS) {
    if (!p.hostname.empty() && ::sethostname(p.hostname.c_str(), p.hostname.size()) < 0)
      die(err_fd, 0, errno, "sethostname: %s", std::strerror(errno));
    if (!p.domainname.empty() && ::setdomainname(p.domainname.c_str(), p.domainname.size()) < 0)
      die(err_fd, 0, errno, "setdomainname: %s", std::strerror(errno));
  }

  // Our mounts must never propagate back to the host.
  if (::mount(nullptr, "/", nullptr, p.root_propagation ? p.root_propagation : MS_SLAVE | MS_REC,
              nullptr) < 0)
    die(err_fd, 0, errno, "making / a slave mount: %s", std::strerror(errno));
  if (!p.overlay_options.empty()) {
    if (p.overlay_fsuid >= 0) {
      // Mount as the container's root (runtime/userns.h). A change of fsuid drops the file
      // capabilities from the effective set: raise them again from the permitted one.
      ::setfsgid(static_cast<gid_t>(p.overlay_fsgid));
      ::setfsuid(static_cast<uid_t>(p.overlay_fsuid));
      struct __user_cap_header_struct hdr {_LINUX_CAPABILITY_VERSION_3, 0};
      struct __user_cap_data_struct caps[2];
      if (::syscall(SYS_capget, &hdr, caps) == 0) {
        caps[0].effective = caps[0].permitted;
        caps[1].effective = caps[1].permitted;
        ::syscall(SYS_capset, &hdr, caps);
      }
    }
    // The fsuid stays the container root's for the rest of the setup: the mount points and
    // device nodes made in the rootfs must be owned by an id the layers' idmapping maps.
    int r = ::mount("overlay", p.rootfs.c_str(), "overlay", 0, p.overlay_options.c_str());
    if (r < 0)
      die(err_fd, 0, errno, "mounting the overlay rootfs at \"%s\": %s", p.rootfs.c_str(),
          std::strerror(errno));
  } else if (::mount(p.rootfs.c_str(), p.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
    die(err_fd, 0, errno, "bind-mounting rootfs \"%s\": %s", p.rootfs.c_str(), std::strerror(errno));
  }
  int root_fd = ::open(p.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) die(err_fd, 0, errno, "opening rootfs: %s", std::strerror(errno));
  for (const auto& m : p.mounts) do_mount(p, m, root_fd, err_fd);
  make_devices(p, root_fd, err_fd);
  if (p.shm_mount_fd >= 0) {
    // An IPC joiner's /dev/shm: the donor's tmpfs, cloned by the parent (runtime/mount_clone.h).
    int target = make_target(root_fd, "/dev/shm", false);
    if (target < 0) die(err_fd, 0, -target, "creating /dev/shm in rootfs: %s", std::strerror(-target));
    if (::syscall(SYS_move_mount, p.shm_mount_fd, "", target, "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      die(err_fd, 0, errno, "mounting the shared /dev/shm: %s", std::strerror(errno));
    ::close(target);
  }
  ::close(root_fd);
  if (p.runtime_hooks) {
    // prestart and createRuntime: the parent runs them now, in its namespaces.
    ChildError paused;
    paused.kind = 4;
    if (::write(err_fd, &paused, sizeof paused) != static_cast<ssize_t>(sizeof paused)) ::_exit(125);
    ssize_t r;
    do {
      r = ::read(sync_fd, &go, 1);
    } while (r < 0 && errno == EINTR);
    if (r != 1) ::_exit(125);
    ::close(sync_fd);
  }
  run_child_hooks(p, p.create_container_hooks, "createContainer", p.state_head_creating, err_fd);
  pivot(p, err_fd);
  // Before mask_paths: Docker's read-only paths include /proc/sys.
  for (const auto& [path, value] : p.sysctls) write_file(path.c_str(), value.c_str(), err_fd);
  mask_paths(p, err_fd);
  if (p.terminal) setup_console(p, err_fd);
  if (p.readonly_root &&
      ::mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) < 0)
    die(err_fd, 0, errno, "remounting / read-only: %s", std::strerror(errno));
  exec_process(p, err_fd);
}

// The process part, shared by a new container's first process and exec: oom score, rlimits,
// identity, capabilities, no_new_privs, cwd, stdio, the start gate, seccomp, execve.
[[noreturn]] void exec_process(const ChildPlan& p, int err_fd) {
  if (p.oom_score_adj) {
    char v[16];
    std::snprintf(v, sizeof v, "%d", *p.oom_score_adj);
    write_file("/proc/self/oom_score_adj", v, err_fd);
  }
  for (const auto& r : p.rlimits)
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &r.limit) < 0)
      die(err_fd, 0, errno, "setrlimit: %s", std::strerror(errno));

  // Every namespace and mount is made: now the user namespace, where this root is the mapped
  // one, holding capabilities only over that namespace.
  if (p.userns_fd >= 0 && ::setns(p.userns_fd, CLONE_NEWUSER) < 0)
    die(err_fd, 0, errno, "joining the user namespace: %s", std::strerror(errno));
  // Identity: groups, gid, uid; capabilities survive the uid change through KEEPCAPS and are
  // then set to exactly the spec's sets.
  if (::setgroups(p.groups.size(), p.groups.data()) < 0)
    die(err_fd, 0, errno, "setgroups: %s", std::strerror(errno));
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    die(err_fd, 0, errno, "prctl(PR_SET_KEEPCAPS): %s", std::strerror(errno));
  // Without no_new_privs, loading seccomp needs CAP_SYS_ADMIN: do it while we still have it.
  if (p.seccomp && !p.no_new_privs) {
    int r = apply_compiled_seccomp(*p.seccomp);
    if (r < 0) die(err_fd, 0, -r, "loading seccomp: %s", std::strerror(-r));
  }
  if (::setresgid(p.gid, p.gid, p.gid) < 0) die(err_fd, 0, errno, "setresgid: %s", std::strerror(errno));
  if (::setresuid(p.uid, p.uid, p.uid) < 0) die(err_fd, 0, errno, "setresuid: %s", std::strerror(errno));
  if (p.caps) {
    int r = apply_caps(*p.caps);
    if (r < 0) die(err_fd, 0, -r, "setting capabilities: %s", std::strerror(-r));
  }
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  if (p.umask) ::umask(*p.umask);
  if (p.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    die(err_fd, 0, errno, "prctl(PR_SET_NO_NEW_PRIVS): %s", std::strerror(errno));
  if (!p.cwd.empty() && ::chdir(p.cwd.c_str()) < 0)
    die(err_fd, 0, errno, "chdir to cwd (\"%s\") set in config.json failed: %s", p.cwd.c_str(),
        std::strerror(errno));

  for (int i = 0; i < 3 && !p.terminal; ++i)
    if (p.stdio[i] >= 0 && ::dup2(p.stdio[i], i) < 0)
      die(err_fd, 0, errno, "dup2: %s", std::strerror(errno));
  if (p.start_gate_fd >= 0) {
    // runc's create/start split. runc looks the command up before it waits, so that create
    // (not start) reports a missing one: do the same.
    const char* cmd = p.argv[0];
    bool found = false;
    if (std::strchr(cmd, '/')) {
      found = ::access(cmd, F_OK) == 0;
    } else {
      char path[4096];
      for (const auto& dir : p.path_dirs) {
        std::snprintf(path, sizeof path, "%s/%s", dir.empty() ? "." : dir.c_str(), cmd);
        if (::access(path, X_OK) == 0) {
          found = true;
          break;
        }
      }
    }
    if (!found && std::strchr(cmd, '/'))
      die(err_fd, 1, ENOENT, "exec: \"%s\": no such file or directory", cmd);
    if (!found) die(err_fd, 1, ENOENT, "exec: \"%s\": executable file not found in $PATH", cmd);
    // Then report ready, let go of the error pipe (the creator is gone by the time start
    // comes), and wait for the go byte.
    ChildError ready;
    ready.kind = 3;
    if (::write(err_fd, &ready, sizeof ready) != static_cast<ssize_t>(sizeof ready)) ::_exit(125);
    ::close(err_fd);
    err_fd = -1;
    char go_byte;
    ssize_t r;
    do {
      r = ::read(p.start_gate_fd, &go_byte, 1);
    } while (r < 0 && errno == EINTR);
    if (r != 1) ::_exit(125);
    ::close(p.start_gate_fd);
  }
  run_child_hooks(p, p.start_container_hooks, "startContainer", p.state_head_created, err_fd);
  // Signals ignored by berth's process (the detached monitor ignores SIGHUP, SIGINT and
  // SIGPIPE) would stay ignored across execve: the container starts with default dispositions
  // and nothing blocked, as under Docker.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s)
    if (s != SIGKILL && s != SIGSTOP) ::sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // No fd of berth's may reach the container (CVE-2024-21626): all of 3.. close on exec.
  ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
  // As late as possible: after this only execve runs, so the filter need not allow our syscalls.
  if (p.seccomp && p.no_new_privs) {
    int r = apply_compiled_seccomp(*p.seccomp);
    if (r < 0) die(err_fd, 0, -r, "loading seccomp: %s", std::strerror(-r));
  }
  exec_command(p, err_fd);
}

}  // namespace berth::runtime::internal
