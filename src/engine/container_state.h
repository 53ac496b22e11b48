// The truth about a container record: its process and its monitor may have died since it was
// written (a killed CLI, a reboot), or be in the middle of recording an exit.
#pragma once

#include <sys/types.h>

#include <string>

#include "engine/container.h"

namespace berth::engine {

// The record's pid is alive and still in the container's cgroup (after a reboot the pid may
// name another process).
bool container_alive(const ContainerRecord& c);

// The pid of the container's monitor (from monitor.pid, checked against monitor.start in `dir`,
// the container's directory), or 0 when it is not alive.
pid_t monitor_pid(const ContainerRecord& c, const std::string& dir);

// The container's monitor (from monitor.pid and monitor.start in `dir`, the container's
// directory) is alive: it is about to record how the container ended, or starting it.
bool monitor_alive(const ContainerRecord& c, const std::string& dir);

// Corrects `c.state` in memory: running without process or monitor is exited (255); exited
// with a live monitor's restart marker is restarting.
void reconcile_state(ContainerRecord& c, const std::string& dir);

}  // namespace berth::engine
