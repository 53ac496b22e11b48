// cgroupfs file I/O shared by the v1 and v2 backends.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include "base/fs.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "runtime/internal/cgroup_util.h"

namespace berth::runtime::internal {

namespace {

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

Error bad_value(const std::string& dir, std::string_view file, std::string_view text) {
  return internal_error("reading " + path_join(dir, file) + ": unexpected value \"" +
                        std::string(text) + "\"");
}

// Names of the sub-directories of `dir` (the sub-cgroups); empty when `dir` is absent.
Result<std::vector<std::string>> sub_cgroups(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return sys_error("listing " + dir);
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir =
          ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) out.emplace_back(n);
  }
  ::closedir(d);
  return out;
}

Status collect_procs(const std::string& dir, std::vector<pid_t>& out) {
  auto text = read_cgroup_file(dir, "cgroup.procs");
  if (!text.ok() && text.error().sys_errno() != ENOENT) return std::move(text).error();
  if (text.ok()) {
    for (const std::string& line : split(*text, '\n')) {
      std::string_view t = trim(line);
      if (t.empty()) continue;
      std::optional<uint64_t> pid = parse_u64(t);
      if (!pid) return bad_value(dir, "cgroup.procs", t);
      out.push_back(static_cast<pid_t>(*pid));
    }
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> subs, sub_cgroups(dir));
  for (const std::string& s : subs) BERTH_TRY(collect_procs(path_join(dir, s), out));
  return {};
}

}  // namespace

Status write_cgroup_file(const std::string& dir, std::string_view file, std::string_view value) {
  std::string path = path_join(dir, file);
  auto what = [&] { return "writing " + std::string(value) + " to " + path; };
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return sys_error(what());
  ssize_t n;
  do {
    n = ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error(what());
  if (static_cast<size_t>(n) != value.size()) return internal_error(what() + ": short write");
  return {};
}

Result<std::string> read_cgroup_file(const std::string& dir, std::string_view file) {
  std::string path = path_join(dir, file);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_error("reading " + path);
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("reading " + path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return std::string(trim(out));
}

bool cgroup_file_exists(const std::string& dir, std::string_view file) {
  return ::access(path_join(dir, file).c_str(), F_OK) == 0;
}

Result<std::optional<uint64_t>> read_cgroup_limit(const std::string& dir, std::string_view file) {
  BERTH_ASSIGN_OR_RETURN(std::string text, read_cgroup_file(dir, file));
  if (text == "max") return std::optional<uint64_t>();
  std::optional<uint64_t> v = parse_u64(text);
  if (!v) return bad_value(dir, file, text);
  return v;
}

Result<std::optional<uint64_t>> read_cgroup_key(const std::string& dir, std::string_view file,
                                                std::string_view key) {
  BERTH_ASSIGN_OR_RETURN(std::string text, read_cgroup_file(dir, file));
  for (const std::string& line : split(text, '\n')) {
    SplitPair kv = split_once(trim(line), ' ');
    if (!kv.found || kv.first != key) continue;
    std::optional<uint64_t> v = parse_u64(trim(kv.second));
    if (!v) return bad_value(dir, file, line);
    return v;
  }
  return std::optional<uint64_t>();
}

Result<uint64_t> read_cgroup_u64_or(const std::string& dir, std::string_view file,
                                    uint64_t fallback) {
  if (!cgroup_file_exists(dir, file)) return fallback;
  BERTH_ASSIGN_OR_RETURN(std::optional<uint64_t> v, read_cgroup_limit(dir, file));
  return v.value_or(fallback);
}

Result<std::vector<pid_t>> read_procs_recursive(const std::string& dir) {
  std::vector<pid_t> pids;
  BERTH_TRY(collect_procs(dir, pids));
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

Status signal_pids(const std::vector<pid_t>& pids, int sig) {
  for (pid_t pid : pids) {
    if (pid <= 0) continue;  // never kill(0) or kill(-1)
    if (::kill(pid, sig) < 0 && errno != ESRCH) {
      return sys_error("sending signal " + std::to_string(sig) + " to " + std::to_string(pid));
    }
  }
  return {};
}

Status poll_until(std::chrono::milliseconds timeout, const std::function<Result<bool>()>& done,
                  const std::function<std::string()>& what) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(100);
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool ok, done());
    if (ok) return {};
    if (std::chrono::steady_clock::now() >= deadline) return unavailable(what());
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(10));
  }
}

Status remove_cgroup_dir(const std::string& dir, std::chrono::milliseconds timeout) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> subs, sub_cgroups(dir));
  for (const std::string& s : subs) BERTH_TRY(remove_cgroup_dir(path_join(dir, s), timeout));
  // Killed processes leave the cgroup asynchronously; rmdir says EBUSY until they have.
  return poll_until(
      timeout,
      [&]() -> Result<bool> {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return true;
        if (errno != EBUSY) return sys_error("removing cgroup " + dir);
        return false;
      },
      [&] {
        return "removing cgroup " + dir + ": still busy after " + std::to_string(timeout.count()) +
               "ms";
      });
}

}  // namespace berth::runtime::internal
