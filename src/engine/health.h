// Healthchecks: the monitor runs the container's HEALTHCHECK (or --health-cmd) inside it on a
// timer and keeps Docker's State.Health in <container dir>/health.json (written atomically), which
// `ps` ("Up 5 minutes (healthy)") and `inspect` read. With the restart policy on-unhealthy[:N]
// (berth's own; Docker users need a sidecar for this) an unhealthy container is killed and the
// monitor restarts it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "oci/runtime_spec.h"

namespace berth::engine {

struct HealthSettings {
  std::vector<std::string> command;  // what runs: {"/bin/sh", "-c", cmd} for CMD-SHELL
  int64_t interval_ns = 30'000'000'000, timeout_ns = 30'000'000'000, start_period_ns = 0;
  int retries = 3;
};

// From a container record's config JSON ("Healthcheck": Docker's Test/Interval/... with Docker's
// defaults for zeros). nullopt when there is none or its test is NONE.
std::optional<HealthSettings> health_settings(const std::string& config_json);

// Runs checks until the container's first process `pid` is gone, writing `dir`/health.json.
// When `kill_when_unhealthy`, the turn to unhealthy writes `dir`/killed-unhealthy and SIGKILLs the
// container. Call in a process of its own (a child of the monitor): it forks for each check.
void run_health_loop(pid_t pid, const oci::RuntimeSpec& spec, const HealthSettings& settings,
                     const std::string& dir, bool kill_when_unhealthy);

// State.Health for inspect, or nullopt when the container has no healthcheck state.
std::optional<nlohmann::ordered_json> read_health(const std::string& dir);

// "healthy", "unhealthy", "starting" or "" (none).
std::string health_status(const std::string& dir);

}  // namespace berth::engine
