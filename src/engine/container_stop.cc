// Ending containers: stop, kill, rm and prune with Docker's semantics.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/fs.h"
#include "base/log.h"
#include "engine/container_state.h"
#include "engine/engine.h"
#include "engine/network.h"
#include "runtime/cgroup.h"
#include "runtime/signals.h"

namespace berth::engine {

Status Engine::delete_container_record(const ContainerRecord& c) {
  // The monitor destroys the cgroup when the container exits; after a crash nobody did.
  auto layout = runtime::detect_cgroups();
  if (layout.ok()) {
    auto cg = runtime::open_cgroup(*layout, "berth/" + c.id);
    if (cg.ok()) {
      // A monitor finishing at the same moment may be removing it too: gone is fine.
      auto st = (*cg)->destroy();
      if (!st.ok() && st.error().code() != Code::kNotFound)
        spdlog::warn("removing the cgroup of container {}: {}", c.id.substr(0, 12),
                     st.error().message());
    }
  }
  if (auto net = detach_container_network(*this, c.id); !net.ok())
    spdlog::warn("container {}: {}", c.id.substr(0, 12), net.error().message());
  BERTH_ASSIGN_OR_RETURN(auto tx, store_->db().begin());
  BERTH_TRY(store_->db().run("DELETE FROM containers WHERE id = ?1", c.id));
  if (!c.top_layer.empty()) BERTH_TRY(store_->layers().release(c.top_layer));
  BERTH_TRY(tx.commit());
  return remove_all(container_dir(c.id));
}

// A container between two runs of its restart policy: the stopped marker tells its monitor not
// to start it again; then wait (the monitor polls the marker every 50 ms) until it has either
// given up or started the next run, and return the record as it is then.
Result<ContainerRecord> Engine::cancel_restart(const ContainerRecord& rec) {
  ContainerRecord c = rec;
  if (c.state != "restarting") return c;
  BERTH_TRY(atomic_write_file(stopped_marker(c.id), ""));
  for (int i = 0; i < 250 && c.state == "restarting"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    BERTH_ASSIGN_OR_RETURN(c, find_container(c.id));
  }
  return c;
}

Status Engine::remove_container(std::string_view name_or_id, bool force, bool remove_volumes) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name_or_id));
  if (c.state == "restarting" && !force)
    return conflict("cannot remove container \"/" + c.name +
                    "\": container is restarting: stop the container before removing or force "
                    "remove");
  if (c.state == "running" && !force)
    return conflict("cannot remove container \"/" + c.name +
                    "\": container is running: stop the container before removing or force "
                    "remove");
  // With force, whatever state the record was read in: its monitor may be starting it or
  // recording its exit right now, and nothing of it may outlive its record.
  if (force) BERTH_TRY(end_for_removal(c));
  BERTH_TRY(delete_container_record(c));
  // After the record is gone, so the volume no longer counts as used by this container.
  if (remove_volumes) BERTH_TRY(remove_anonymous_volumes(c));
  return ok_status();
}

Status Engine::end_for_removal(const ContainerRecord& c) {
  std::string dir = container_dir(c.id);
  pid_t monitor = monitor_pid(c, dir);
  if (monitor == ::getpid()) monitor = 0;  // --rm applied by the monitor itself (monitor-finish)
  // The marker first: its monitor must not start it again, nor write into its directory. (An
  // exited container without a monitor, as `run --rm`'s, has nobody to tell.)
  if (monitor > 0 || c.state != "exited")
    if (path_exists(dir)) (void)atomic_write_file(stopped_marker(c.id), "");
  if (container_alive(c)) ::kill(c.pid, SIGKILL);  // never kill(0): our own process group
  thaw_if_paused(c);
  auto layout = runtime::detect_cgroups();
  std::unique_ptr<runtime::Cgroup> cg;
  if (layout.ok())
    if (auto opened = runtime::open_cgroup(*layout, "berth/" + c.id); opened.ok())
      cg = std::move(*opened);
  auto kill_cgroup = [&] {
    if (cg) (void)cg->kill_all(SIGKILL);  // not found: nothing runs there
  };
  kill_cgroup();
  // Let the monitor record the end and exit before the directory goes (it polls every 20 ms).
  for (int i = 0; i < 150 && monitor > 0 && monitor_pid(c, dir) == monitor; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (monitor > 0 && monitor_pid(c, dir) == monitor) {
    // Stuck (or still starting the container): end it, then whatever it started.
    spdlog::warn("container {}: its monitor (pid {}) did not exit; killing it", c.id.substr(0, 12),
                 monitor);
    ::kill(monitor, SIGKILL);
    for (int i = 0; i < 100 && monitor_pid(c, dir) == monitor; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    kill_cgroup();
  }
  if (!cg) return {};
  // Refuse to drop the record while a process of the container still runs: a later rm -f can
  // finish the job, a record-less container could never be found again.
  for (int i = 0; i < 250; ++i) {
    auto left = cg->pids();
    if (!left.ok() || left->empty()) return {};
    if (i % 25 == 0) kill_cgroup();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return unavailable("could not kill container " + c.id + ": processes remain in its cgroup");
}

Status Engine::kill_container(std::string_view name_or_id, int sig) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name_or_id));
  if (c.state != "running" || c.pid <= 0)
    return conflict("cannot kill container: " + std::string(name_or_id) + ": container " +
                    c.id + " is not running");
  BERTH_TRY(atomic_write_file(stopped_marker(c.id), ""));
  if (::kill(c.pid, sig) < 0) return sys_error("kill " + std::to_string(c.pid));
  thaw_if_paused(c);  // a frozen process takes its signal only once thawed, as Docker does
  return {};
}

Status Engine::stop_container(std::string_view name_or_id, std::optional<int> timeout_s) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name_or_id));
  // First the marker: a monitor between two restarts must not start the container again.
  BERTH_TRY(atomic_write_file(stopped_marker(c.id), ""));
  BERTH_ASSIGN_OR_RETURN(c, cancel_restart(c));
  if (c.state != "running" || c.pid <= 0) return {};  // Docker: stopping a stopped one succeeds
  Json conf = Json::parse(c.config, nullptr, false);
  int sig = SIGTERM;
  int timeout = timeout_s.value_or(10);
  if (!conf.is_discarded()) {
    if (auto s = runtime::parse_signal(conf.value("StopSignal", "")); s.ok()) sig = *s;
    if (!timeout_s && conf.contains("StopTimeout")) timeout = conf["StopTimeout"].get<int>();
  }
  ::kill(c.pid, sig);
  thaw_if_paused(c);
  // A negative timeout waits for ever, as Docker's -t -1.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  while (::kill(c.pid, 0) == 0 && (timeout < 0 || std::chrono::steady_clock::now() < deadline))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (::kill(c.pid, 0) == 0) ::kill(c.pid, SIGKILL);
  for (int i = 0; i < 250 && ::kill(c.pid, 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return {};
}


Result<std::vector<std::string>> Engine::prune_containers() {
  BERTH_ASSIGN_OR_RETURN(auto all, list_containers());
  std::vector<std::string> out;
  for (const auto& c : all) {
    if (c.state == "running" || c.state == "restarting") continue;
    BERTH_TRY(delete_container_record(c));
    out.push_back(c.id);
  }
  return out;
}

}  // namespace berth::engine
