#include "archive/internal/safe_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <deque>

namespace berth::archive::internal {
namespace {

// Linux's own limit on symlinks followed in one resolution.
constexpr int kMaxSymlinks = 40;

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

Result<UniqueFd> open_path_fd(int dir_fd, const char* name, int flags) {
  int fd = ::openat(dir_fd, name, flags | O_PATH | O_CLOEXEC);
  if (fd < 0) return sys_error("open \"" + std::string(name) + "\"");
  return UniqueFd(fd);
}

Result<UniqueFd> resolve_openat2(int root_fd, std::string_view rel) {
  struct open_how how {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string path = rel.empty() ? std::string(".") : std::string(rel);
  // EAGAIN: a concurrent rename raced the ".." checks; the kernel asks for a retry.
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof(how));
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if ((errno == EAGAIN || errno == EINTR) && attempt < 32) continue;
    return sys_error("resolving \"" + path + "\"");
  }
}

Result<std::string> read_link(int link_fd) {
  std::string buf(256, '\0');
  while (true) {
    // An O_PATH fd of the symlink itself with an empty name reads that link.
    ssize_t n = ::readlinkat(link_fd, "", buf.data(), buf.size());
    if (n < 0) return sys_error("readlink");
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

// RESOLVE_IN_ROOT in user space, for kernels before 5.6. Each component is opened with
// O_NOFOLLOW; a symlink's target is spliced into the remaining components, an absolute one
// restarting from the root. ".." pops the stack of opened directories and never goes above the
// root. /proc magic links cannot be followed because links are never followed by the kernel here.
Result<UniqueFd> resolve_walk(int root_fd, std::string_view rel) {
  std::vector<UniqueFd> stack;
  BERTH_ASSIGN_OR_RETURN(UniqueFd root, open_path_fd(root_fd, ".", O_DIRECTORY));
  stack.push_back(std::move(root));
  std::vector<std::string> parts = components(rel);
  std::deque<std::string> todo(parts.begin(), parts.end());
  int links = 0;
  auto fail = [&](int err) { return sys_error("resolving \"" + std::string(rel) + "\"", err); };
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == ".") continue;
    if (c == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    int fd = ::openat(stack.back().get(), c.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fail(errno);
    UniqueFd next(fd);
    struct stat st;
    if (::fstat(next.get(), &st) != 0) return fail(errno);
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) return fail(ELOOP);
      BERTH_ASSIGN_OR_RETURN(std::string target, read_link(next.get()));
      if (target.empty()) return fail(ENOENT);
      if (target[0] == '/') stack.resize(1);
      std::vector<std::string> more = components(target);
      todo.insert(todo.begin(), more.begin(), more.end());
      continue;
    }
    if (!S_ISDIR(st.st_mode)) return fail(ENOTDIR);
    stack.push_back(std::move(next));
  }
  return std::move(stack.back());
}

}  // namespace

std::optional<std::string> clean_path(std::string_view name) {
  std::vector<std::string> out;
  for (std::string& c : components(name)) {
    if (c == ".") continue;
    if (c == "..") {
      if (out.empty()) return std::nullopt;
      out.pop_back();
      continue;
    }
    out.push_back(std::move(c));
  }
  std::string joined;
  for (const std::string& c : out) {
    if (!joined.empty()) joined += '/';
    joined += c;
  }
  return joined;
}

std::pair<std::string, std::string> split_parent(const std::string& clean) {
  size_t slash = clean.rfind('/');
  if (slash == std::string::npos) return {"", clean};
  return {clean.substr(0, slash), clean.substr(slash + 1)};
}

bool openat2_supported() {
  static const bool supported = [] {
    struct open_how how {};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
    if (fd >= 0) ::close(static_cast<int>(fd));
    // E2BIG: a kernel with an older struct open_how; treat it like no openat2.
    return fd >= 0 || (errno != ENOSYS && errno != E2BIG);
  }();
  return supported;
}

Result<UniqueFd> open_dir_in_root(int root_fd, std::string_view rel, Resolver r) {
  bool use_openat2 = r == Resolver::kOpenat2 || (r == Resolver::kAuto && openat2_supported());
  return use_openat2 ? resolve_openat2(root_fd, rel) : resolve_walk(root_fd, rel);
}

Result<UniqueFd> make_dirs_in_root(int root_fd, std::string_view rel, Resolver r) {
  auto whole = open_dir_in_root(root_fd, rel, r);
  if (whole.ok() || (whole.error().sys_errno() != ENOENT && whole.error().sys_errno() != ENOTDIR))
    return whole;
  // Go down one component at a time to create what is missing and to name what is in the way.
  BERTH_ASSIGN_OR_RETURN(UniqueFd current, open_path_fd(root_fd, ".", O_DIRECTORY));
  std::string prefix;
  for (const std::string& c : components(rel)) {
    prefix += prefix.empty() ? c : "/" + c;
    auto next = open_dir_in_root(root_fd, prefix, r);
    if (next.ok()) {
      current = std::move(*next);
      continue;
    }
    int err = next.error().sys_errno();
    if (err == ENOTDIR) return invalid_argument("parent \"" + prefix + "\" is not a directory");
    if (err != ENOENT) return next;
    if (::mkdirat(current.get(), c.c_str(), 0755) != 0) {
      if (errno != EEXIST) return sys_error("mkdir \"" + prefix + "\"");
      // Something is there that does not resolve to a directory: a dangling symlink.
      struct stat st;
      if (::fstatat(current.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        return invalid_argument("parent \"" + prefix + "\" is a symlink to a missing directory");
      return invalid_argument("parent \"" + prefix + "\" is not a directory");
    }
    BERTH_ASSIGN_OR_RETURN(current,
                           open_path_fd(current.get(), c.c_str(), O_DIRECTORY | O_NOFOLLOW));
  }
  return current;
}

Result<std::vector<std::string>> list_dir(int dir_fd) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("open directory");
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    int err = errno;
    ::close(fd);
    return sys_error("fdopendir", err);
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* d = ::readdir(dir)) {
    std::string_view n = d->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
    errno = 0;
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return sys_error("readdir", err);
  return names;
}

Status remove_at(int dir_fd, const std::string& name) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return ok_status();
    return sys_error("stat \"" + name + "\"");
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return sys_error("open \"" + name + "\"");
    UniqueFd sub(fd);
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, list_dir(sub.get()));
    for (const std::string& n : names) BERTH_TRY(remove_at(sub.get(), n));
  }
  if (::unlinkat(dir_fd, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 &&
      errno != ENOENT)
    return sys_error("remove \"" + name + "\"");
  return ok_status();
}

std::string clean_path_capped(std::string_view path) {
  std::vector<std::string> out;
  for (auto& c : components(path)) {
    if (c == "..") {
      if (!out.empty()) out.pop_back();
    } else if (c != ".") {
      out.push_back(std::move(c));
    }
  }
  std::string s;
  for (const auto& c : out) s += (s.empty() ? "" : "/") + c;
  return s;
}

}  // namespace berth::archive::internal
