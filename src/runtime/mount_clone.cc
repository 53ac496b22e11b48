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


namespace berth::runtime {
namespace {

Status send_fd(int sock, int fd) {
  char byte = 'm';
  struct iovec iov {&byte, 1};
  char cbuf[CMSG_SPACE(sizeof(int))];
  std::memset(cbuf, 0, sizeof cbuf);
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  if (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) return sys_error("sendmsg");
  return {};
}

}  // namespace

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
      else if (!send_fd(theirs.get(), fd).ok()) err = errno;
    }
    if (err) (void)!::send(theirs.get(), &err, sizeof err, MSG_NOSIGNAL);
    ::_exit(err ? 1 : 0);
  }
  theirs.reset();
  char buf[sizeof(int)];
  struct iovec iov {buf, sizeof buf};
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  ssize_t n;
  do {
    n = ::recvmsg(ours.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  int recv_errno = errno;
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (n < 0) return Error(Code::kInternal, "receiving the mount " + what, recv_errno);
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) {
    int err = 0;
    if (n == static_cast<ssize_t>(sizeof err)) std::memcpy(&err, buf, sizeof err);
    return Error(err == ENOENT ? Code::kNotFound : Code::kInternal,
                 "cloning the mount " + what + ": " + std::strerror(err ? err : EIO), err);
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  UniqueFd mnt(fd);
  if (want_fs_magic) {
    struct statfs sfs {};
    if (::fstatfs(mnt.get(), &sfs) < 0) return sys_error("statfs of the mount " + what);
    if (sfs.f_type != want_fs_magic)
      return failed_precondition("the mount " + what + " is not the file system berth expects");
  }
  return mnt;
}

}  // namespace berth::runtime
