// The healthcheck loop (see health.h).
#include "engine/health.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "base/fs.h"
#include "format/units.h"
#include "image/store.h"
#include "runtime/exec.h"

namespace berth::engine {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxOutput = 4096;  // Docker keeps at most 4 KiB of a check's output
constexpr size_t kMaxLog = 5;        // and the last 5 results

struct Probe {
  int exit_code = -1;
  std::string output;
};

Probe probe(pid_t pid, const oci::RuntimeSpec& spec, const HealthSettings& h) {
  Probe r;
  oci::Process p = *spec.process;
  p.args = h.command;
  p.terminal = false;
  p.console_size.reset();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    r.output = "healthcheck: pipe failed";
    return r;
  }
  UniqueFd rd(fds[0]), wr(fds[1]);
  auto devnull = open_file("/dev/null", O_RDONLY);
  runtime::ExecOptions eo;
  eo.stdin_fd = devnull.ok() ? devnull->get() : -1;
  eo.stdout_fd = eo.stderr_fd = wr.get();
  auto launched = runtime::exec_in_container(pid, spec, p, eo);
  wr.reset();
  if (!launched.ok()) {
    r.output = launched.error().message();
    return r;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(h.timeout_ns);
  bool timed_out = false;
  char buf[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd pfd = {rd.get(), POLLIN, 0};
    int n = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = ::read(rd.get(), buf, sizeof buf);
    if (got <= 0) break;  // every writer closed: the check is done
    if (r.output.size() < kMaxOutput)
      r.output.append(buf, std::min(static_cast<size_t>(got), kMaxOutput - r.output.size()));
  }
  if (timed_out) ::kill(launched->pid, SIGKILL);
  int status = 0;
  while (::waitpid(launched->pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    r.exit_code = -1;
    r.output = "Health check exceeded timeout (" +
               format::human_duration(h.timeout_ns / 1000000000) + ")";
    return r;
  }
  r.exit_code = runtime::docker_exit_status(status);
  return r;
}

}  // namespace

std::optional<HealthSettings> health_settings(const std::string& config_json) {
  auto conf = nlohmann::json::parse(config_json, nullptr, false);
  if (conf.is_discarded() || !conf.contains("Healthcheck")) return std::nullopt;
  const auto& hc = conf["Healthcheck"];
  auto test = hc.value("Test", std::vector<std::string>{});
  if (test.empty() || test[0] == "NONE") return std::nullopt;
  HealthSettings h;
  if (test[0] == "CMD-SHELL" && test.size() > 1) h.command = {"/bin/sh", "-c", test[1]};
  else if (test[0] == "CMD") h.command.assign(test.begin() + 1, test.end());
  else return std::nullopt;  // "" inherits, which the engine resolved at create
  if (h.command.empty()) return std::nullopt;
  if (int64_t v = hc.value("Interval", int64_t{0}); v > 0) h.interval_ns = v;
  if (int64_t v = hc.value("Timeout", int64_t{0}); v > 0) h.timeout_ns = v;
  if (int64_t v = hc.value("StartPeriod", int64_t{0}); v > 0) h.start_period_ns = v;
  if (int v = hc.value("Retries", 0); v > 0) h.retries = v;
  return h;
}

void health_begin(const std::string& dir) {
  ::unlink(path_join(dir, "killed-unhealthy").c_str());
  Json state = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", Json::array()}};
  (void)atomic_write_file(path_join(dir, "health.json"), state.dump());
}

bool health_probe_once(pid_t pid, const oci::RuntimeSpec& spec, const HealthSettings& h,
                       const std::string& dir, bool in_start_period, bool kill_when_unhealthy) {
  std::string path = path_join(dir, "health.json");
  Json state = read_health(dir).value_or(Json::object());
  if (!state.contains("Status") || !state["Status"].is_string()) state["Status"] = "starting";
  if (!state.contains("FailingStreak") || !state["FailingStreak"].is_number_integer())
    state["FailingStreak"] = 0;
  if (!state.contains("Log") || !state["Log"].is_array()) state["Log"] = Json::array();
  int64_t begin = image::now_nanos();
  Probe r = probe(pid, spec, h);
  int64_t end = image::now_nanos();
  Json entry = {{"Start", format::format_rfc3339_nano(begin)},
                {"End", format::format_rfc3339_nano(end)},
                {"ExitCode", r.exit_code},
                {"Output", r.output}};
  state["Log"].push_back(entry);
  while (state["Log"].size() > kMaxLog) state["Log"].erase(state["Log"].begin());
  std::string before = state["Status"];
  if (r.exit_code == 0) {
    state["Status"] = "healthy";
    state["FailingStreak"] = 0;
  } else if (!in_start_period || before == "healthy") {
    // Failures during the start period do not count, unless the container was healthy.
    int streak = state["FailingStreak"].get<int>() + 1;
    state["FailingStreak"] = streak;
    if (streak >= h.retries) state["Status"] = "unhealthy";
  }
  (void)atomic_write_file(path, state.dump());
  if (kill_when_unhealthy && before != "unhealthy" && state["Status"] == "unhealthy") {
    (void)atomic_write_file(path_join(dir, "killed-unhealthy"), "");
    return true;
  }
  return false;
}

std::optional<nlohmann::ordered_json> read_health(const std::string& dir) {
  auto text = read_file(path_join(dir, "health.json"));
  if (!text.ok()) return std::nullopt;
  auto j = Json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string health_status(const std::string& dir) {
  auto j = read_health(dir);
  return j ? j->value("Status", "") : "";
}

}  // namespace berth::engine
