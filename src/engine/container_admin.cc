// Container operations that act on a running container's cgroup or on its record: pause,
// unpause, rename, update, top and stats.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "base/fs.h"
#include "base/strings.h"
#include "engine/engine.h"
#include "engine/health.h"

namespace berth::engine {
namespace {

Result<std::unique_ptr<runtime::Cgroup>> container_cgroup(const ContainerRecord& c) {
  // The host's cgroup layout does not change while berth runs: read /proc/self/mountinfo once,
  // not once per container of a `ps`.
  static const Result<runtime::CgroupLayout> layout = runtime::detect_cgroups();
  if (!layout.ok()) return layout.error();
  return runtime::open_cgroup(*layout, "berth/" + c.id);
}

// Bytes read and written by the cgroup's block I/O: v2 io.stat, or v1's blkio throttle counters.
std::pair<uint64_t, uint64_t> block_io(const runtime::Cgroup& cg) {
  uint64_t rd = 0, wr = 0;
  for (const auto& dir : cg.paths()) {
    if (auto t = read_file(path_join(dir, "io.stat")); t.ok()) {
      for (const auto& line : split(*t, '\n'))
        for (const auto& f : split(line, ' ')) {
          auto kv = split_once(f, '=');
          if (kv.first == "rbytes") rd += std::strtoull(kv.second.c_str(), nullptr, 10);
          if (kv.first == "wbytes") wr += std::strtoull(kv.second.c_str(), nullptr, 10);
        }
    }
    if (auto t = read_file(path_join(dir, "blkio.throttle.io_service_bytes")); t.ok()) {
      for (const auto& line : split(*t, '\n')) {
        auto f = split(line, ' ');
        if (f.size() != 3) continue;
        if (f[1] == "Read") rd += std::strtoull(f[2].c_str(), nullptr, 10);
        if (f[1] == "Write") wr += std::strtoull(f[2].c_str(), nullptr, 10);
      }
    }
  }
  return {rd, wr};
}

// Bytes received and sent on the container's interfaces other than lo.
std::pair<uint64_t, uint64_t> net_io(int pid) {
  uint64_t rx = 0, tx = 0;
  auto t = read_file("/proc/" + std::to_string(pid) + "/net/dev");
  if (!t.ok()) return {0, 0};
  for (const auto& line : split(*t, '\n')) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string ifname(trim(line.substr(0, colon)));
    if (ifname == "lo") continue;
    std::istringstream in(line.substr(colon + 1));
    uint64_t v[9] = {0};
    for (auto& x : v) in >> x;
    rx += v[0];
    tx += v[8];
  }
  return {rx, tx};
}

uint64_t host_memory() {
  long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : 0;
}

}  // namespace

Result<ContainerStats> Engine::container_stats(const ContainerRecord& c) {
  ContainerStats s;
  s.id = c.id;
  s.name = c.name;
  if (c.state != "running") return s;
  BERTH_ASSIGN_OR_RETURN(auto cg, container_cgroup(c));
  BERTH_ASSIGN_OR_RETURN(auto st, cg->stats());
  s.running = true;
  s.cpu_usage_ns = st.cpu_usage_ns;
  s.memory_usage = st.memory_usage > st.memory_inactive_file
                       ? st.memory_usage - st.memory_inactive_file
                       : st.memory_usage;
  s.memory_limit = st.memory_limit.value_or(host_memory());
  if (s.memory_limit > host_memory() && host_memory() > 0) s.memory_limit = host_memory();
  s.pids = st.pids_current;
  std::tie(s.block_read, s.block_write) = block_io(*cg);
  std::tie(s.net_rx, s.net_tx) = net_io(c.pid);
  s.sampled_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now().time_since_epoch())
                     .count();
  return s;
}

