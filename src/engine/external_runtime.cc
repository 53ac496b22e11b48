// Containers run by another runc-compatible runtime (see external_runtime.h).
#include "engine/external_runtime.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/fd_passing.h"
#include "base/fs.h"
#include "base/strings.h"

namespace berth::engine {
namespace {

// Runs the runtime with `args`. Its stdio: `fds` where >= 0; else ours when `inherit`, else
// /dev/null. Returns the exit status.
Result<int> run_runtime(const ExternalRuntime& rt, const std::vector<std::string>& args,
                        bool inherit = false, int in = -1, int out = -1, int err = -1) {
  std::vector<std::string> all = {
      rt.binary,      "--root", rt.state_root, "--log", path_join(rt.bundle, "log.json"),
      "--log-format", "json"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  BERTH_ASSIGN_OR_RETURN(UniqueFd devnull, open_file("/dev/null", O_RDWR));
  int fds[3] = {in, out, err};
  for (int& f : fds)
    if (f < 0 && !inherit) f = devnull.get();
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
  if (pid == 0) {
    // Lift every source above 2 first, so a dup2 never overwrites a source still needed.
    int high[3];
    for (int i = 0; i < 3; ++i) high[i] = fds[i] < 0 ? -1 : ::fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    for (int i = 0; i < 3; ++i)
      if (high[i] >= 0) ::dup2(high[i], i);
    ::execv(rt.binary.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The last error line the runtime logged (runc/crun: JSON lines with "msg").
std::string last_log_error(const ExternalRuntime& rt) {
  auto text = read_file(path_join(rt.bundle, "log.json"));
  if (!text.ok()) return "";
  std::string msg;
  for (const auto& line : split(*text, '\n')) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("level", "") == "error") msg = j.value("msg", "");
  }
  return msg;
}

Error runtime_error(const ExternalRuntime& rt, const std::string& what) {
  std::string msg = last_log_error(rt);
  if (msg.empty()) msg = basename(rt.binary) + " " + what + " failed";
  // runc: "runc create failed: unable to start container process: exec: ...": keep the part
  // berth itself would say, so 126/127 follow.
  if (auto at = msg.find("unable to start container process:"); at != std::string::npos)
    msg = msg.substr(at);
  Code code = msg.find("executable file not found") != std::string::npos ||
                      msg.find("no such file or directory") != std::string::npos
                  ? Code::kNotFound
              : msg.find("permission denied") != std::string::npos ? Code::kPermissionDenied
                                                                   : Code::kFailedPrecondition;
  return Error(code, msg);
}

Result<UniqueFd> console_listener(const std::string& path) {
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return invalid_argument("console socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str());
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return sys_error("socket");
  if (::bind(s.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
    return sys_error("binding " + path);
  if (::listen(s.get(), 1) < 0) return sys_error("listen");
  return s;
}

Result<UniqueFd> receive_console(int listener) {
  struct pollfd p {
    listener, POLLIN, 0
  };
  if (::poll(&p, 1, 5000) <= 0) return internal_error("the runtime sent no terminal");
  UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return sys_error("accepting the runtime's console socket");
  auto got = receive_fd(conn.get());
  if (!got.ok()) return std::move(got).error().context("receiving the terminal");
  if (!got->fd) return internal_error("the runtime sent no terminal");
  return std::move(got->fd);
}

}  // namespace

Result<std::string> resolve_runtime(const std::string& name) {
  auto bad = [&] { return invalid_argument("unknown or invalid runtime name: " + name); };
  if (name.empty()) return bad();
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) != 0) return bad();
    if (name[0] == '/') return name;
    // Absolute, but not through realpath: that would turn a berth-runc link into berth itself.
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return bad();
    return path_join(cwd, name);
  }
  const char* path = std::getenv("PATH");
  for (const auto& dir :
       split(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ':')) {
    std::string p = path_join(dir.empty() ? "." : dir, name);
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return bad();
}

std::optional<ExternalRuntime> external_runtime_of(const Engine& engine, const ContainerRecord& c) {
  auto conf = nlohmann::json::parse(c.config, nullptr, false);
  if (!conf.is_object() || !conf.contains("Runtime") || !conf["Runtime"].is_string()) return {};
  std::string name = conf["Runtime"];
  if (name.empty() || name == "berth") return {};
  auto bin = resolve_runtime(name);
  ExternalRuntime rt;
  rt.binary = bin.ok() ? *bin : name;
  rt.state_root = path_join(path_join(engine.options().runroot, "runtimes"), basename(name));
  rt.bundle = path_join(path_join(path_join(engine.options().root, "containers"), c.id), "runtime");
  rt.id = c.id;
  return rt;
}

Result<runtime::Launched> launch_external(const ExternalRuntime& rt, oci::RuntimeSpec spec,
                                          const runtime::LaunchOptions& lo) {
  if (::access(rt.binary.c_str(), X_OK) != 0)
    return invalid_argument("unknown or invalid runtime name: " + rt.binary);
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return sys_error("prctl(PR_SET_CHILD_SUBREAPER)");
  // The overlay root, visible to this process and the container only.
  if (::unshare(CLONE_NEWNS) < 0) return sys_error("unshare(CLONE_NEWNS)");
  if (::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    return sys_error("making / a slave mount");
  if (!lo.overlay_options.empty() &&
      ::mount("overlay", spec.root->path.c_str(), "overlay", 0, lo.overlay_options.c_str()) < 0)
    return sys_error("mounting the overlay rootfs at " + spec.root->path);
  BERTH_TRY(mkdir_all(rt.bundle, 0700));
  BERTH_TRY(mkdir_all(rt.state_root, 0700));
  (void)run_runtime(rt, {"delete", "-f", rt.id});  // leftovers of a crashed earlier start
  ::unlink(path_join(rt.bundle, "log.json").c_str());
  if (lo.cgroup) {
    if (!spec.linux) spec.linux = oci::Linux{};
    spec.linux->cgroups_path = "/" + lo.cgroup->name();
  }
  BERTH_TRY(
      atomic_write_file(path_join(rt.bundle, "config.json"), oci::serialize_runtime_spec(spec)));
  std::string pid_file = path_join(rt.bundle, "container.pid");
  ::unlink(pid_file.c_str());
  std::vector<std::string> args = {"create", "--bundle", rt.bundle, "--pid-file", pid_file};
  UniqueFd listener;
  std::string sock = path_join(rt.bundle, "console.sock");
  bool tty = spec.process && spec.process->terminal;
  if (tty) {
    BERTH_ASSIGN_OR_RETURN(listener, console_listener(sock));
    args.push_back("--console-socket");
    args.push_back(sock);
  }
  args.push_back(rt.id);
  BERTH_ASSIGN_OR_RETURN(
      int rc, tty ? run_runtime(rt, args)
                  : run_runtime(rt, args, true, lo.stdin_fd, lo.stdout_fd, lo.stderr_fd));
  auto fail = [&](Error e) -> Error {
    (void)run_runtime(rt, {"delete", "-f", rt.id});
    ::umount2(spec.root->path.c_str(), MNT_DETACH);
    return e;
  };
  if (rc != 0) return fail(runtime_error(rt, "create"));
  auto pid_text = read_file(pid_file);
  if (!pid_text.ok()) return fail(internal_error("the runtime wrote no pid file"));
  runtime::Launched l;
  l.pid = static_cast<pid_t>(std::atoi(std::string(trim(*pid_text)).c_str()));
  if (l.pid <= 0) return fail(internal_error("the runtime wrote a bad pid file"));
  if (tty) {
    auto master = receive_console(listener.get());
    if (!master.ok()) return fail(std::move(master).error());
    l.console = std::move(*master);
    ::unlink(sock.c_str());
  }
  BERTH_ASSIGN_OR_RETURN(rc, run_runtime(rt, {"start", rt.id}));
  if (rc != 0) return fail(runtime_error(rt, "start"));
  return l;
}

void cleanup_external(const ExternalRuntime& rt, const std::string& rootfs) {
  (void)run_runtime(rt, {"delete", "-f", rt.id});
  ::umount2(rootfs.c_str(), MNT_DETACH);
}

}  // namespace berth::engine
