// Detached containers. The CLI forks `berth monitor <id>` and waits only until it reports that the
// container runs. That process starts the container (its child) and then execs the small
// berth-monitor (src/monitor/) in its place, which copies the output into the json-file log,
// schedules healthchecks and, once the container has exited, execs `berth monitor-finish`: that
// records the exit, applies the restart policy and, to start again, goes round once more. So only
// berth-monitor stays resident while the container runs, and the pid never changes.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/strings.h"
#include "engine/attach.h"
#include "engine/container_state.h"
#include "engine/engine.h"
#include "engine/health.h"
#include "engine/logs.h"
#include "engine/network.h"
#include "runtime/cgroup.h"

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
  // The monitor starts the container with /dev/null for stdio: a -t container's pty gets our
  // terminal's size from here, so it has it before its first command runs (a resize sent when
  // we attach could come after the shell's first `stty size`). Docker's client sends it with
  // the create for the same reason.
  std::string console_size;
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
    console_size = std::string(kConsoleSizeEnv) + "=" + std::to_string(ws.ws_row) + "x" +
                   std::to_string(ws.ws_col);
  std::vector<char*> envp;
  for (char** e = environ; e && *e; ++e)
    if (std::string_view(*e).rfind(std::string(kConsoleSizeEnv) + "=", 0) != 0) envp.push_back(*e);
  if (!console_size.empty()) envp.push_back(console_size.data());
  envp.push_back(nullptr);
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
    ::execve("/proc/self/exe", const_cast<char* const*>(argv), envp.data());
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
    if (conf.is_discarded()) continue;
    // A --rm container the reboot ended: removed, as Docker's daemon does when it starts (its
    // bundle was never fsynced: containers.cc).
    if (conf.value("AutoRemove", false) && !monitor_alive(c, container_dir(c.id))) {
      if (auto st = remove_container(c.id, true, true); !st.ok())
        spdlog::warn("removing --rm container {}: {}", c.name, st.error().message());
      continue;
    }
    if (!conf.contains("RestartPolicy")) continue;
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

namespace {

// The berth binary this process runs from ("(deleted)" after an upgrade replaced it: the new one
// at the same path is what to run next).
Result<std::string> self_binary() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n < 0) return sys_error("readlink /proc/self/exe");
  std::string p(buf, static_cast<size_t>(n));
  const std::string deleted = " (deleted)";
  if (p.size() > deleted.size() && p.compare(p.size() - deleted.size(), deleted.size(), deleted) == 0)
    p.resize(p.size() - deleted.size());
  return p;
}

// berth-monitor is installed next to berth (CMake builds and installs both).
Result<std::string> small_monitor_binary(const std::string& berth) {
  std::string p = path_join(dirname(berth), "berth-monitor");
  if (::access(p.c_str(), X_OK) != 0)
    return failed_precondition("the container monitor " + p + " is missing (" +
                               std::strerror(errno) + "): install berth-monitor next to berth");
  return p;
}

