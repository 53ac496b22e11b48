// launch(): from an OCI runtime spec to a ChildPlan, then clone and hand the plan to the child.
#include "runtime/launcher.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "base/fd_passing.h"
#include "base/fs.h"
#include "base/strings.h"
#include "runtime/hooks.h"
#include "runtime/internal/launch_plan.h"
#include "runtime/spec.h"
#include "runtime/userns.h"

namespace berth::runtime {
namespace {

using internal::ChildPlan;
using internal::MountOp;

Result<int> namespace_flag(const std::string& type) {
  static const std::map<std::string, int> kFlags = {
      {"pid", CLONE_NEWPID},     {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
      {"ipc", CLONE_NEWIPC},     {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
      {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
  auto it = kFlags.find(type);
  if (it == kFlags.end()) return invalid_argument("unknown namespace type \"" + type + "\"");
  return it->second;
}

// Mount options as runc reads them: flags, propagation, and the rest as fs data.
void parse_mount_options(const oci::Mount& m, MountOp& op) {
  static const std::map<std::string, std::pair<bool, unsigned long>> kFlags = {
      {"ro", {false, MS_RDONLY}},       {"rw", {true, MS_RDONLY}},
      {"nosuid", {false, MS_NOSUID}},   {"suid", {true, MS_NOSUID}},
      {"nodev", {false, MS_NODEV}},     {"dev", {true, MS_NODEV}},
      {"noexec", {false, MS_NOEXEC}},   {"exec", {true, MS_NOEXEC}},
      {"sync", {false, MS_SYNCHRONOUS}}, {"async", {true, MS_SYNCHRONOUS}},
      {"noatime", {false, MS_NOATIME}}, {"atime", {true, MS_NOATIME}},
      {"nodiratime", {false, MS_NODIRATIME}}, {"relatime", {false, MS_RELATIME}},
      {"strictatime", {false, MS_STRICTATIME}}, {"mand", {false, MS_MANDLOCK}},
      {"dirsync", {false, MS_DIRSYNC}},
  };
  static const std::map<std::string, unsigned long> kPropagation = {
      {"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC},
      {"slave", MS_SLAVE},     {"rslave", MS_SLAVE | MS_REC},
      {"shared", MS_SHARED},   {"rshared", MS_SHARED | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC}};
  std::vector<std::string> data;
  op.bind = m.type == "bind";
  for (const auto& o : m.options) {
    if (o == "idmap" || o == "ridmap") {
      op.idmap = true;
      op.idmap_recursive = o == "ridmap";
    } else if (o == "bind") {
      op.bind = true;
    } else if (o == "rbind") {
      op.bind = true;
      op.flags |= MS_REC;
    } else if (auto f = kFlags.find(o); f != kFlags.end()) {
      if (f->second.first) op.flags &= ~f->second.second;
      else op.flags |= f->second.second;
    } else if (auto p = kPropagation.find(o); p != kPropagation.end()) {
      op.propagation = p->second;
    } else {
      data.push_back(o);
    }
  }
  op.data = join(data, ",");
  if (op.bind) {
    // Flags other than MS_REC apply only through a remount.
    op.remount_flags = op.flags & ~MS_REC;
    op.flags &= MS_REC;
    op.data.clear();
    op.type.clear();
  }
}

// The cgroup hierarchies the host mounts under /sys/fs/cgroup, for a container's /sys/fs/cgroup.
std::vector<internal::CgroupHierarchy> host_cgroup_hierarchies() {
  std::vector<internal::CgroupHierarchy> out;
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
    std::string id, parent, devno, root, mountpoint, fstype, source, super;
    pre >> id >> parent >> devno >> root >> mountpoint;
    post >> fstype >> source >> super;
    if (mountpoint.rfind("/sys/fs/cgroup/", 0) != 0) {
      if (mountpoint == "/sys/fs/cgroup" && fstype == "cgroup2") return {};  // pure v2
      continue;
    }
    std::string name = mountpoint.substr(15);
    if (name.find('/') != std::string::npos) continue;
    internal::CgroupHierarchy h{name, fstype, ""};
    if (fstype == "cgroup") {
      std::vector<std::string> opts;
      for (const auto& o : split(super, ','))
        if (o != "rw" && o != "ro") opts.push_back(o);
      h.options = join(opts, ",");
    } else if (fstype != "cgroup2") {
      continue;
    }
    out.push_back(h);
  }
  return out;
}

Result<int> rlimit_resource(const std::string& type) {
  static const std::map<std::string, int> kRlimits = {
      {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME}};
  auto it = kRlimits.find(type);
  if (it == kRlimits.end()) return invalid_argument("unknown rlimit \"" + type + "\"");
  return it->second;
}

// A limit above the hard limit needs CAP_SYS_RESOURCE, which hosts like this one lack: say which
// limit, in the parent, instead of failing in the child with a bare EPERM.
Status check_rlimit(const oci::Rlimit& r, int resource) {
  struct rlimit cur;
  if (::getrlimit(static_cast<__rlimit_resource>(resource), &cur) < 0) return {};
  if (r.hard <= cur.rlim_max) return {};
  std::string name = to_lower(r.type.substr(7));
  auto shown = [](uint64_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
  return permission_denied("cannot raise the " + name + " limit to " + shown(r.hard) +
                           ": above this host's hard limit " + shown(cur.rlim_max) +
                           " and berth lacks CAP_SYS_RESOURCE (lower --ulimit " + name + ")");
}

uint64_t own_bounding_set() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("CapBnd:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return ~0ULL;
}

std::vector<internal::HookOp> hook_ops(const std::vector<oci::Hook>& hooks) {
  std::vector<internal::HookOp> out;
  for (const auto& h : hooks) {
    internal::HookOp op;
    op.path = h.path;
    op.args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    op.env = h.env;
    op.timeout = h.timeout.value_or(0);
    out.push_back(std::move(op));
  }
  // argv/envp point into the strings, so only once the vector no longer moves them.
  for (auto& op : out) {
    for (auto& a : op.args) op.argv.push_back(a.data());
    op.argv.push_back(nullptr);
    for (auto& e : op.env) op.envp.push_back(e.data());
    op.envp.push_back(nullptr);
  }
  return out;
}

HookState hook_state(const oci::RuntimeSpec& spec, const LaunchOptions& opts) {
  return HookState{opts.hook_id, opts.hook_bundle, spec.annotations};
}

// The child's hooks and the pieces of their state JSON around the pid it knows only itself.
void plan_hooks(const oci::Hooks& hooks, const oci::RuntimeSpec& spec, const LaunchOptions& opts,
                ChildPlan& p) {
  p.runtime_hooks = !hooks.prestart.empty() || !hooks.create_runtime.empty();
  p.create_container_hooks = hook_ops(hooks.create_container);
  p.start_container_hooks = hook_ops(hooks.start_container);
  if (p.create_container_hooks.empty() && p.start_container_hooks.empty()) return;
  constexpr pid_t kMark = -987654321;
  const std::string mark = std::to_string(kMark);
  auto split_at_pid = [&](std::string_view status, std::string& head) {
    std::string j = hook_state_json(hook_state(spec, opts), status, kMark);
    size_t at = j.find(mark);
    head = j.substr(0, at);
    p.state_tail = j.substr(at + mark.size());
  };
  split_at_pid("creating", p.state_head_creating);
  split_at_pid("created", p.state_head_created);
  p.state_buf.resize(std::max(p.state_head_creating.size(), p.state_head_created.size()) +
                     p.state_tail.size() + 32);
}

Result<ChildPlan> make_plan(const oci::RuntimeSpec& spec, const LaunchOptions& opts,
                            std::vector<UniqueFd>& ns_fds, CompiledSeccomp& seccomp_storage) {
  if (!spec.process || spec.process->args.empty())
    return invalid_argument("config.json: process.args must not be empty");
  if (!spec.root || spec.root->path.empty())
    return invalid_argument("config.json: root.path must be set");
  const auto& proc = *spec.process;
  ChildPlan p;
  p.rootfs = spec.root->path;
  p.readonly_root = spec.root->readonly;
  p.overlay_options = opts.overlay_options;
  p.hostname = spec.hostname;
  p.domainname = spec.domainname;
  const oci::Linux empty_linux;
  const oci::Linux& lx = spec.linux ? *spec.linux : empty_linux;
  for (const auto& ns : lx.namespaces) {
    BERTH_ASSIGN_OR_RETURN(int flag, namespace_flag(ns.type));
    if (flag == CLONE_NEWUSER) {
      // Entered last, by the child (runtime/userns.h); exec joins the target's instead.
      if (opts.exec_target > 0) continue;
      UniqueFd userns;
      if (ns.path.empty()) {
        BERTH_ASSIGN_OR_RETURN(userns, make_user_namespace(lx.uid_mappings, lx.gid_mappings));
      } else {
        BERTH_ASSIGN_OR_RETURN(userns, open_file(ns.path, O_RDONLY | O_CLOEXEC));
      }
      p.userns_fd = userns.get();
      ns_fds.push_back(std::move(userns));
      auto root_of = [](const std::vector<oci::IdMapping>& m) -> long {
        for (const auto& e : m)
          if (e.container_id == 0 && e.size > 0) return e.host_id;
        return -1;
      };
      long fsuid = root_of(lx.uid_mappings), fsgid = root_of(lx.gid_mappings);
      if (!p.overlay_options.empty() && ns.path.empty() && fsuid >= 0 && fsgid >= 0) {
        BERTH_ASSIGN_OR_RETURN(p.overlay_options,
                               idmap_overlay_options(p.overlay_options, p.userns_fd, ns_fds));
        p.overlay_fsuid = fsuid;
        p.overlay_fsgid = fsgid;
      }
      continue;
    }
    if (ns.path.empty()) {
      p.clone_flags |= flag;
    } else if (flag == CLONE_NEWPID) {
      continue;  // joined by the parent around clone (launch())
    } else {
      BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(ns.path, O_RDONLY));
      p.join_ns_fds.push_back(fd.get());
      ns_fds.push_back(std::move(fd));
    }
  }
  if (!(p.clone_flags & CLONE_NEWNS))
    return invalid_argument("config.json: a mount namespace is required");
  if (!lx.rootfs_propagation.empty()) {
    static const std::map<std::string, unsigned long> kProp = {
        {"private", MS_PRIVATE | MS_REC}, {"rprivate", MS_PRIVATE | MS_REC},
        {"slave", MS_SLAVE | MS_REC},     {"rslave", MS_SLAVE | MS_REC},
        {"shared", MS_SHARED | MS_REC},   {"rshared", MS_SHARED | MS_REC}};
    auto it = kProp.find(lx.rootfs_propagation);
    if (it == kProp.end())
      return invalid_argument("config.json: unknown rootfsPropagation \"" + lx.rootfs_propagation + "\"");
    p.root_propagation = it->second;
  }
  bool need_hierarchies = false;
  for (const auto& m : spec.mounts) {
    if (m.destination.empty() || m.destination[0] != '/')
      return invalid_argument("config.json: mount destination \"" + m.destination +
                              "\" must be an absolute path");
    MountOp op;
    op.source = m.source;
    op.target = m.destination;
    op.type = m.type;
    parse_mount_options(m, op);
    if (m.type == "cgroup" || m.type == "cgroup2") {
      auto hs = host_cgroup_hierarchies();
      if (hs.empty()) {  // pure cgroup v2: the namespaced cgroup2 file system
        op.type = "cgroup2";
        op.source = "cgroup";
      } else {
        op.cgroup_tree = true;
        need_hierarchies = true;
      }
    }
    if (op.bind) {
      struct stat st;
      if (::stat(op.source.c_str(), &st) < 0) return sys_error("bind source " + op.source);
      op.target_is_file = !S_ISDIR(st.st_mode);
    }
    if (op.idmap) {
      if (!op.bind || p.userns_fd < 0)
        return invalid_argument("config.json: the idmap option of mount \"" + m.destination +
                                "\" needs a bind mount and a user namespace");
      BERTH_ASSIGN_OR_RETURN(UniqueFd tree, idmapped_clone(op.source, p.userns_fd,
                                                           (op.flags & MS_REC) != 0,
                                                           op.idmap_recursive));
      op.tree_fd = tree.get();
      ns_fds.push_back(std::move(tree));
    }
    p.mounts.push_back(std::move(op));
  }
  if (need_hierarchies) p.cgroup_hierarchies = host_cgroup_hierarchies();
  // runc creates the standard nodes whatever the spec lists; a spec entry for one overrides it.
  std::vector<oci::LinuxDevice> devices = lx.devices;
  for (const auto& d : default_devices()) {
    bool listed = false;
    for (const auto& x : lx.devices) listed = listed || x.path == d.path;
    if (!listed) devices.push_back(d);
  }
  for (const auto& d : devices) {
    if (d.path.rfind("/dev/", 0) != 0 || d.path.find("..") != std::string::npos)
      return invalid_argument("config.json: device path \"" + d.path + "\" must be under /dev");
    internal::DeviceOp op;
    op.path = d.path;
    op.dir = dirname(d.path);
    op.name = basename(d.path);
    mode_t type = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
    op.mode = type | (d.file_mode.value_or(0666) & 07777);
    op.dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    op.uid = d.uid.value_or(0);
    op.gid = d.gid.value_or(0);
    p.devices.push_back(std::move(op));
  }
  p.masked_paths = lx.masked_paths;
  p.readonly_paths = lx.readonly_paths;
  for (const auto& [k, v] : lx.sysctl) {
    std::string path = "/proc/sys/" + k;
    for (size_t i = 10; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    p.sysctls.emplace_back(path, v);
  }
  for (const auto& r : proc.rlimits) {
    BERTH_ASSIGN_OR_RETURN(int res, rlimit_resource(r.type));
    BERTH_TRY(check_rlimit(r, res));
    internal::RlimitOp op;
    op.resource = res;
    op.limit.rlim_cur = r.soft;
    op.limit.rlim_max = r.hard;
    p.rlimits.push_back(op);
  }
  p.uid = proc.user.uid;
  p.gid = proc.user.gid;
  p.groups.assign(proc.user.additional_gids.begin(), proc.user.additional_gids.end());
  p.umask = proc.user.umask;
  p.oom_score_adj = proc.oom_score_adj;
  if (proc.capabilities) {
    CapNames names{proc.capabilities->bounding, proc.capabilities->effective,
                   proc.capabilities->permitted, proc.capabilities->inheritable,
                   proc.capabilities->ambient};
    BERTH_ASSIGN_OR_RETURN(auto sets, cap_sets_from_names(names));
    // No process can grant a capability outside its own bounding set (this host has no
    // CAP_SYS_RESOURCE): --privileged means every capability berth itself holds.
    uint64_t bound = own_bounding_set();
    sets.bounding &= bound;
    sets.effective &= bound;
    sets.permitted &= bound;
    sets.inheritable &= bound;
    sets.ambient &= bound;
    p.caps = sets;
  }
  p.no_new_privs = proc.no_new_privileges;
  if (opts.seccomp) {
    p.seccomp = opts.seccomp;
  } else if (lx.seccomp) {
    BERTH_ASSIGN_OR_RETURN(seccomp_storage, compile_oci_seccomp_cached(lx.seccomp->dump()));
    p.seccomp = &seccomp_storage;
  }
  p.cwd = proc.cwd.empty() ? "/" : proc.cwd;
  p.args = proc.args;
  p.env = proc.env;
  std::string path_var = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : p.env)
    if (e.rfind("PATH=", 0) == 0) path_var = e.substr(5);
  p.path_dirs = split(path_var, ':');
  p.terminal = proc.terminal;
  if (proc.console_size) {
    p.rows = static_cast<unsigned short>(proc.console_size->height);
    p.cols = static_cast<unsigned short>(proc.console_size->width);
  }
  if (spec.hooks && opts.exec_target <= 0) plan_hooks(*spec.hooks, spec, opts, p);
  p.stdio[0] = opts.stdin_fd;
  p.stdio[1] = opts.stdout_fd;
  p.stdio[2] = opts.stderr_fd;
  return p;
}

// The pty master the child sends (launcher_child.cc setup_console); it sent it before exec.
Result<UniqueFd> receive_console(int sock) {
  auto got = receive_fd(sock, MSG_DONTWAIT);
  if (!got.ok() || !got->fd) return internal_error("the container sent no terminal");
  return std::move(got->fd);
}

}  // namespace

Result<Launched> launch(const oci::RuntimeSpec& spec, const LaunchOptions& opts) {
  std::vector<UniqueFd> ns_fds;
  CompiledSeccomp seccomp_storage;
  BERTH_ASSIGN_OR_RETURN(ChildPlan plan, make_plan(spec, opts, ns_fds, seccomp_storage));
  internal::ExecJoin join;  // exec: the target's namespaces (runtime/exec.cc)
  if (opts.exec_target > 0) {
    BERTH_ASSIGN_OR_RETURN(join, internal::prepare_exec(opts.exec_target, plan));
  }
  // A pid namespace to join (--pid container:<x>): setns only changes where our children are
  // born, so we enter it around clone, as exec does.
  if (opts.exec_target <= 0 && spec.linux)
    for (const auto& ns : spec.linux->namespaces)
      if (ns.type == "pid" && !ns.path.empty()) {
        BERTH_ASSIGN_OR_RETURN(join.target_pidns, open_file(ns.path, O_RDONLY | O_CLOEXEC));
        BERTH_ASSIGN_OR_RETURN(join.own_pidns, open_file("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
      }
  plan.start_gate_fd = opts.start_gate_fd;
  plan.shm_mount_fd = opts.exec_target > 0 ? -1 : opts.shm_mount_fd;
  for (auto& a : plan.args) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : plan.env) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);

  int sync[2], errp[2];
  if (::pipe2(sync, O_CLOEXEC) < 0) return sys_error("pipe");
  UniqueFd sync_r(sync[0]), sync_w(sync[1]);
  if (::pipe2(errp, O_CLOEXEC) < 0) return sys_error("pipe");
  UniqueFd err_r(errp[0]), err_w(errp[1]);

  UniqueFd console_parent, console_child;
  if (plan.terminal) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) return sys_error("socketpair");
    console_parent.reset(sp[0]);
    console_child.reset(sp[1]);
    plan.console_sock = sp[1];
  }

  // exec: the child is born in the container's pid namespace (setns only changes where our
  // children go), and we go back to our own right after.
  if (join.target_pidns && ::setns(join.target_pidns.get(), CLONE_NEWPID) < 0)
    return sys_error("joining the container's pid namespace");
  long pid = ::syscall(SYS_clone, plan.clone_flags | SIGCHLD, nullptr, nullptr, nullptr, 0);
  int clone_errno = errno;
  if (join.own_pidns && ::setns(join.own_pidns.get(), CLONE_NEWPID) < 0 && pid > 0) {
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
    return sys_error("returning to berth's pid namespace");
  }
  errno = clone_errno;
  if (pid < 0) return sys_error(opts.exec_target > 0 ? "clone into the container" : "clone");
  if (pid == 0) {
    sync_w.release();  // never run destructors in the child
    err_r.release();
    console_parent.release();
    console_child.release();
    internal::run_child(plan, sync_r.get(), err_w.get());
  }
  sync_r.reset();
  err_w.reset();
  console_child.reset();
  auto kill_child = [&] {
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
  };
  if (opts.cgroup) {
    auto st = opts.cgroup->add_pid(static_cast<pid_t>(pid));
    if (!st.ok()) {
      kill_child();
      return std::move(st).error().context("joining the container's cgroup");
    }
  } else if (opts.exec_target > 0) {
    auto st = internal::join_target_cgroups(opts.exec_target, static_cast<pid_t>(pid));
    if (!st.ok()) {
      kill_child();
      return std::move(st).error().context("joining the container's cgroup");
    }
  }
  char go = 'g';
  if (::write(sync_w.get(), &go, 1) != 1) {
    kill_child();
    return sys_error("starting the container process");
  }
  internal::ChildError ce;
  ssize_t n;
  while (true) {
    do {
      n = ::read(err_r.get(), &ce, sizeof ce);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof ce) || ce.kind != 4) break;
    // The child made its mounts and waits: prestart and createRuntime, here, in our namespaces.
    std::string state = hook_state_json(hook_state(spec, opts), "creating", static_cast<pid_t>(pid));
    Status hooked = run_hooks(spec.hooks->prestart, "prestart", state);
    if (hooked.ok()) hooked = run_hooks(spec.hooks->create_runtime, "createRuntime", state);
    if (!hooked.ok()) {
      kill_child();
      return std::move(hooked).error();
    }
    if (::write(sync_w.get(), &go, 1) != 1) {
      kill_child();
      return sys_error("resuming the container process after its hooks");
    }
  }
  bool gated = n == static_cast<ssize_t>(sizeof ce) && ce.kind == 3;
  if (n == 0 || gated) {  // exec closed the pipe: running (or waiting at the start gate)
    Launched l;
    l.pid = static_cast<pid_t>(pid);
    if (plan.terminal) {
      auto master = receive_console(console_parent.get());
      if (!master.ok()) {
        kill_child();
        return std::move(master).error().context("receiving the container's terminal");
      }
      l.console = std::move(*master);
    }
    if (!gated && opts.exec_target <= 0 && spec.hooks && !spec.hooks->poststart.empty()) {
      auto post = run_hooks(spec.hooks->poststart, "poststart",
                            hook_state_json(hook_state(spec, opts), "running", l.pid));
      if (!post.ok()) l.hook_warning = post.error().message();
    }
    return l;
  }
  ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
  if (n != static_cast<ssize_t>(sizeof ce))
    return internal_error("the container process died during setup");
  ce.what[sizeof ce.what - 1] = '\0';
  Code code = ce.kind == 1 ? Code::kNotFound
              : ce.kind == 2 ? Code::kPermissionDenied
                             : Code::kFailedPrecondition;
  return Error(code, std::string("unable to start container process: ") + ce.what, ce.err);
}

int exit_code_for(const Error& e) {
  if (e.message().rfind("unable to start container process: exec:", 0) == 0)
    return e.code() == Code::kNotFound ? 127 : 126;
  return 125;
}

int docker_exit_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 125;
}

}  // namespace berth::runtime
