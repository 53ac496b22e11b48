#include "runtime/mount_clone.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "base/fd_passing.h"


namespace berth::runtime {

Result<UniqueFd> clone_mount_of(pid_t pid, const std::string& path, long want_fs_magic) {
  std::string what = "\"" + path + "\" of process " + std::to_string(pid);
  UniqueFd ns(::open(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return sys_error("opening the mount namespace of process " + std::to_string(pid));
  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0) return sys_error("socketpair");
  UniqueFd ours(sp[0]), theirs(sp[1]);
  // setns(CLONE_NEWNS) needs a single-threaded process and changes our root: a child does it.
  pid_t child = ::fork();
  if (child < 0) return sys_error("fork");
  if (child == 0) {
    int err = 0;
    if (::setns(ns.get(), CLONE_NEWNS) < 0) {
      err = errno;
    } else {
      int fd = static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, path.c_str(),
                                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW));
      if (fd < 0) err = errno;
      else if (!send_fd(theirs.get(), fd, "m").ok()) err = errno;
    }
    if (err) (void)!::send(theirs.get(), &err, sizeof err, MSG_NOSIGNAL);
    ::_exit(err ? 1 : 0);
  }
  theirs.reset();
  auto got = receive_fd(ours.get());
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (!got.ok()) return std::move(got).error().context("receiving the mount " + what);
  if (!got->fd) {  // the child sent its errno instead
    int err = EIO;
    if (got->payload.size() == sizeof err) std::memcpy(&err, got->payload.data(), sizeof err);
    return Error(err == ENOENT ? Code::kNotFound : Code::kInternal,
                 "cloning the mount " + what + ": " + std::strerror(err), err);
  }
  UniqueFd mnt = std::move(got->fd);
  if (want_fs_magic) {
    struct statfs sfs {};
    if (::fstatfs(mnt.get(), &sfs) < 0) return sys_error("statfs of the mount " + what);
    if (sfs.f_type != want_fs_magic)
      return failed_precondition("the mount " + what + " is not the file system berth expects");
  }
  return mnt;
}

}  // namespace berth::runtime
