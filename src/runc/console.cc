// --console-socket and hooks.
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
  char name[] = "/dev/ptmx";
  struct iovec iov {
    name, sizeof name - 1
  };
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
  std::memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  if (::sendmsg(sock.get(), &msg, MSG_NOSIGNAL) < 0)
    return sys_error("sending the terminal to --console-socket " + path);
  return {};
}

Status run_hooks(const std::vector<oci::Hook>& hooks, const std::string& what,
                 const std::string& state_json) {
  for (const auto& h : hooks) {
    int in[2];
    if (::pipe2(in, O_CLOEXEC) < 0) return sys_error("pipe");
    std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = h.env;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return sys_error("fork");
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::execve(h.path.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(in[0]);
    (void)!::write(in[1], state_json.data(), state_json.size());
    ::close(in[1]);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(h.timeout.value_or(0));
    int status = 0;
    while (true) {
      pid_t r = ::waitpid(pid, &status, h.timeout ? WNOHANG : 0);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) return sys_error("waiting for " + what + " hook " + h.path);
      if (h.timeout && std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return unavailable(what + " hook " + h.path + " timed out after " +
                           std::to_string(*h.timeout) + "s");
      }
      if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return failed_precondition(
          what + " hook " + h.path + " failed with status " +
          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)));
  }
  return {};
}

}  // namespace berth::runc
