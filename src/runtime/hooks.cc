#include "runtime/hooks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"

namespace berth::runtime {

std::string hook_state_json(const HookState& s, std::string_view status, pid_t pid) {
  nlohmann::ordered_json j;
  j["ociVersion"] = "1.0.2";
  j["id"] = s.id;
  j["status"] = status;
  if (status != "stopped") j["pid"] = pid;
  j["bundle"] = s.bundle;
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j.dump();
}

Status run_hooks(const std::vector<oci::Hook>& hooks, std::string_view what,
                 const std::string& state_json) {
  for (const auto& h : hooks) {
    std::string name = std::string(what) + " hook " + h.path;
    // stdin is a socket, so that the state can be sent with MSG_NOSIGNAL: a hook that exits
    // without reading it must not kill us with SIGPIPE.
    int in[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0) return sys_error("socketpair");
    UniqueFd in_r(in[0]), in_w(in[1]);
    std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = h.env;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return sys_error("fork for " + name);
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::execve(h.path.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    in_r.reset();
    (void)!::send(in_w.get(), state_json.data(), state_json.size(), MSG_NOSIGNAL);
    in_w.reset();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(h.timeout.value_or(0));
    int status = 0;
    while (true) {
      pid_t r = ::waitpid(pid, &status, h.timeout ? WNOHANG : 0);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) return sys_error("waiting for " + name);
      if (h.timeout && std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return unavailable(name + " timed out after " + std::to_string(*h.timeout) + "s");
      }
      if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return failed_precondition(
          name + " failed with status " +
          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)));
  }
  return {};
}

}  // namespace berth::runtime
