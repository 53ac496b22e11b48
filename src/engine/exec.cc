// `berth exec`: Docker's exec on top of runtime::exec_in_container().
#include "engine/exec.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/terminal.h"
#include "runtime/caps.h"
#include "runtime/exec.h"
#include "runtime/spec.h"

namespace berth::engine {
namespace {

// A file of the running container, resolved inside its root (a symlink planted in the
// container cannot make berth read a host file); "" when absent.
std::string read_container_file(pid_t pid, const char* rel) {
  UniqueFd root(
      ::open(("/proc/" + std::to_string(pid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return "";
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root.get(), rel, &how, sizeof how)));
  if (!fd) return "";
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0 && out.size() < (4u << 20))
    out.append(buf, static_cast<size_t>(n));
  return out;
}

bool has_key(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.rfind(key + "=", 0) == 0) return true;
  return false;
}

}  // namespace

Result<std::vector<std::string>> read_env_file(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return Error(text.error().code(), "open " + path + ": " + text.error().message());
  std::vector<std::string> out;
  int lineno = 0;
  for (auto& raw : split(*text, '\n')) {
    ++lineno;
    std::string line(trim(raw));
    if (line.empty() || line[0] == '#') continue;
    auto kv = split_once(line, '=');
    std::string key = kv.found ? kv.first : line;
    for (char ch : key)
      if (std::isspace(static_cast<unsigned char>(ch)))
        return invalid_argument("env file " + path + " line " + std::to_string(lineno) +
                                ": variable '" + key + "' contains whitespaces");
    if (key.empty())
      return invalid_argument("env file " + path + " line " + std::to_string(lineno) +
                              ": no variable name on line '" + line + "'");
    if (kv.found) {
      out.push_back(key + "=" + kv.second);
    } else if (const char* v = std::getenv(key.c_str())) {
      out.push_back(key + "=" + v);
    }
  }
  return out;
}

Result<int> exec_in(Engine& engine, const ExecRequest& req) {
  BERTH_ASSIGN_OR_RETURN(auto c, engine.find_container(req.container));
  if (c.state != "running" || c.pid <= 0)
    return failed_precondition("container " + c.id + " is not running");
  if (!req.workdir.empty() && req.workdir[0] != '/')
    return invalid_argument("the working directory '" + req.workdir +
                            "' is invalid, it needs to be an absolute path");
  std::string dir = path_join(path_join(engine.options().root, "containers"), c.id);
  BERTH_ASSIGN_OR_RETURN(auto text, read_file(path_join(dir, "config.json")));
  BERTH_ASSIGN_OR_RETURN(auto spec, oci::parse_runtime_spec(text));
  if (!spec.process) return internal_error("config.json of " + c.id + " has no process");

  // The container's process settings, changed by the exec's flags.
  oci::Process p = *spec.process;
  p.args = req.command;
  bool tty = req.tty && !req.detach;
  p.terminal = tty;
  p.console_size.reset();
  if (tty) {
    struct winsize ws {};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
      p.console_size = oci::Box{ws.ws_row, ws.ws_col};
  }
  p.env = runtime::merge_env(p.env, req.env);
  if (req.tty && !has_key(p.env, "TERM")) p.env.push_back("TERM=xterm");
  if (!req.workdir.empty()) p.cwd = req.workdir;
  if (!req.user.empty()) {
    auto u = runtime::resolve_user(req.user, read_container_file(c.pid, "/etc/passwd"),
                                   read_container_file(c.pid, "/etc/group"));
    // Docker reports this as runc's start failure (exit 126).
    if (!u.ok())
      return Error(u.error().code(), "unable to start container process: " + u.error().message());
    p.user.uid = u->uid;
    p.user.gid = u->gid;
    p.user.additional_gids = u->supplementary_gids;
  }
  if (req.privileged) {
    auto all = runtime::all_caps();
    p.capabilities = oci::Capabilities{all, all, {}, all, {}};
  }

  runtime::ExecOptions eo;
  UniqueFd devnull;
  if (req.detach || (!req.interactive && !tty)) {
    BERTH_ASSIGN_OR_RETURN(devnull, open_file("/dev/null", O_RDWR));
    eo.stdin_fd = devnull.get();
    if (req.detach) eo.stdout_fd = eo.stderr_fd = devnull.get();
  }
  BERTH_ASSIGN_OR_RETURN(auto launched, runtime::exec_in_container(c.pid, spec, p, eo));
  if (req.detach) return 0;  // it runs on; init reaps it once we are gone
  if (launched.console && proxy_pty(launched.console.get(), req.interactive, req.detach_keys)) {
    // Detached (Docker's detach keys): the process runs on with its pty kept open; init
    // reaps it once we are gone.
    keep_pty_open(launched.console.get());
    return 0;
  }
  int status = 0;
  while (::waitpid(launched.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return runtime::docker_exit_status(status);
}

}  // namespace berth::engine