Result<TopResult> Engine::top_container(std::string_view name, const std::vector<std::string>& ps_args) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name));
  if (c.state != "running") return conflict("Container " + c.id + " is not running");
  BERTH_ASSIGN_OR_RETURN(auto cg, container_cgroup(c));
  BERTH_ASSIGN_OR_RETURN(auto pids, cg->pids());
  std::set<long> mine(pids.begin(), pids.end());
  // Docker's daemon runs the host's ps and keeps the rows of the container's processes.
  std::vector<std::string> argv = {"ps"};
  if (ps_args.empty()) argv.push_back("-ef");
  for (const auto& a : ps_args) argv.push_back(a);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return sys_error("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
  if (pid == 0) {
    ::dup2(wr.get(), STDOUT_FILENO);
    ::dup2(wr.get(), STDERR_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp("ps", args.data());
    ::_exit(127);
  }
  wr.reset();
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(rd.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return internal_error("ps: " + std::string(trim(out)));
  auto lines = split(out, '\n');
  if (lines.empty()) return internal_error("ps printed nothing");
  TopResult r;
  std::istringstream hdr(lines[0]);
  for (std::string t; hdr >> t;) r.titles.push_back(t);
  size_t pid_col = r.titles.size();
  for (size_t i = 0; i < r.titles.size(); ++i)
    if (r.titles[i] == "PID") pid_col = i;
  if (pid_col == r.titles.size())
    return invalid_argument("Couldn't find PID field in ps output");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::vector<std::string> f;
    for (std::string t; f.size() + 1 < r.titles.size() && in >> t;) f.push_back(t);
    if (f.size() <= pid_col) continue;
    std::string rest;
    std::getline(in, rest);
    f.push_back(std::string(trim(rest)));
    if (!mine.count(std::strtol(f[pid_col].c_str(), nullptr, 10))) continue;
    r.processes.push_back(std::move(f));
  }
  return r;
}

Status Engine::update_container(std::string_view name, const UpdateRequest& u) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name));
  Json conf = Json::parse(c.config, nullptr, false);
  if (conf.is_discarded()) return internal_error("container " + c.id + ": corrupt config");
  runtime::Resources r;
  if (u.memory) {
    r.memory = *u.memory;
    conf["Memory"] = *u.memory;
    if (!u.memory_swap && conf.value("MemorySwap", int64_t{0}) > 0 &&
        conf.value("MemorySwap", int64_t{0}) < *u.memory)
      return invalid_argument("Memory limit should be smaller than already set memoryswap limit, "
                              "update the memoryswap at the same time");
  }
  if (u.memory_swap) {
    r.memory_swap = *u.memory_swap;
    conf["MemorySwap"] = *u.memory_swap;
  }
  if (u.nano_cpus) {
    r.cpus = static_cast<double>(*u.nano_cpus) / 1e9;
    conf["NanoCpus"] = *u.nano_cpus;
  }
  if (u.cpu_shares) {
    r.cpu_shares = static_cast<uint64_t>(*u.cpu_shares);
    conf["CpuShares"] = *u.cpu_shares;
  }
  if (u.cpuset_cpus) {
    r.cpuset_cpus = *u.cpuset_cpus;
    conf["CpusetCpus"] = *u.cpuset_cpus;
  }
  if (u.pids_limit) {
    r.pids_limit = *u.pids_limit <= 0 ? -1 : *u.pids_limit;
    conf["PidsLimit"] = *u.pids_limit;
  }
  if (u.restart) {
    BERTH_ASSIGN_OR_RETURN(Json policy, restart_policy_json(*u.restart));
    if (conf.value("AutoRemove", false) && policy["Name"] != "no")
      return invalid_argument("Restart policy cannot be updated because AutoRemove is enabled for the container");
    if (policy["Name"] == "on-unhealthy" && !conf.contains("Healthcheck"))
      return invalid_argument("--restart on-unhealthy needs a healthcheck (HEALTHCHECK or --health-cmd)");
    conf["RestartPolicy"] = policy;
  }
  BERTH_TRY(runtime::validate_resources(r, runtime::host_cpu_count(), false));
  if (c.state == "running") {
    BERTH_ASSIGN_OR_RETURN(auto cg, container_cgroup(c));
    BERTH_TRY_CTX(cg->update(r), "Cannot update container " + c.id);
  }
  return store_->db().run("UPDATE containers SET config = ?2 WHERE id = ?1", c.id, conf.dump());
}

std::string Engine::health_of(const ContainerRecord& c) const {
  if (c.state != "running") return "";
  return health_status(container_dir(c.id));
}

Result<bool> Engine::is_paused(const ContainerRecord& c) {
  if (c.state != "running") return false;
  BERTH_ASSIGN_OR_RETURN(auto cg, container_cgroup(c));
  return cg->is_frozen();
}

Status Engine::pause_container(std::string_view name) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name));
  if (c.state != "running")
    return conflict("container " + c.id + " is not running");
  BERTH_ASSIGN_OR_RETURN(bool paused, is_paused(c));
  if (paused) return conflict("container " + c.id + " is already paused");
  BERTH_ASSIGN_OR_RETURN(auto cg, container_cgroup(c));
  return cg->freeze();
}

Status Engine::unpause_container(std::string_view name) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name));
  BERTH_ASSIGN_OR_RETURN(bool paused, is_paused(c));
  if (!paused) return conflict("container " + c.id + " is not paused");
  BERTH_ASSIGN_OR_RETURN(auto cg, container_cgroup(c));
  return cg->thaw();
}

Status Engine::rename_container(std::string_view name, const std::string& new_name) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name));
  static const std::regex kName("/?[a-zA-Z0-9][a-zA-Z0-9_.-]+");
  if (!std::regex_match(new_name, kName))
    return invalid_argument("Invalid container name (" + new_name +
                            "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  std::string n = new_name[0] == '/' ? new_name.substr(1) : new_name;
  if (n == c.name)
    return invalid_argument("Renaming a container with the same name as its current name");
  BERTH_TRY(check_name_free(n, "Error when allocating new name: "));
  // The unique index on name decides a race with a create or rename taking it meanwhile.
  auto st = store_->db().run("UPDATE containers SET name = ?2 WHERE id = ?1", c.id, n);
  if (!st.ok() && st.error().code() == Code::kAlreadyExists)
    BERTH_TRY(check_name_free(n, "Error when allocating new name: "));
  return st;
}

}  // namespace berth::engine
