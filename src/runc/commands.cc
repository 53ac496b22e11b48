// berth-runc's commands: runc's behaviour over berth's launcher, exec and cgroups.
#include "runc/commands.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "base/fs.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "image/store.h"
#include "oci/runtime_spec.h"
#include "runc/internal.h"
#include "runc/state.h"
#include "runtime/exec.h"
#include "runtime/hooks.h"
#include "runtime/launcher.h"

namespace berth::runc {
namespace {

using Json = nlohmann::ordered_json;

int64_t now_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> the_id(const Args& a, const std::string& cmd) {
  if (a.positional.empty())
    return invalid_argument("\"" + cmd + "\" requires a minimum of 1 argument");
  BERTH_TRY(check_id(a.positional[0]));
  return a.positional[0];
}

Result<std::string> absolute(const std::string& p) {
  char buf[PATH_MAX];
  if (!::realpath(p.empty() ? "." : p.c_str(), buf)) return sys_error("resolving " + p);
  return std::string(buf);
}

Result<oci::RuntimeSpec> load_spec(const std::string& bundle) {
  BERTH_ASSIGN_OR_RETURN(auto text, read_file(path_join(bundle, "config.json")));
  return oci::parse_runtime_spec(text);
}

Result<std::unique_ptr<runtime::Cgroup>> open_named_cgroup(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(auto layout, runtime::detect_cgroups());
  return runtime::open_cgroup(layout, name);
}

// The process is not our child (a subreaper reaps it): poll until it is gone or a zombie.
bool wait_gone(pid_t pid, uint64_t start, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (process_alive(pid, start)) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

struct Created {
  State state;
  runtime::Launched proc;
};

// create: the container set up and waiting at the start gate; state.json and the pid file.
Result<Created> create(const Globals& g, const std::string& id, const Args& a) {
  BERTH_ASSIGN_OR_RETURN(std::string bundle, absolute(a.get("bundle")));
  BERTH_ASSIGN_OR_RETURN(auto spec, load_spec(bundle));
  if (!spec.process) return invalid_argument("config.json: process is required");
  if (!spec.root || spec.root->path.empty())
    return invalid_argument("config.json: root.path is required");
  if (spec.root->path[0] != '/') spec.root->path = path_join(bundle, spec.root->path);
  if (spec.process->terminal && a.get("console-socket").empty())
    return invalid_argument(
        "cannot allocate tty if runc will detach without setting console socket");

  BERTH_TRY(mkdir_all(g.root, 0711));
  std::string dir = container_dir(g.root, id);
  if (::mkdir(dir.c_str(), 0711) < 0) {
    if (errno == EEXIST) return already_exists("container with id exists: " + id);
    return sys_error("creating " + dir);
  }
  Created c;
  bool done = false;
  std::unique_ptr<runtime::Cgroup> cg;
  bool made_cgroup = false;
  ScopeExit undo([&] {
    if (done) return;
    if (c.proc.pid > 0) {
      ::kill(c.proc.pid, SIGKILL);
      ::waitpid(c.proc.pid, nullptr, 0);
    }
    if (cg && made_cgroup) (void)cg->destroy();
    (void)remove_all(dir);
  });

  State& s = c.state;
  s.id = id;
  s.bundle = bundle;
  s.rootfs = spec.root->path;
  s.annotations = spec.annotations;
  BERTH_ASSIGN_OR_RETURN(s.cgroup, cgroup_name(spec.linux ? spec.linux->cgroups_path : "", id));
  BERTH_ASSIGN_OR_RETURN(cg, open_named_cgroup(s.cgroup));
  // A cgroup that is already there (a pod's) is joined, not owned.
  std::string probe = cg->paths().empty() ? "" : cg->paths().front();
  s.own_cgroup = probe.empty() || !path_exists(probe);
  made_cgroup = s.own_cgroup;
  BERTH_TRY_CTX(cg->create(resources_from_spec(spec)), "creating the container's cgroup");

  // The start gate: a fifo the child holds open read-write and reads one byte from; `start`
  // writes the byte. While the fifo exists the container is "created".
  // A state without a pid first: if this process dies from here on, `delete -f` finds the
  // container and destroying its cgroup kills a process left waiting at the gate.
  BERTH_TRY(save_state(g.root, s));
  std::string fifo = fifo_path(g.root, id);
  if (::mkfifo(fifo.c_str(), 0600) < 0) return sys_error("creating " + fifo);
  UniqueFd gate(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
  if (!gate) return sys_error("opening " + fifo);

  runtime::LaunchOptions lo;
  lo.cgroup = cg.get();
  lo.start_gate_fd = gate.get();
  // prestart, createRuntime and createContainer run inside launch(), before pivot_root, as runc
  // runs them; startContainer in the container once `start` opens the gate.
  lo.hook_id = id;
  lo.hook_bundle = bundle;
  BERTH_ASSIGN_OR_RETURN(c.proc, runtime::launch(spec, lo));
  gate.reset();
  s.pid = c.proc.pid;
  s.pid_start = process_start_time(s.pid);
  s.created = now_nanos();
  if (spec.process->terminal)
    BERTH_TRY(send_console(a.get("console-socket"), c.proc.console.get()));
  c.proc.console.reset();
  BERTH_TRY(save_state(g.root, s));
  if (a.has("pid-file")) {
    BERTH_ASSIGN_OR_RETURN(std::string pf, absolute(dirname(a.get("pid-file"))));
    BERTH_TRY(atomic_write_file(path_join(pf, basename(a.get("pid-file"))), std::to_string(s.pid)));
  }
  done = true;
  return c;
}

Status start(const Globals& g, const State& s) {
  std::string status = status_of(g.root, s);
  if (status == "stopped") return failed_precondition("cannot start a container that has stopped");
  if (status != "created")
    return failed_precondition("cannot start an already " + status + " container");
  std::string fifo = fifo_path(g.root, s.id);
  UniqueFd w(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!w) return sys_error("opening the start gate " + fifo);
  if (::write(w.get(), "g", 1) != 1) return sys_error("opening the start gate " + fifo);
  w.reset();
  // The child closes its end after reading the byte, right before execve: wait for that, so
  // `state` says running once start returned.
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end) {
    UniqueFd probe(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!probe) break;  // ENXIO: no reader left
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::unlink(fifo.c_str());
  if (auto spec = load_spec(s.bundle); spec.ok() && spec->hooks)
    (void)runtime::run_hooks(spec->hooks->poststart, "poststart", state_json(g.root, s).dump());
  return {};
}

// Removes what is left of a stopped container: its cgroup, its state; runs poststop hooks.
Status destroy(const Globals& g, const State& s) {
  if (s.own_cgroup && !s.cgroup.empty()) {
    if (auto cg = open_named_cgroup(s.cgroup); cg.ok()) BERTH_TRY((*cg)->destroy());
  }
  if (auto spec = load_spec(s.bundle); spec.ok() && spec->hooks) {
    State stopped = s;
    (void)runtime::run_hooks(spec->hooks->poststop, "poststop", state_json(g.root, stopped).dump());
  }
  return remove_all(container_dir(g.root, s.id));
}

void write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return;
  auto dir = absolute(dirname(path));
  if (dir.ok()) (void)atomic_write_file(path_join(*dir, basename(path)), std::to_string(pid));
}

}  // namespace

Result<int> parse_signal(const std::string& in) {
  static const std::map<std::string, int> kSignals = {
      {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
      {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
      {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
      {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
      {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
      {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
      {"PWR", SIGPWR},       {"SYS", SIGSYS}};
  std::string s = in;
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  if (auto it = kSignals.find(s); it != kSignals.end()) return it->second;
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 3) {
    int n = std::stoi(s);
    if (n > 0 && n < 65) return n;
  }
  return invalid_argument("unknown signal \"" + in + "\"");
}

Result<int> cmd_create(const Globals& g, const Args& a) {
  BERTH_ASSIGN_OR_RETURN(auto id, the_id(a, "create"));
  BERTH_ASSIGN_OR_RETURN(auto c, create(g, id, a));
  return 0;
}

Result<int> cmd_start(const Globals& g, const Args& a) {
  BERTH_ASSIGN_OR_RETURN(auto id, the_id(a, "start"));
  BERTH_ASSIGN_OR_RETURN(auto s, load_state(g.root, id));
  BERTH_TRY(start(g, s));
  return 0;
}

Result<int> cmd_run(const Globals& g, const Args& a) {
  BERTH_ASSIGN_OR_RETURN(auto id, the_id(a, "run"));
  bool detach = a.flag("detach");
  // Foreground run is the container's parent: it forwards signals, reaps it and deletes it.
  static volatile sig_atomic_t forward_to = 0;
  if (!detach) {
    struct sigaction sa {};
    sa.sa_handler = [](int sig) {
      if (forward_to > 0) ::kill(forward_to, sig);
    };
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
      ::sigaction(sig, &sa, nullptr);
  }
  BERTH_ASSIGN_OR_RETURN(auto c, create(g, id, a));
  forward_to = c.state.pid;
  auto st = start(g, c.state);
  if (!st.ok()) {
    ::kill(c.state.pid, SIGKILL);
    ::waitpid(c.state.pid, nullptr, 0);
    (void)destroy(g, c.state);
    return std::move(st).error();
  }
  if (detach) return 0;
  int status = 0;
  while (::waitpid(c.state.pid, &status, 0) < 0 && errno == EINTR) {
  }
  forward_to = 0;
  if (!a.flag("keep")) BERTH_TRY(destroy(g, c.state));
  return runtime::docker_exit_status(status);
}

Result<int> cmd_state(const Globals& g, const Args& a) {
  BERTH_ASSIGN_OR_RETURN(auto id, the_id(a, "state"));
  BERTH_ASSIGN_OR_RETURN(auto s, load_state(g.root, id));
  std::cout << state_json(g.root, s).dump(2) << "\n";
  return 0;
}

Result<int> cmd_kill(const Globals& g, const Args& a) {
  BERTH_ASSIGN_OR_RETURN(auto id, the_id(a, "kill"));
  int sig = SIGTERM;
  if (a.positional.size() > 1) {
    BERTH_ASSIGN_OR_RETURN(sig, parse_signal(a.positional[1]));
  }
  BERTH_ASSIGN_OR_RETURN(auto s, load_state(g.root, id));
  bool all = a.flag("all");
  std::string status = status_of(g.root, s);
  if (status == "stopped" && !all) return failed_precondition("container not running");
  if (all && !s.cgroup.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto cg, open_named_cgroup(s.cgroup));
    auto st = cg->kill_all(sig);
    if (!st.ok() && !(status == "stopped" && st.error().code() == Code::kNotFound))
      return std::move(st).error();
    return 0;
  }
  if (::kill(s.pid, sig) < 0) return sys_error("killing container " + id);
  return 0;
}

Result<int> cmd_delete(const Globals& g, const Args& a) {
  BERTH_ASSIGN_OR_RETURN(auto id, the_id(a, "delete"));
  bool force = a.flag("force");
  auto s = load_state(g.root, id);
  if (!s.ok()) {
    if (s.error().code() == Code::kNotFound && force) {
      (void)remove_all(container_dir(g.root, id));  // half-created leftovers
      return 0;
    }
    return std::move(s).error();
  }
  std::string status = status_of(g.root, *s);
  if (status == "running" || status == "paused") {
    if (!force)
      return failed_precondition("cannot delete container " + id +
                                 " that is not stopped: " + status);
  }
  if (status != "stopped") {
    if (status == "paused")
      if (auto cg = open_named_cgroup(s->cgroup); cg.ok()) (void)(*cg)->thaw();
    ::kill(s->pid, SIGKILL);
    if (!wait_gone(s->pid, s->pid_start, std::chrono::seconds(10)))
      return unavailable("container " + id + " did not die after SIGKILL");
  }
  BERTH_TRY(destroy(g, *s));
  return 0;
}

Result<int> cmd_exec(const Globals& g, const Args& a) {
  BERTH_ASSIGN_OR_RETURN(auto id, the_id(a, "exec"));
  BERTH_ASSIGN_OR_RETURN(auto s, load_state(g.root, id));
  std::string status = status_of(g.root, s);
  if (status == "stopped") return failed_precondition("cannot exec in a stopped container");
  if (status == "paused" && !a.flag("ignore-paused"))
    return failed_precondition(
        "cannot exec in a paused container (use --ignore-paused to override)");
  BERTH_ASSIGN_OR_RETURN(auto spec, load_spec(s.bundle));
  oci::Process proc;
  if (a.has("process")) {
    BERTH_ASSIGN_OR_RETURN(auto text, read_file(a.get("process")));
    // A process object is parsed as the process of a spec, with the same rules and errors.
    auto parsed = oci::parse_runtime_spec("{\"ociVersion\":\"1.0.2\",\"process\":" + text + "}");
    if (!parsed.ok() || !parsed->process)
      return invalid_argument("--process " + a.get("process") + ": " +
                              (parsed.ok() ? std::string("no process") : parsed.error().message()));
    proc = *parsed->process;
  } else {
    if (a.positional.size() < 2)
      return invalid_argument("exec: no command given (or use --process)");
    proc = spec.process.value_or(oci::Process{});
    proc.args.assign(a.positional.begin() + 1, a.positional.end());
    proc.terminal = a.flag("tty");
    proc.console_size.reset();
    if (a.has("cwd")) proc.cwd = a.get("cwd");
    if (auto it = a.values.find("env"); it != a.values.end())
      for (const auto& e : it->second) proc.env.push_back(e);
    if (a.has("user")) {
      auto ug = split_once(a.get("user"), ':');
      auto num = [](const std::string& v) -> Result<uint32_t> {
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 10)
          return invalid_argument("--user takes uid[:gid] as numbers, not \"" + v + "\"");
        return static_cast<uint32_t>(std::stoul(v));
      };
      BERTH_ASSIGN_OR_RETURN(proc.user.uid, num(ug.first));
      if (ug.found) {
        BERTH_ASSIGN_OR_RETURN(proc.user.gid, num(ug.second));
      } else
        proc.user.gid = 0;
      proc.user.additional_gids.clear();
    }
    if (a.flag("no-new-privs")) proc.no_new_privileges = true;
  }
  if (proc.terminal && a.get("console-socket").empty())
    return invalid_argument(
        "cannot allocate tty if runc will detach without setting console socket");
  runtime::ExecOptions eo;
  BERTH_ASSIGN_OR_RETURN(auto launched, runtime::exec_in_container(s.pid, spec, proc, eo));
  if (proc.terminal) {
    auto sent = send_console(a.get("console-socket"), launched.console.get());
    if (!sent.ok()) {
      ::kill(launched.pid, SIGKILL);
      ::waitpid(launched.pid, nullptr, 0);
      return std::move(sent).error();
    }
    launched.console.reset();
  }
  write_pid_file(a.get("pid-file"), launched.pid);
  if (a.flag("detach")) return 0;
  int st = 0;
  while (::waitpid(launched.pid, &st, 0) < 0 && errno == EINTR) {
  }
  return runtime::docker_exit_status(st);
}

Result<int> cmd_ps(const Globals& g, const Args& a) {
  BERTH_ASSIGN_OR_RETURN(auto id, the_id(a, "ps"));
  BERTH_ASSIGN_OR_RETURN(auto s, load_state(g.root, id));
  std::vector<pid_t> pids;
  if (status_of(g.root, s) != "stopped") {
    BERTH_ASSIGN_OR_RETURN(auto cg, open_named_cgroup(s.cgroup));
    BERTH_ASSIGN_OR_RETURN(pids, cg->pids());
  }
  if (a.get("format") == "json") {
    std::cout << nlohmann::json(pids).dump() << "\n";
    return 0;
  }
  // The table: `ps -ef` (or the given ps options) filtered to the container's processes.
  std::string opts =
      a.positional.size() > 1 ? join({a.positional.begin() + 1, a.positional.end()}, " ") : "-ef";
  FILE* ps = ::popen(("ps " + opts).c_str(), "r");
  if (!ps) return sys_error("running ps");
  std::set<pid_t> want(pids.begin(), pids.end());
  char line[4096];
  size_t pid_col = 1;
  bool header = true;
  while (std::fgets(line, sizeof line, ps)) {
    std::vector<std::string> cols;
    for (auto& c : split(trim(line), ' '))
      if (!c.empty()) cols.push_back(c);
    if (header) {
      for (size_t i = 0; i < cols.size(); ++i)
        if (cols[i] == "PID") pid_col = i;
      std::cout << line;
      header = false;
      continue;
    }
    if (cols.size() > pid_col && want.count(static_cast<pid_t>(std::atoi(cols[pid_col].c_str()))))
      std::cout << line;
  }
  ::pclose(ps);
  return 0;
}

Result<int> cmd_list(const Globals& g, const Args& a) {
  BERTH_ASSIGN_OR_RETURN(auto all, list_states(g.root));
  if (a.flag("quiet")) {
    for (const auto& s : all) std::cout << s.id << "\n";
    return 0;
  }
  if (a.get("format") == "json") {
    Json arr = Json::array();
    for (const auto& s : all) arr.push_back(state_json(g.root, s));
    std::cout << arr.dump() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& s : all) {
    Json j = state_json(g.root, s);
    rows.push_back({s.id, std::to_string(j["pid"].get<int>()), j["status"].get<std::string>(),
                    s.bundle, j["created"].get<std::string>(), "root"});
  }
  std::vector<size_t> w(6, 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i)
      line += i + 1 < r.size() ? r[i] + std::string(w[i] - r[i].size() + 4, ' ') : r[i];
    std::cout << line << "\n";
  }
  return 0;
}

Result<int> cmd_pause(const Globals& g, const Args& a, bool pause) {
  BERTH_ASSIGN_OR_RETURN(auto id, the_id(a, pause ? "pause" : "resume"));
  BERTH_ASSIGN_OR_RETURN(auto s, load_state(g.root, id));
  std::string status = status_of(g.root, s);
  if (status == "stopped" || status == "created")
    return failed_precondition("container not running");
  BERTH_ASSIGN_OR_RETURN(auto cg, open_named_cgroup(s.cgroup));
  BERTH_TRY(pause ? cg->freeze() : cg->thaw());
  return 0;
}

Result<int> cmd_spec(const Globals& g, const Args& a) {
  std::string dir = a.get("bundle").empty() ? "." : a.get("bundle");
  std::string path = path_join(dir, "config.json");
  if (path_exists(path)) return already_exists("File " + path + " exists. Remove it first");
  BERTH_TRY(atomic_write_file(path, oci::serialize_runtime_spec(oci::example_spec()), 0666));
  return 0;
}

Result<int> cmd_features(const Globals& g, const Args& a) {
  Json j;
  j["ociVersionMin"] = "1.0.0";
  j["ociVersionMax"] = "1.1.0";
  j["hooks"] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                "poststop"};
  j["mountOptions"] = {"async",       "atime",       "bind",   "defaults",  "dev",
                       "diratime",    "dirsync",     "exec",   "mand",      "noatime",
                       "nodev",       "nodiratime",  "noexec", "nosuid",    "private",
                       "rbind",       "relatime",    "ro",     "rprivate",  "rshared",
                       "rslave",      "runbindable", "rw",     "shared",    "slave",
                       "strictatime", "suid",        "sync",   "unbindable"};
  Json lx;
  lx["namespaces"] = {"cgroup", "ipc", "mount", "network", "pid", "uts"};
  Json caps = Json::array();
  for (const auto& c : runtime::all_caps()) caps.push_back(c);
  lx["capabilities"] = caps;
  lx["cgroup"] = {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}};
  lx["seccomp"] = {{"enabled", true},
                   {"actions",
                    {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                     "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
                   {"operators",
                    {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                     "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}}};
  lx["apparmor"] = {{"enabled", false}};
  lx["selinux"] = {{"enabled", false}};
  j["linux"] = lx;
  j["annotations"] = {{"org.opencontainers.runc.checkpoint.enabled", "false"},
                      {"io.github.berth.runtime", "berth-runc"}};
  std::cout << j.dump(4) << "\n";
  return 0;
}

}  // namespace berth::runc