void ignore_terminal_signals() {
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

Result<int> Engine::monitor(std::string_view id, int ready_fd) {
  UniqueFd ready(ready_fd);
  auto found = find_container(id);
  if (!found.ok()) {
    (void)write_all(ready.get(), "err 125 " + found.error().message());
    return std::move(found).error();
  }
  ignore_terminal_signals();
  ::unlink(stopped_marker(found->id).c_str());
  (void)atomic_write_file(path_join(container_dir(found->id), "monitor.pid"),
                          std::to_string(::getpid()));
  // The pid with its start time names this monitor across its execs (berth-monitor, berth
  // monitor-finish), when its command line is briefly unreadable (containers.cc monitor_alive).
  (void)atomic_write_file(path_join(container_dir(found->id), "monitor.start"),
                          std::to_string(process_start_time(::getpid())));
  return monitor_run(*found, 0, 100, std::move(ready));
}

Result<int> Engine::monitor_run(ContainerRecord c, int restarts, int delay_ms, UniqueFd ready) {
  auto report = [&](const std::string& text) {
    if (ready) (void)write_all(ready.get(), text);
    ready.reset();
  };
  auto refuse = [&](Error e) -> Result<int> {
    report("err 125 " + e.message());
    return e;
  };
  auto berth = self_binary();
  if (!berth.ok()) return refuse(berth.error());
  auto small = small_monitor_binary(*berth);
  if (!small.ok()) return refuse(small.error());
  LogConfig lc = log_config_of(c.config);
  UniqueFd log_fd;
  if (lc.driver == "json-file") {
    auto fd = open_file(container_log_path(c.id), O_WRONLY | O_CREAT | O_APPEND, 0640);
    if (!fd.ok()) return refuse(fd.error());
    log_fd = std::move(*fd);
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd null_in, open_file("/dev/null", O_RDWR));
  UniqueFd out_r, out_w, err_r, err_w, in_r, in_w, attach_sock;
  StdioFds stdio{null_in.get(), null_in.get(), null_in.get()};
  // -i: stdin stays open in berth-monitor (a pipe; with -t the pty is already the container's
  // stdin) and `attach` reaches it through attach.sock, bound before the "ok" report so that a
  // client that sees the container running never finds it missing.
  Json conf_json = Json::parse(c.config, nullptr, false);
  bool open_stdin = !conf_json.is_discarded() && conf_json.value("OpenStdin", false);
  // Taken before "ok": `start -a` removes its marker once the start is reported.
  bool wait_attach =
      open_stdin && ::unlink(attach_pending_path(container_dir(c.id)).c_str()) == 0;
  if (open_stdin) {
    auto sock = listen_attach(container_dir(c.id));
    if (!sock.ok()) return refuse(sock.error());
    attach_sock = std::move(*sock);
    if (!conf_json.value("Tty", false)) {
      int p0[2];
      if (::pipe2(p0, O_CLOEXEC) < 0) return refuse(sys_error("pipe"));
      in_r.reset(p0[0]);
      in_w.reset(p0[1]);
      stdio.in = in_r.get();
    }
  }
  if (log_fd || open_stdin) {
    int p1[2], p2[2];
    if (::pipe2(p1, O_CLOEXEC) < 0) return refuse(sys_error("pipe"));
    out_r.reset(p1[0]);
    out_w.reset(p1[1]);
    if (::pipe2(p2, O_CLOEXEC) < 0) return refuse(sys_error("pipe"));
    err_r.reset(p2[0]);
    err_w.reset(p2[1]);
    stdio.out = out_w.get();
    stdio.err = err_w.get();
  }
  std::string restarting = path_join(container_dir(c.id), "restarting");  // see reconcile_state
  auto st = start_process(c, stdio);
  ::unlink(restarting.c_str());  // running again (or given up): no longer "restarting"
  if (!st.ok()) {
    if (attach_sock) ::unlink(attach_socket_path(container_dir(c.id)).c_str());
    report("err " + std::to_string(runtime::exit_code_for(st.error())) + " " +
           st.error().message());
    Json conf = Json::parse(c.config, nullptr, false);
    if (!conf.is_discarded() && conf.value("AutoRemove", false)) (void)remove_container(c.id, true, true);
    return std::move(st).error();
  }
  report("ok");
  out_w.reset();
  err_w.reset();
  in_r.reset();
  std::vector<std::string> args = {*small, c.id, "--berth", *berth, "--root", opts_.root,
                                   "--runroot", opts_.runroot, "--pid", std::to_string(st->proc.pid),
                                   "--restarts", std::to_string(restarts),
                                   "--delay-ms", std::to_string(delay_ms)};
  std::vector<int> handed;
  auto hand = [&](const char* flag, int fd) {
    args.push_back(flag);
    args.push_back(std::to_string(fd));
    handed.push_back(fd);
  };
  if (st->proc.console) {
    hand("--console", st->proc.console.get());  // -t: the pty master carries both streams
  } else if (out_r) {
    hand("--out", out_r.get());
    hand("--err", err_r.get());
  }
  if (attach_sock) {
    hand("--attach-fd", attach_sock.get());
    args.insert(args.end(), {"--attach-path", attach_socket_path(container_dir(c.id))});
    if (in_w) hand("--stdin", in_w.get());
    if (wait_attach) args.insert(args.end(), {"--wait-attach-ms", "5000"});
  }
  if (log_fd) {
    hand("--log-fd", log_fd.get());
    args.insert(args.end(), {"--log", container_log_path(c.id), "--max-size",
                             std::to_string(lc.max_size), "--max-files", std::to_string(lc.max_files)});
  }
  if (auto hs = health_settings(c.config)) {
    health_begin(container_dir(c.id));
    args.insert(args.end(), {"--health-interval", std::to_string(hs->interval_ns),
                             "--health-timeout", std::to_string(hs->timeout_ns)});
  }
  // The sockets that reserve published ports stay open for as long as the container runs:
  // inherited by berth-monitor, closed by its exec back into berth.
  if (st->net)
    for (const auto& r : st->net->reservations) handed.push_back(r.get());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Only the fds named above pass into berth-monitor: everything else (the database, the
  // caller's leftovers) is closed by the exec.
  ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
  for (int fd : handed) ::fcntl(fd, F_SETFD, 0);
  ::execv(small->c_str(), argv.data());
  // The container runs with nobody to supervise it: stop it and record the failure.
  auto failed = sys_error("exec " + *small);
  ::kill(st->proc.pid, SIGKILL);
  (void)finish_process(c, *st);
  return failed;
}

Result<int> Engine::monitor_finish(std::string_view id, int restarts, int delay_ms) {
  ignore_terminal_signals();
  BERTH_ASSIGN_OR_RETURN(ContainerRecord c, find_container(id));
  // The container is this process's child: berth-monitor saw it exit and left the zombie, so
  // its pid stays reserved until finish_process has put the exit on record.
  if (c.pid <= 0) return failed_precondition("container " + c.id + " has no process on record");
  Started st;
  st.proc.pid = c.pid;
  BERTH_ASSIGN_OR_RETURN(auto layout, runtime::detect_cgroups());
  BERTH_ASSIGN_OR_RETURN(st.cgroup, runtime::open_cgroup(layout, "berth/" + c.id));
  RestartPolicy policy = restart_policy_of(c.config);
  std::string dir = container_dir(c.id);
  std::string restarting = path_join(dir, "restarting");
  // Marked before the exit goes on record, so that no reader ever sees "exited" for a container
  // that starts again (rm would remove it under its monitor); unmarked below if it does not.
  bool may_restart = policy.name != "no" && !path_exists(stopped_marker(c.id)) &&
                     (policy.max_retries == 0 || restarts < policy.max_retries);
  if (may_restart) (void)atomic_write_file(restarting, "");
  auto finished = finish_process(c, st);
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
  // Docker's backoff: from 100 ms, doubling up to 1 min; a container that ran for 10 s starts
  // over with the shortest delay.
  auto delay = std::chrono::milliseconds(delay_ms);
  if (c.finished_at - c.started_at > 10'000'000'000) delay = std::chrono::milliseconds(100);
  for (auto waited = std::chrono::milliseconds(0); waited < delay;
       waited += std::chrono::milliseconds(50)) {
    if (path_exists(stopped_marker(c.id))) {
      ::unlink(restarting.c_str());
      return code;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  delay = std::min(delay * 2, std::chrono::milliseconds(60000));
  ++restarts;
  (void)atomic_write_file(path_join(dir, "restart_count"), std::to_string(restarts));
  auto again = find_container(c.id);
  if (!again.ok() || path_exists(stopped_marker(c.id))) {  // removed or stopped meanwhile
    ::unlink(restarting.c_str());
    return code;
  }
  return monitor_run(*again, restarts, static_cast<int>(delay.count()), UniqueFd());
}

Result<int> Engine::health_probe(std::string_view id, pid_t pid) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord c, find_container(id));
  // Only the run its monitor asked about: never exec into a pid that is not the container's.
  if (c.state != "running" || c.pid != pid) return 0;
  auto hs = health_settings(c.config);
  if (!hs) return 0;
  std::string dir = container_dir(c.id);
  BERTH_ASSIGN_OR_RETURN(auto spec_text, read_file(path_join(dir, "config.json")));
  BERTH_ASSIGN_OR_RETURN(auto spec, oci::parse_runtime_spec(spec_text));
  bool in_start_period = image::now_nanos() - c.started_at < hs->start_period_ns;
  bool kill = health_probe_once(pid, spec, *hs, dir, in_start_period,
                                restart_policy_of(c.config).name == "on-unhealthy");
  return kill ? kHealthProbeKill : 0;
}

}  // namespace berth::engine
