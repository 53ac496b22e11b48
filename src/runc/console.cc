// --console-socket.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "base/fd_passing.h"
#include "base/unique_fd.h"
#include "runc/internal.h"

namespace berth::runc {

Status send_console(const std::string& path, int fd) {
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return invalid_argument("--console-socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return sys_error("socket");
  if (::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
    return sys_error("connecting to --console-socket " + path);
  // runc sends the terminal's name as the payload; receivers only take the fd.
  if (auto sent = send_fd(sock.get(), fd, "/dev/ptmx"); !sent.ok())
    return std::move(sent).error().context("sending the terminal to --console-socket " + path);
  return {};
}

}  // namespace berth::runc
