// Healthchecks: the monitor (berth-monitor) runs the container's HEALTHCHECK (or --health-cmd)
// inside it on a timer, one `berth health-probe` process per check, and keeps Docker's State.Health in <container dir>/health.json (written atomically), which
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

// At each start of the container: a fresh "starting" state in `dir`/health.json, and no
// killed-unhealthy marker of an earlier run.
void health_begin(const std::string& dir);

// `berth health-probe` exits with this when its probe turned the container unhealthy and the
// restart policy (on-unhealthy) wants it killed; berth-monitor then kills it.
constexpr int kHealthProbeKill = 3;

// Runs ONE check in the container whose first process is `pid` (with the settings' timeout) and
// folds its result into `dir`/health.json (Docker's Status, FailingStreak and the last 5 Log
// entries). Failures during the start period do not count unless the container was healthy.
// Returns true when this check turned the container unhealthy and `kill_when_unhealthy`: it has
// then written `dir`/killed-unhealthy, and the caller kills the container. The monitor runs
// one probe at a time, each in a short-lived `berth health-probe` process, every interval.
bool health_probe_once(pid_t pid, const oci::RuntimeSpec& spec, const HealthSettings& settings,
                       const std::string& dir, bool in_start_period, bool kill_when_unhealthy);

// State.Health for inspect, or nullopt when the container has no healthcheck state.
std::optional<nlohmann::ordered_json> read_health(const std::string& dir);

// "healthy", "unhealthy", "starting" or "" (none).
std::string health_status(const std::string& dir);

}  // namespace berth::engine
