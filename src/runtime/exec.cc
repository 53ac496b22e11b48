// exec_in_container(): the namespaces and cgroups of a running container, then the launcher.
#include "runtime/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/strings.h"
#include "runtime/cgroup.h"
#include "runtime/internal/launch_plan.h"

namespace berth::runtime {
namespace internal {
namespace {

// Same namespace: same inode on the nsfs device.
bool same_ns(int a, int b) {
  struct stat sa, sb;
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
         sa.st_dev == sb.st_dev;
}

}  // namespace

Result<ExecJoin> prepare_exec(pid_t target, ChildPlan& plan) {
  ExecJoin j;
  j.target = target;
  std::string proc = "/proc/" + std::to_string(target);
  if (::access(proc.c_str(), F_OK) != 0)
    return not_found("container process " + std::to_string(target) + " is not running");
  // setns order: mnt after the others, as it changes our root; user last of all (by the child,
  // right before its identity: runtime/userns.h), since once in it we hold no capability over
  // namespaces berth made in its own.
  for (const char* ns : {"ipc", "uts", "net", "cgroup", "mnt", "user"}) {
    std::string theirs = proc + "/ns/" + ns;
    UniqueFd fd(::open(theirs.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT && ::access(proc.c_str(), F_OK) == 0) continue;  // kernel without it
      return sys_error("opening " + theirs);
    }
    UniqueFd ours(::open((std::string("/proc/self/ns/") + ns).c_str(), O_RDONLY | O_CLOEXEC));
    if (ours && same_ns(fd.get(), ours.get())) continue;  // shared with the host (--network host)
    if (std::string_view(ns) == "user") plan.userns_fd = fd.get();
    else plan.join_ns_fds.push_back(fd.get());
    j.ns_fds.push_back(std::move(fd));
  }
  UniqueFd pid_ns(::open((proc + "/ns/pid").c_str(), O_RDONLY | O_CLOEXEC));
  if (!pid_ns) return sys_error("opening " + proc + "/ns/pid");
  UniqueFd own(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
  if (!own) return sys_error("opening /proc/self/ns/pid");
  if (!same_ns(pid_ns.get(), own.get())) {
    j.target_pidns = std::move(pid_ns);
    j.own_pidns = std::move(own);
  }
  plan.clone_flags = 0;
  plan.exec_only = true;
  return j;
}

Status join_target_cgroups(pid_t target, pid_t pid) {
  BERTH_ASSIGN_OR_RETURN(auto text, read_file("/proc/" + std::to_string(target) + "/cgroup"));
  BERTH_ASSIGN_OR_RETURN(auto layout, detect_cgroups());
  for (const auto& line : split(text, '\n')) {
    // "4:cpu,cpuacct:/berth/<id>" (v1) or "0::/berth/<id>" (v2).
    auto first = line.find(':');
    auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    std::string mount;
    if (controllers.empty()) {
      mount = layout.unified;
    } else {
      for (const auto& c : split(controllers, ','))
        if (auto it = layout.v1.find(c); it != layout.v1.end()) mount = it->second;
    }
    if (mount.empty() || path.find("..") != std::string::npos) continue;  // e.g. name=systemd
    std::string procs = path_join(path_join(mount, path), "cgroup.procs");
    UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return sys_error("opening " + procs);
    std::string v = std::to_string(pid);
    if (::write(fd.get(), v.data(), v.size()) != static_cast<ssize_t>(v.size()))
      return sys_error("writing " + v + " to " + procs);
  }
  return {};
}

}  // namespace internal

Result<Launched> exec_in_container(pid_t target, const oci::RuntimeSpec& container,
                                   const oci::Process& process, const ExecOptions& opts) {
  // A spec that holds only the process: the root, mounts and devices are the container's.
  oci::RuntimeSpec s;
  s.process = process;
  s.root = oci::Root{"/", false};
  s.linux = oci::Linux{};
  s.linux->namespaces.push_back({"mount", ""});
  if (opts.seccomp && container.linux) s.linux->seccomp = container.linux->seccomp;
  LaunchOptions lo;
  lo.exec_target = target;
  lo.stdin_fd = opts.stdin_fd;
  lo.stdout_fd = opts.stdout_fd;
  lo.stderr_fd = opts.stderr_fd;
  return launch(s, lo);
}

}  // namespace berth::runtime
