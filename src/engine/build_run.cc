// RUN: one command in a real container on an overlay of the state's layers. The upper dir, once
// the mount stubs the runtime made are gone, is the step's layer.
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "base/fs.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "build/cache_key.h"
#include "digest/digest.h"
#include "engine/build_history.h"
#include "engine/build_steps.h"
#include "engine/network.h"
#include "runtime/caps.h"
#include "runtime/cgroup.h"
#include "runtime/launcher.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

namespace berth::engine::buildimpl {
namespace {

using build::Instruction;

// The one place RUN's network is chosen. "default" is the default bridge, with NAT out (so
// `RUN apt-get update` works) and, like BuildKit's sandbox, no way to the host's loopback
// services; "host" shares the host's namespace (asked for by --network host or RUN
// --network=host); "none" is a namespace with only lo.
Result<std::string> run_network(const std::string& mode) {
  if (mode.empty() || mode == "default" || mode == "bridge") return std::string("bridge");
  if (mode == "host" || mode == "none") return mode;
  return invalid_argument("network mode \"" + mode + "\" not supported by berth build (default, host, none)");
}


struct MountSpec {
  std::string type = "bind";
  std::string target, source, from, id, sharing, mode;
  std::optional<uint32_t> uid, gid;
  bool readonly = true, readonly_set = false, required = false;
  std::string size;
};

Result<MountSpec> parse_mount(const std::string& value, int line) {
  MountSpec m;
  for (const auto& field : split(value, ',')) {
    auto kv = split_once(field, '=');
    std::string k = to_lower(kv.first), v = kv.second;
    auto flag = [&] { return !kv.found || v == "true" || v == "1"; };
    if (k == "type") m.type = v;
    else if (k == "target" || k == "dst" || k == "destination") m.target = v;
    else if (k == "source" || k == "src") m.source = v;
    else if (k == "from") m.from = v;
    else if (k == "id") m.id = v;
    else if (k == "sharing") m.sharing = v;
    else if (k == "mode") m.mode = v;
    else if (k == "size") m.size = v;
    else if (k == "required") m.required = flag();
    else if (k == "ro" || k == "readonly") { m.readonly = flag(); m.readonly_set = true; }
    else if (k == "rw" || k == "readwrite") { m.readonly = !flag(); m.readonly_set = true; }
    else if (k == "uid" || k == "gid") {
      try {
        (k == "uid" ? m.uid : m.gid) = static_cast<uint32_t>(std::stoul(v));
      } catch (...) {
        return build::parse_error(line, "invalid " + k + " \"" + v + "\" in --mount");
      }
    } else {
      return build::parse_error(line, "unexpected key '" + k + "' in '" + field + "'");
    }
  }
  if (m.type != "bind" && m.type != "cache" && m.type != "secret" && m.type != "tmpfs" && m.type != "ssh")
    return build::parse_error(line, "unsupported mount type \"" + m.type + "\"");
  if (m.type == "ssh") return unimplemented("RUN --mount=type=ssh is not supported by berth yet");
  if (m.type == "secret") {
    if (m.id.empty() && m.target.empty()) return build::parse_error(line, "secret mount requires an id or a target");
    if (m.id.empty()) m.id = basename(m.target);
    if (m.target.empty()) m.target = "/run/secrets/" + m.id;
  }
  if (m.target.empty()) return build::parse_error(line, "mount target is required");
  if (m.type == "cache" && m.id.empty()) m.id = m.target;
  if (m.type == "cache" && !m.readonly_set) m.readonly = false;
  return m;
}

Result<uint32_t> parse_mode(const std::string& s, uint32_t def) {
  if (s.empty()) return def;
  try {
    size_t used = 0;
    unsigned long v = std::stoul(s, &used, 8);
    if (used != s.size() || v > 07777) throw std::invalid_argument(s);
    return static_cast<uint32_t>(v);
  } catch (...) {
    return invalid_argument("invalid mode \"" + s + "\"");
  }
}

// Removes what the runtime created in the upper dir to have somewhere to mount (an empty file
// or directory at a mount target and the empty parents it made or copied up), so a RUN that
// changed nothing makes no layer and a secret's mount point never shows in an image.
void remove_stubs(const std::string& upper, const LayerView& view, const std::string& target) {
  std::string rel = build::clean_path(target);
  if (!rel.empty() && rel[0] == '/') rel = rel.substr(1);
  bool first = true;
  while (!rel.empty() && rel != ".") {
    std::string p = path_join(upper, rel);
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) {
      // Not in the upper dir: nothing here, but a parent may still have been copied up.
    } else if (S_ISDIR(st.st_mode)) {
      auto in_view = view.find(rel);
      if (!first && in_view && !S_ISDIR(in_view->st.st_mode)) return;
      if (::rmdir(p.c_str()) != 0) return;  // not empty: the RUN wrote here
    } else if (first && S_ISREG(st.st_mode) && st.st_size == 0) {
      ::unlink(p.c_str());
    } else {
      return;
    }
    first = false;
    auto slash = rel.rfind('/');
    rel = slash == std::string::npos ? "" : rel.substr(0, slash);
  }
}

// While RUNs run, SIGINT/SIGTERM/SIGHUP kill their containers (pid 1 of a pid namespace ignores
// them) so the build can clean up (cgroups, scratch dirs, secrets) and fail. Parallel stages run
// several at once: each holds a slot of g_run_pids for its process.
constexpr int kMaxRuns = 256;
volatile sig_atomic_t g_run_pids[kMaxRuns];
volatile sig_atomic_t g_canceled = 0;
std::mutex g_runs_mu;  // claims slots; installs and restores the handlers

void kill_runs() {
  for (int i = 0; i < kMaxRuns; ++i)
    if (g_run_pids[i] > 0) ::kill(g_run_pids[i], SIGKILL);
}

void cancel_run(int) {
  g_canceled = 1;
  kill_runs();
}

// The handlers are installed while at least one RUN of this process runs.
class CancelGuard {
 public:
  CancelGuard() {
    std::lock_guard l(g_runs_mu);
    if (users_++ > 0) return;
    g_canceled = 0;
    struct sigaction sa {};
    sa.sa_handler = cancel_run;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &sa, &old_[i]);
  }
  ~CancelGuard() {
    std::lock_guard l(g_runs_mu);
    if (--users_ > 0) return;
    for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
  }
  CancelGuard(const CancelGuard&) = delete;
  CancelGuard& operator=(const CancelGuard&) = delete;

