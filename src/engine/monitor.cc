// Detached containers: `berth monitor <id>` owns the container (its parent), writes its output to
// the json-file log, and records how it ended. The CLI starts the monitor and waits only until it
// reports that the container runs.
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/engine.h"
#include "engine/health.h"
#include "engine/logs.h"

namespace berth::engine {
namespace {

std::string log_path(const std::string& dir, const std::string& id) {
  return path_join(dir, id + "-json.log");
}

LogConfig log_config_of(const std::string& config) {
  LogConfig lc;
  auto conf = nlohmann::json::parse(config, nullptr, false);
  if (conf.is_discarded() || !conf.contains("LogConfig")) return lc;
  const auto& l = conf["LogConfig"];
  lc.driver = l.value("Type", "json-file");
  lc.max_size = l.value("MaxSize", lc.max_size);
  lc.max_files = l.value("MaxFiles", lc.max_files);
  return lc;
}

}  // namespace

std::string Engine::container_log_path(const std::string& id) const {
  return log_path(container_dir(id), id);
}

Status Engine::start_detached(const ContainerRecord& c) {
  // Docker: starting a running container is a no-op; so is one its monitor is about to restart.
  if (c.state == "running" || c.state == "restarting") return {};
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) < 0) return sys_error("pipe");
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
  if (pid == 0) {
    // The monitor: its own session, no terminal, stdio on /dev/null, the ready pipe as fd 3.
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    for (int i = 0; i < 3; ++i) ::dup2(null, i);
    if (ready[1] == 3) ::fcntl(3, F_SETFD, 0);  // dup2 onto itself would keep FD_CLOEXEC
    else ::dup2(ready[1], 3);
    // Nothing else of the caller's (a shell's or a test runner's pipes) may live on in the
    // long-lived monitor.
    ::syscall(SYS_close_range, 4U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    const char* argv[] = {"berth",          "--root",   opts_.root.c_str(), "--runroot",
                          opts_.runroot.c_str(), "monitor", c.id.c_str(),      nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ready_w.reset();
  // The monitor double-checks nothing with us: reap it only if it dies before reporting.
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(ready_r.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  if (msg.rfind("ok", 0) == 0) return {};
  int status = 0;
  ::waitpid(pid, &status, WNOHANG);
  if (msg.empty()) return internal_error("the container monitor exited before starting the container");
  auto sp = split_once(msg, ' ');
  auto rest = split_once(sp.second, ' ');
  int code = 125;
  try {
    code = std::stoi(rest.first);
  } catch (...) {
  }
  Code kind = code == 127 ? Code::kNotFound : code == 126 ? Code::kPermissionDenied
                                                          : Code::kFailedPrecondition;
  return Error(kind, rest.second);
}

namespace {

struct RestartPolicy {
  std::string name = "no";
  int max_retries = 0;
};

RestartPolicy restart_policy_of(const std::string& config) {
  RestartPolicy p;
  auto conf = nlohmann::json::parse(config, nullptr, false);
  if (conf.is_discarded() || !conf.contains("RestartPolicy")) return p;
  p.name = conf["RestartPolicy"].value("Name", "no");
  p.max_retries = conf["RestartPolicy"].value("MaximumRetryCount", 0);
  return p;
}

bool should_restart(const RestartPolicy& p, int exit_code, int restarts, bool unhealthy_kill) {
  if (p.name == "always" || p.name == "unless-stopped") return true;
  if (p.name == "on-failure")
    return exit_code != 0 && (p.max_retries == 0 || restarts < p.max_retries);
  if (p.name == "on-unhealthy")
    return unhealthy_kill && (p.max_retries == 0 || restarts < p.max_retries);
  return false;
}

}  // namespace

Result<std::vector<std::string>> Engine::boot() {
  BERTH_ASSIGN_OR_RETURN(auto all, list_containers());  // a stale "running" reads as exited
  std::vector<std::string> started;
  for (const auto& c : all) {
    if (c.state == "running" || c.state == "restarting") continue;
    Json conf = Json::parse(c.config, nullptr, false);
    if (conf.is_discarded() || !conf.contains("RestartPolicy")) continue;
    std::string policy = conf["RestartPolicy"].value("Name", "no");
    // Docker's rules after a daemon restart: `always` starts even after a user's stop;
    // `unless-stopped` only if the user did not stop it.
    bool start = policy == "always" ||
                 (policy == "unless-stopped" && !path_exists(stopped_marker(c.id)));
    if (!start) continue;
    BERTH_TRY_CTX(start_detached(c), "starting " + c.name);
    started.push_back(c.name);
  }
  return started;
}

std::string Engine::stopped_marker(const std::string& id) const {
  return path_join(container_dir(id), "stopped-by-user");
}

Result<int> Engine::monitor(std::string_view id, int ready_fd) {
  UniqueFd ready(ready_fd);
  auto report = [&](const std::string& text) {
    if (ready) (void)write_all(ready.get(), text);
    ready.reset();
  };
  auto found = find_container(id);
  if (!found.ok()) {
    report("err 125 " + found.error().message());
    return std::move(found).error();
  }
  ContainerRecord c = *found;
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  ::unlink(stopped_marker(c.id).c_str());
  (void)atomic_write_file(path_join(container_dir(c.id), "monitor.pid"), std::to_string(::getpid()));
  LogConfig lc = log_config_of(c.config);
  RestartPolicy policy = restart_policy_of(c.config);
  std::optional<LogWriter> writer;
  if (lc.driver == "json-file") {
    auto w = LogWriter::open(container_log_path(c.id), lc);
    if (!w.ok()) {
      report("err 125 " + w.error().message());
      return std::move(w).error();
    }
    writer.emplace(std::move(*w));
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd null_in, open_file("/dev/null", O_RDWR));
  int restarts = 0;
  std::string restarting = path_join(container_dir(c.id), "restarting");  // see reconcile_state
  auto delay = std::chrono::milliseconds(100);  // Docker's restart backoff: doubles, up to 1 min
  while (true) {
    UniqueFd out_r, out_w, err_r, err_w;
    StdioFds stdio{null_in.get(), null_in.get(), null_in.get()};
    if (writer) {
      int p1[2], p2[2];
      if (::pipe2(p1, O_CLOEXEC) < 0 || ::pipe2(p2, O_CLOEXEC) < 0) return sys_error("pipe");
      out_r.reset(p1[0]);
      out_w.reset(p1[1]);
      err_r.reset(p2[0]);
      err_w.reset(p2[1]);
      stdio.out = out_w.get();
      stdio.err = err_w.get();
    }
    auto started_at = std::chrono::steady_clock::now();
    auto st = start_process(c, stdio);
    ::unlink(restarting.c_str());  // running again (or given up): no longer "restarting"
    if (!st.ok()) {
      report("err " + std::to_string(runtime::exit_code_for(st.error())) + " " +
             st.error().message());
      Json conf = Json::parse(c.config, nullptr, false);
      if (!conf.is_discarded() && conf.value("AutoRemove", false)) (void)remove_container(c.id, true, true);
      return std::move(st).error();
    }
    report("ok");
    // Starting the container (image, spec, seccomp, sqlite) left freed heap behind; hand it back
    // so the monitor, one per running container, keeps only what it uses.
    ::malloc_trim(0);
    out_w.reset();
    err_w.reset();
    // The healthcheck runs in a child of its own: a check that hangs never stalls the log.
    pid_t health_pid = -1;
    std::string dir = container_dir(c.id);
    if (auto hs = health_settings(c.config)) {
      ::unlink(path_join(dir, "killed-unhealthy").c_str());
      auto spec_text = read_file(path_join(dir, "config.json"));
      auto spec = spec_text.ok() ? oci::parse_runtime_spec(*spec_text) : Result<oci::RuntimeSpec>(spec_text.error());
      if (spec.ok()) {
        pid_t monitor_pid = ::getpid();
        health_pid = ::fork();
        if (health_pid == 0) {
          // Dies with the monitor (the monitor kills it at the end of each run): a probe loop
          // outliving its run would keep probing, and killing, a container it no longer owns.
          ::prctl(PR_SET_PDEATHSIG, SIGKILL);
          if (::getppid() != monitor_pid) ::_exit(0);
          out_r.reset();  // the log pipes are the monitor's alone
          err_r.reset();
          run_health_loop(st->proc.pid, *spec, *hs, dir, policy.name == "on-unhealthy");
          ::_exit(0);
        }
      }
    }
    if (writer) {
      // Copy both streams into the log until every holder of the pipes has closed them.
      struct pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
      int open_streams = 2;
      char buf[65536];
      while (open_streams > 0) {
        int n = ::poll(fds, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        for (int i = 0; i < 2; ++i) {
          if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
          ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
          if (r <= 0) {
            fds[i].fd = -1;
            --open_streams;
            continue;
          }
          (void)writer->write(i == 0 ? "stdout" : "stderr",
                              std::string_view(buf, static_cast<size_t>(r)));
        }
      }
      (void)writer->flush();
    }
    // Marked before the exit goes on record, so that no reader ever sees "exited" for a container
    // that starts again (rm would remove it under its monitor); unmarked below if it does not.
    bool may_restart = policy.name != "no" && !path_exists(stopped_marker(c.id)) &&
                       (policy.max_retries == 0 || restarts < policy.max_retries);
    if (may_restart) (void)atomic_write_file(restarting, "");
    auto finished = finish_process(c, *st);
    if (health_pid > 0) {
      ::kill(health_pid, SIGKILL);
      while (::waitpid(health_pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (!finished.ok()) ::unlink(restarting.c_str());
    BERTH_ASSIGN_OR_RETURN(int code, std::move(finished));
    bool unhealthy_kill = ::unlink(path_join(dir, "killed-unhealthy").c_str()) == 0;
    if (path_exists(stopped_marker(c.id)) ||
        !should_restart(policy, code, restarts, unhealthy_kill)) {
      ::unlink(restarting.c_str());
      return code;
    }
    // Until the next start, inspect and ps say "restarting" (Docker's state), not "exited": a
    // reader that sees the restart count go up must not take the gap for the final exit.
    if (!may_restart) (void)atomic_write_file(restarting, "");
    // A container that ran for 10 s starts over with the shortest delay, as Docker's does.
    if (std::chrono::steady_clock::now() - started_at > std::chrono::seconds(10))
      delay = std::chrono::milliseconds(100);
    for (auto waited = std::chrono::milliseconds(0); waited < delay;
         waited += std::chrono::milliseconds(50)) {
      if (path_exists(stopped_marker(c.id))) {
        ::unlink(restarting.c_str());
        return code;
      }
      ::usleep(50000);
    }
    delay = std::min(delay * 2, std::chrono::milliseconds(60000));
    ++restarts;
    (void)atomic_write_file(path_join(container_dir(c.id), "restart_count"), std::to_string(restarts));
    auto again = find_container(c.id);
    if (!again.ok() || path_exists(stopped_marker(c.id))) {  // removed or stopped meanwhile
      ::unlink(restarting.c_str());
      return code;
    }
    c = *again;
  }
}

}  // namespace berth::engine
