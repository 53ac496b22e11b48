#include "engine/attach.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fs.h"

namespace berth::engine {
namespace {

// sun_path holds 107 characters, less than a deep --root's container dir: the socket is named
// through /proc/self/fd/<the dir> instead, which bind and connect resolve like any path.
struct SockAddr {
  UniqueFd dir;
  sockaddr_un addr{};
};

Result<SockAddr> address(const std::string& container_dir) {
  SockAddr a;
  a.addr.sun_family = AF_UNIX;
  std::string path = attach_socket_path(container_dir);
  if (path.size() >= sizeof a.addr.sun_path) {
    int fd = ::open(container_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sys_error("open " + container_dir);
    a.dir.reset(fd);
    path = "/proc/self/fd/" + std::to_string(fd) + "/attach.sock";
  }
  std::memcpy(a.addr.sun_path, path.c_str(), path.size() + 1);
  return a;
}

}  // namespace

std::string attach_socket_path(const std::string& container_dir) {
  return path_join(container_dir, "attach.sock");
}

std::string attach_pending_path(const std::string& container_dir) {
  return path_join(container_dir, "attach-pending");
}

Result<UniqueFd> listen_attach(const std::string& container_dir) {
  BERTH_ASSIGN_OR_RETURN(SockAddr a, address(container_dir));
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return sys_error("socket");
  ::unlink(attach_socket_path(container_dir).c_str());  // a previous run's
  // Created 0600 from the start: no moment where another user could connect.
  mode_t old = ::umask(0177);
  int rc = ::bind(s.get(), reinterpret_cast<sockaddr*>(&a.addr), sizeof a.addr);
  ::umask(old);
  if (rc < 0) return sys_error("bind " + attach_socket_path(container_dir));
  if (::listen(s.get(), 8) < 0) return sys_error("listen");
  return s;
}

Result<UniqueFd> connect_attach(const std::string& container_dir) {
  BERTH_ASSIGN_OR_RETURN(SockAddr a, address(container_dir));
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return sys_error("socket");
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a.addr), sizeof a.addr) < 0) {
    if (errno == ENOENT || errno == ECONNREFUSED)
      return not_found("container has no attach socket");
    return sys_error("connect " + attach_socket_path(container_dir));
  }
  return s;
}

}  // namespace berth::engine
