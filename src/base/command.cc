#include "base/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "base/scope_exit.h"
#include "base/strings.h"
#include "base/unique_fd.h"

extern char** environ;

namespace berth {

Result<CommandResult> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout,
                                  const std::vector<std::string>& env) {
  if (argv.empty()) return invalid_argument("run_command: no program");
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) < 0) return sys_error("pipe");
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) < 0) return sys_error("pipe");
  UniqueFd err_r(err[0]), err_w(err[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  ScopeExit destroy_fa([&] { posix_spawn_file_actions_destroy(&fa); });
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
  // Its own process group, so a timeout also ends the helpers it started (git's transports).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  ScopeExit destroy_attr([&] { posix_spawnattr_destroy(&attr); });
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;  // the additions first: getenv takes the first of a name
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  for (char** e = environ; e && *e; ++e) envp.push_back(*e);
  envp.push_back(nullptr);
  pid_t pid;
  if (int rc = ::posix_spawnp(&pid, argv[0].c_str(), &fa, &attr, args.data(), envp.data()); rc != 0)
    return Error(Code::kNotFound, "cannot run " + argv[0] + ": " + std::strerror(rc), rc);
  out_w.reset();
  err_w.reset();
  CommandResult r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  char buf[8192];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    int n = left.count() > 0 ? ::poll(fds, 2, static_cast<int>(left.count())) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;  // poll skips it from now on
        --open_fds;
        continue;
      }
      sinks[i]->append(buf, static_cast<size_t>(got));
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    return unavailable(join(argv, " ") + " did not finish within " +
                       std::to_string(timeout.count()) + " ms");
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace berth
