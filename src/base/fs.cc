#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <set>
#include <utility>

namespace berth {

Result<UniqueFd> open_file(const std::string& path, int flags, unsigned mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return sys_error("open " + path);
  return UniqueFd(fd);
}

Result<std::string> read_file(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_RDONLY));
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status fsync_dir(const std::string& dir) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) < 0) return sys_error("fsync " + dir);
  return {};
}

static std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

Status atomic_write_file(const std::string& path, std::string_view data, unsigned mode) {
  std::string dir = dirname(path);
  std::string tmp = path_join(dir, ".tmp-" + basename(path) + "-" + random_suffix());
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(tmp, O_WRONLY | O_CREAT | O_EXCL, mode));
  Status st = write_all(fd.get(), data);
  if (st.ok() && ::fsync(fd.get()) < 0) st = sys_error("fsync " + tmp);
  fd.reset();
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) < 0) st = sys_error("rename " + tmp);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return fsync_dir(dir);
}

Status write_file_unsynced(const std::string& path, std::string_view data, unsigned mode) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_WRONLY | O_CREAT | O_TRUNC, mode));
  return write_all(fd.get(), data);
}

Status sync_files(const std::string& dir, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    std::string path = path_join(dir, name);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
      if (errno == ENOENT) continue;
      return sys_error("open " + path);
    }
    if (::fsync(fd.get()) < 0) return sys_error("fsync " + path);
  }
  return fsync_dir(dir);
}

Status mkdir_all(const std::string& path, unsigned mode) {
  if (path.empty()) return {};
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return Error(Code::kAlreadyExists, "mkdir " + path + ": not a directory", ENOTDIR);
  }
  std::string parent = dirname(path);
  if (parent != path && !parent.empty() && parent != "/" && parent != ".") {
    BERTH_TRY(mkdir_all(parent, mode));
  }
  if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) return sys_error("mkdir " + path);
  return {};
}

static Status remove_all_at(int dirfd, const char* name, const std::string& shown) {
  struct stat st;
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return {};
    return sys_error("stat " + shown);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return sys_error("open " + shown);
    DIR* d = ::fdopendir(fd);
    if (!d) {
      ::close(fd);
      return sys_error("opendir " + shown);
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    Status res;
    for (const auto& n : names) {
      res = remove_all_at(::dirfd(d), n.c_str(), shown + "/" + n);
      if (!res.ok()) break;
    }
    ::closedir(d);
    if (!res.ok()) return res;
    if (::unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
      return sys_error("rmdir " + shown);
    return {};
  }
  if (::unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) return sys_error("unlink " + shown);
  return {};
}

Status remove_all(const std::string& path) {
  if (path.empty() || path == "/") return invalid_argument("refusing to remove '" + path + "'");
  return remove_all_at(AT_FDCWD, path.c_str(), path);
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string path_join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  std::string out(a);
  if (out.back() == '/' && b.front() == '/') b.remove_prefix(1);
  else if (out.back() != '/' && b.front() != '/') out += '/';
  out += b;
  return out;
}

std::string dirname(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t pos = path.rfind('/');
  if (pos == std::string_view::npos) return ".";
  if (pos == 0) return "/";
  return std::string(path.substr(0, pos));
}

std::string basename(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t pos = path.rfind('/');
  if (pos == std::string_view::npos) return std::string(path);
  return std::string(path.substr(pos + 1));
}

static void usage_at(int dirfd, const char* name, uint64_t& total,
                     std::set<std::pair<dev_t, ino_t>>& seen) {
  struct stat st;
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return;
  if (S_ISREG(st.st_mode)) {
    if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) return;
    total += static_cast<uint64_t>(st.st_size);
    return;
  }
  if (!S_ISDIR(st.st_mode)) return;
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") usage_at(::dirfd(d), n.c_str(), total, seen);
  }
  ::closedir(d);
}

Result<uint64_t> disk_usage(const std::string& path) {
  if (!path_exists(path)) return sys_error("stat " + path, ENOENT);
  uint64_t total = 0;
  std::set<std::pair<dev_t, ino_t>> seen;
  usage_at(AT_FDCWD, path.c_str(), total, seen);
  return total;
}

Result<TempDir> TempDir::create(const std::string& parent, std::string_view prefix) {
  BERTH_TRY(mkdir_all(parent));
  std::string tmpl = path_join(parent, std::string(prefix) + "XXXXXX");
  if (!::mkdtemp(tmpl.data())) return sys_error("mkdtemp " + tmpl);
  return TempDir(std::move(tmpl));
}

TempDir& TempDir::operator=(TempDir&& o) noexcept {
  if (this != &o) {
    if (!path_.empty()) (void)remove_all(path_);
    path_ = std::move(o.path_);
    o.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (!path_.empty()) (void)remove_all(path_);
}

std::string TempDir::release() { return std::exchange(path_, std::string()); }

}  // namespace berth
