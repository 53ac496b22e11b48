// Whether a container's process and its monitor still live, and the state a record really has.
#include "engine/container_state.h"

#include <signal.h>

#include <cstdlib>

#include "base/fs.h"
#include "base/proc.h"
#include "image/store.h"

namespace berth::engine {

// A record says running but its process is gone (the CLI that ran it was killed): tell the truth.
// The pid must still be the container's: after a reboot it may name another process, so its
// cgroup has to be the container's.
bool container_alive(const ContainerRecord& c) {
  if (c.pid <= 0 || ::kill(c.pid, 0) != 0) return false;
  // A zombie its monitor will reap in a moment still counts as running (the monitor records how
  // it ended); one that init inherited (its monitor was killed) is gone.
  if (auto stat = read_file("/proc/" + std::to_string(c.pid) + "/stat"); stat.ok()) {
    auto paren = stat->rfind(')');
    if (paren != std::string::npos && paren + 4 < stat->size() &&
        ((*stat)[paren + 2] == 'Z' || (*stat)[paren + 2] == 'X')) {
      long ppid = std::strtol(stat->c_str() + paren + 4, nullptr, 10);
      if (ppid <= 1 || ::kill(static_cast<pid_t>(ppid), 0) != 0) return false;
    }
  }
  auto cg = read_file("/proc/" + std::to_string(c.pid) + "/cgroup");
  return !cg.ok() || cg->find("berth/" + c.id) != std::string::npos;
}

// `dir` is the container's directory: while its monitor lives, the monitor is about to record
// how the container ended, and guessing now would race it.
pid_t monitor_pid(const ContainerRecord& c, const std::string& dir) {
  auto m = read_file(path_join(dir, "monitor.pid"));
  if (!m.ok()) return 0;
  long mpid = std::strtol(m->c_str(), nullptr, 10);
  if (mpid <= 1) return 0;
  // monitor.start: the monitor's start time, which its execs keep (its command line changes
  // with each, and reads empty in the middle of one); older containers have only the pid.
  if (auto start = read_file(path_join(dir, "monitor.start")); start.ok())
    return process_alive(static_cast<pid_t>(mpid), std::strtoull(start->c_str(), nullptr, 10))
               ? static_cast<pid_t>(mpid)
               : 0;
  auto cmd = read_file("/proc/" + std::to_string(mpid) + "/cmdline");
  return cmd.ok() && cmd->find(c.id) != std::string::npos ? static_cast<pid_t>(mpid) : 0;
}

bool monitor_alive(const ContainerRecord& c, const std::string& dir) {
  return monitor_pid(c, dir) > 0;
}

void reconcile_state(ContainerRecord& c, const std::string& dir) {
  if (c.state == "running" && !container_alive(c)) {
    if (monitor_alive(c, dir)) return;
    c.state = "exited";
    c.exit_code = 255;
    c.finished_at = image::now_nanos();
  }
  // Between two runs of a restart policy the record says exited and the monitor's marker says
  // it will start again: Docker's "restarting". A marker whose monitor died means nothing.
  if (c.state == "exited" && path_exists(path_join(dir, "restarting")) && monitor_alive(c, dir))
    c.state = "restarting";
}

}  // namespace berth::engine