 private:
  static constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
  static inline int users_ = 0;
  static inline struct sigaction old_[3];
};

// One RUN's process in g_run_pids while it runs.
class RunSlot {
 public:
  explicit RunSlot(pid_t pid) {
    std::lock_guard l(g_runs_mu);
    for (int i = 0; i < kMaxRuns; ++i)
      if (g_run_pids[i] == 0) {
        g_run_pids[i] = pid;
        slot_ = i;
        break;
      }
  }
  ~RunSlot() {
    std::lock_guard l(g_runs_mu);
    if (slot_ >= 0) g_run_pids[slot_] = 0;
  }
  RunSlot(const RunSlot&) = delete;
  RunSlot& operator=(const RunSlot&) = delete;

 private:
  int slot_ = -1;
};

std::vector<runtime::DeviceRule> device_rules(const oci::RuntimeSpec& spec) {
  if (spec.linux && spec.linux->resources)
    return runtime::cgroup_device_rules(spec.linux->resources->devices);
  return runtime::cgroup_device_rules({});
}

}  // namespace

void kill_running_steps() { kill_runs(); }

Status Builder::run_step(Stage& s, const Instruction& ins, int n) {
  State& st = s.state;
  BERTH_TRY(build::check_flags(ins, {"mount", "network", "security"}));
  if (auto sec = build::flag_value(ins.flags, "security"); sec && *sec != "sandbox")
    return unimplemented("RUN --security=" + *sec + " is not supported by berth");
  std::string network = req_.network;
  if (auto nf = build::flag_value(ins.flags, "network")) network = *nf;
  BERTH_ASSIGN_OR_RETURN(auto netmode, run_network(network));
  std::vector<MountSpec> mounts;
  for (const auto& f : ins.flags)
    if (f.rfind("--mount=", 0) == 0) {
      BERTH_ASSIGN_OR_RETURN(auto m, parse_mount(f.substr(8), ins.line));
      mounts.push_back(m);
    }

  // The command: exec form, a heredoc script, or the shell form (heredocs left to the shell).
  std::vector<std::string> argv;
  std::string cmdline = ins.args;
  for (const auto& h : ins.heredocs) cmdline += "\n" + h.content + h.name;
  if (ins.json) {
    argv = ins.json_args;
  } else if (ins.heredocs.size() == 1 && trim(ins.args).rfind("<<", 0) == 0 &&
             build::split_words(ins.args).size() == 1) {
    argv = shell_argv(st, ins.heredocs[0].content);
  } else {
    argv = shell_argv(st, cmdline);
  }
  // The stage's build args as the command saw them (an ENV of the same name wins), as BuildKit.
  std::vector<std::pair<std::string, std::string>> arg_values;
  auto in_scope = vars(st);
  for (const auto& name : st.arg_order) {
    auto it = in_scope.find(name);
    arg_values.emplace_back(name, it == in_scope.end() ? "" : it->second);
  }
  std::string created_by = run_created_by(arg_values, argv) + " # buildkit";

  // Environment: the image's, plus the ARGs in scope that ENV does not override, plus proxies.
  std::vector<std::string> env;
  std::set<std::string> env_keys;
  for (const auto& e : st.cfg.config.env) env_keys.insert(split_once(e, '=').first);
  for (const auto& [k, v] : st.args)
    if (!env_keys.count(k)) env.push_back(k + "=" + v);
  for (const char* p : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                        "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"})
    if (auto it = build_args_.find(p); it != build_args_.end() && !st.args.count(p))
      env.push_back(std::string(p) + "=" + it->second);

  std::string key_text = "RUN\n" + ins.original + "\n" + cmdline + "\nnetwork=" + network;
  std::vector<std::string> inputs;
  for (const auto& m : mounts) {
    // A bind or cache mount from another stage depends on that stage's content.
    if (!m.from.empty()) {
      auto other = stage_by_name(m.from);
      inputs.push_back(other.ok() ? (*other)->state.key : m.from);
    } else if (m.type == "bind") {
      std::string src = build::clean_path("/" + m.source).substr(1);
      BERTH_ASSIGN_OR_RETURN(auto h, build::hash_path(path_join(req_.context_dir, src), src,
                                                      &ignore_, &digests_));
      inputs.push_back(h);
    }
  }
  std::string key = build::cache_key({st.key, key_text, inputs});
  BERTH_ASSIGN_OR_RETURN(auto hit, cache_get(key));
  if (hit) {
    cached(n);
    apply(st, key, *hit, created_by);
    return {};
  }

  auto& store = eng_.store();
  BERTH_ASSIGN_OR_RETURN(auto lower_dirs, lowers(st));
  LayerView view(lower_dirs);
  BERTH_ASSIGN_OR_RETURN(auto work, TempDir::create(store.tmp_dir(), "build-run-"));
  std::string upper = path_join(work.path(), "upper");
  for (const char* d : {"upper", "work", "rootfs", "empty", "mounts"})
    BERTH_TRY(mkdir_all(path_join(work.path(), d), 0755));
  if (lower_dirs.empty()) lower_dirs.push_back(path_join(work.path(), "empty"));

  runtime::RunOptions o;
  o.image = st.cfg.config;
  o.entrypoint = std::vector<std::string>{};
  o.command = argv;
  o.env = env;
  o.passwd = view.read("etc/passwd");
  o.group = view.read("etc/group");
  o.rootfs = path_join(work.path(), "rootfs");
  o.hostname = "buildkitsandbox";
  o.network = netmode == "host" ? runtime::NetworkMode::kHost : runtime::NetworkMode::kNone;
  o.capabilities = runtime::docker_default_caps();
  o.seccomp = runtime::to_oci_seccomp(runtime::default_seccomp_profile(), o.capabilities);
  std::string cg_name = "berth/build-" + random_hex(8);
  o.cgroups_path = cg_name;
  // On the bridge, the step is an endpoint under an id no container has (a crash leaves it to
  // `system check`, as any endpoint without a running container); the network code writes its
  // hosts and resolv.conf (loopback resolvers replaced, as for containers).
  std::string endpoint_id;
  ScopeExit detach([&] {
    if (!endpoint_id.empty()) (void)detach_container_network(eng_, endpoint_id);
  });
  Json endpoint_net;
  if (netmode == "bridge") {
    endpoint_id = random_hex(32);
    RunRequest nr;
    nr.network = "bridge";
    BERTH_ASSIGN_OR_RETURN(endpoint_net,
                           prepare_container_network(eng_, nr, endpoint_id, work.path(), o, {}));
  } else {
    // Scratch files of this step, gone when it ends: written without atomic_write_file's fsyncs
    // (four journal commits, 10-30 ms on a busy disk).
    auto scratch = [&](const std::string& name, std::string_view text) -> Status {
      BERTH_ASSIGN_OR_RETURN(auto fd, open_file(path_join(work.path(), name),
                                                O_WRONLY | O_CREAT | O_EXCL, 0644));
      return write_all(fd.get(), text);
    };
    BERTH_TRY(scratch("hosts", "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"));
    auto resolv = read_file("/etc/resolv.conf");
    BERTH_TRY(scratch("resolv.conf", resolv.ok() ? *resolv : ""));
  }
  o.binds.push_back({path_join(work.path(), "hosts"), "/etc/hosts", false, "rprivate"});
  o.binds.push_back({path_join(work.path(), "resolv.conf"), "/etc/resolv.conf", false, "rprivate"});

  // Secrets live on a private directory of the run root (a tmpfs on a normal host) for this
  // RUN only; they are bound read-only, and removed when it ends.
  std::string secret_dir;
  ScopeExit drop_secrets([&] {
    if (!secret_dir.empty()) (void)remove_all(secret_dir);
  });
  int idx = 0;
  for (const auto& m : mounts) {
    ++idx;
    if (m.type == "secret") {
      std::optional<std::string> value;
      for (const auto& sec : req_.secrets) {
        if (sec.id != m.id) continue;
        if (!sec.env.empty()) {
          if (const char* e = std::getenv(sec.env.c_str())) value = e;
        } else if (!sec.src.empty()) {
          BERTH_ASSIGN_OR_RETURN(auto text, read_file(sec.src));
          value = text;
        } else if (const char* e = std::getenv(sec.id.c_str())) {
          value = e;
        }
      }
      if (!value) {
        if (m.required) return not_found("secret " + m.id + ": not found");
        continue;
      }
      if (secret_dir.empty()) {
        secret_dir = path_join(path_join(eng_.options().runroot, "build-secrets"), random_hex(16));
        BERTH_TRY(mkdir_all(secret_dir, 0700));
      }
      std::string f = path_join(secret_dir, std::to_string(idx));
      BERTH_ASSIGN_OR_RETURN(auto mode, parse_mode(m.mode, 0400));
      BERTH_ASSIGN_OR_RETURN(auto fd, open_file(f, O_WRONLY | O_CREAT | O_EXCL, 0600));
      BERTH_TRY(write_all(fd.get(), *value));
      if (::fchown(fd.get(), m.uid.value_or(0), m.gid.value_or(0)) != 0) return sys_error("chown secret");
      if (::fchmod(fd.get(), mode) != 0) return sys_error("chmod secret");
      o.binds.push_back({f, m.target, true, "rprivate"});
    } else if (m.type == "cache") {
      std::string dir = path_join(path_join(eng_.options().root, "build-cache-mounts"),
                                  digest::sha256_of(m.id).hex());
      if (!path_exists(dir)) {
        BERTH_TRY(mkdir_all(dir, 0755));
        BERTH_ASSIGN_OR_RETURN(auto mode, parse_mode(m.mode, 0755));
        if (::chown(dir.c_str(), m.uid.value_or(0), m.gid.value_or(0)) != 0) return sys_error("chown " + dir);
        ::chmod(dir.c_str(), mode);
      }
      o.binds.push_back({dir, m.target, m.readonly, "rprivate"});
    } else if (m.type == "tmpfs") {
      o.tmpfs.push_back(m.target + (m.size.empty() ? "" : ":size=" + m.size));
    } else if (m.type == "bind") {
      std::string src = build::clean_path("/" + m.source).substr(1);
      std::string dest = path_join(path_join(work.path(), "mounts"), std::to_string(idx));
      CopyOptions co;
      if (m.from.empty()) {
        co.ignore = &ignore_;
        BERTH_TRY_CTX(copy_tree(LayerView({req_.context_dir}), src, dest, co),
                      "mount source \"" + m.source + "\"");
      } else {
        std::vector<std::string> from_lowers;
        auto other = stage_by_name(m.from);
        if (other.ok()) {
          if (!(*other)->state.top_layer.empty()) {
            BERTH_TRY(pin((*other)->state.top_layer));
            BERTH_ASSIGN_OR_RETURN(from_lowers, store.layers().lowerdirs((*other)->state.top_layer));
          }
        } else {
          BERTH_ASSIGN_OR_RETURN(auto img, store.resolve(m.from));
          if (!img.top_layer.empty()) {
            BERTH_TRY(pin(img.top_layer));
            BERTH_ASSIGN_OR_RETURN(from_lowers, store.layers().lowerdirs(img.top_layer));
          }
        }
        LayerView fv(from_lowers);
        BERTH_TRY_CTX(copy_tree(fv, fv.resolve(src, true), dest, co), "mount source \"" + m.source + "\"");
      }
      o.binds.push_back({dest, m.target, m.readonly, "rprivate"});
    }
  }

  BERTH_ASSIGN_OR_RETURN(auto spec, runtime::build_spec(o));
  std::shared_ptr<NetworkAttachment> attachment;
  if (!endpoint_id.empty()) {
    ContainerRecord rec;
    rec.id = endpoint_id;
    rec.name = "build-" + endpoint_id.substr(0, 12);
    rec.config = Json{{"Net", endpoint_net}}.dump();
    BERTH_ASSIGN_OR_RETURN(attachment, attach_container_network(eng_, rec, spec));
  }
  runtime::LaunchOptions lo;
  lo.overlay_options = "lowerdir=" + join(lower_dirs, ":") + ",upperdir=" + upper +
                       ",workdir=" + path_join(work.path(), "work");
  BERTH_ASSIGN_OR_RETURN(auto layout, runtime::detect_cgroups());
  BERTH_ASSIGN_OR_RETURN(auto cg, runtime::open_cgroup(layout, cg_name));
  runtime::Resources res;
  res.devices = device_rules(spec);
  BERTH_TRY_CTX(cg->create(res), "creating the build step's cgroup");
  ScopeExit drop_cgroup([&] { (void)cg->destroy(); });
  lo.cgroup = cg.get();
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return sys_error("pipe");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  BERTH_ASSIGN_OR_RETURN(auto devnull, open_file("/dev/null", O_RDONLY));
  lo.stdin_fd = devnull.get();
  lo.stdout_fd = wr.get();
  lo.stderr_fd = wr.get();
  CancelGuard cancel_guard;
  auto launched = runtime::launch(spec, lo);
  wr.reset();
  if (!launched.ok()) {
    failed(n, launched.error().message());
    return std::move(launched).error();
  }
  int status = 0;
  {
    RunSlot slot(launched->pid);
    if (g_canceled || stop_) ::kill(launched->pid, SIGKILL);
    // The process runs without the builder lock: other stages go on meanwhile.
    Unlocked unlocked(*this);
    std::string pending;
    char buf[8192];
    while (true) {
      ssize_t r = ::read(rd.get(), buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      pending.append(buf, static_cast<size_t>(r));
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        log_line(n, pending.substr(0, nl));
        pending.erase(0, nl + 1);
      }
    }
    if (!pending.empty()) log_line(n, pending);
    while (::waitpid(launched->pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (g_canceled) {
    failed(n, "canceled");
    return Error(Code::kCancelled, "canceled");
  }
  if (stop_) {
    // Another stage failed; its error is the build's.
    failed(n, "canceled");
    return Error(Code::kCancelled, "canceled: another stage failed");
  }
  int code = runtime::docker_exit_status(status);
  if (code != 0) {
    std::string msg = "process \"" + join(argv, " ") +
                      "\" did not complete successfully: exit code: " + std::to_string(code);
    failed(n, msg);
    return unavailable(msg);
  }
  for (const auto& m : spec.mounts) remove_stubs(upper, view, m.destination);
  BERTH_ASSIGN_OR_RETURN(auto made, commit_dir(st, upper));
  BERTH_TRY(cache_put(key, made));
  apply(st, key, made, created_by);
  done(n);
  return {};
}

}  // namespace berth::engine::buildimpl
