// apply_layer: extraction of an untrusted layer tar under a root directory fd. Every parent is
// resolved inside the root (internal/safe_path.h) and every final component is created with
// *at() calls that do not follow it (CVE-2018-15664-style symlink tricks, "../" escapes).
#include "archive/internal/apply.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "archive/archive.h"
#include "archive/internal/safe_path.h"
#include "archive/tar.h"
#include "base/log.h"

namespace berth::archive {
namespace {

using internal::Resolver;

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr char kOpaqueXattr[] = "trusted.overlay.opaque";

// Only whiteout conversion may set overlay xattrs: a layer carrying trusted.overlay.redirect or
// .metacopy could make overlayfs show files from other paths of the lower layers.
bool is_overlay_xattr(std::string_view name) {
  return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.");
}

// Checks (no errno) read "invalid tar entry"; failed system calls read "extracting".
Error entry_error(const TarEntry& e, Error err) {
  bool invalid = err.code() == Code::kInvalidArgument && err.sys_errno() == 0;
  return std::move(err).context((invalid ? "invalid tar entry \"" : "extracting \"") + e.name +
                                "\"");
}

std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

std::string proc_path(int dir_fd, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
}

Status pwrite_all(int fd, std::string_view data, uint64_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("write");
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return ok_status();
}

class Extractor {
 public:
  Extractor(int root_fd, const ApplyOptions& opts, Resolver resolver)
      : root_(root_fd), opts_(opts), resolver_(resolver) {}

  Status extract(const TarEntry& e, TarReader& reader) {
    Status st = extract_entry(e, reader);
    if (st.ok()) return st;
    // A broken stream is not the entry's fault: "reading tar: gzip: truncated input".
    if (stream_error_) return *std::exchange(stream_error_, std::nullopt);
    return entry_error(e, std::move(st).error());
  }

  Status finish();
  uint64_t bytes_written() const { return written_; }

 private:
  struct DirMeta {
    std::string path;
    uint32_t mode;
    struct timespec times[2];
  };

  Status extract_entry(const TarEntry& e, TarReader& reader);
  Status whiteout(const TarEntry& e, const std::string& parent, const std::string& base);
  Status opaque(const std::string& dir);
  Status prune(int dir_fd, const std::string& dir);
  Status root_entry(const TarEntry& e);
  Status clear_target(int dir_fd, const std::string& name, bool keep_dir);
  Status make_file(const TarEntry& e, int dir_fd, const std::string& name, TarReader& reader);
  Status make_dir(const TarEntry& e, int dir_fd, const std::string& name, const std::string& path);
  Status make_symlink(const TarEntry& e, int dir_fd, const std::string& name);
  Status make_hardlink(const TarEntry& e, int dir_fd, const std::string& name,
                       const std::string& target);
  Status make_node(const TarEntry& e, int dir_fd, const std::string& name);
  Status set_owner_at(const TarEntry& e, int dir_fd, const std::string& name);
  Status set_xattrs(const TarEntry& e, int fd, const std::string& path_for_l);
  void defer_dir(const std::string& path, const TarEntry& e);
  void remember(const std::string& path);

  int root_;
  ApplyOptions opts_;
  Resolver resolver_;
  uint64_t written_ = 0;
  std::vector<DirMeta> dirs_;
  std::unordered_map<std::string, size_t> dir_index_;
  // Flatten mode: paths this layer created (and their parents), which an opaque marker keeps.
  std::unordered_set<std::string> kept_;
  std::optional<Error> stream_error_;
};

struct timespec to_timespec(const TarEntry& e) {
  struct timespec t;
  t.tv_sec = static_cast<time_t>(e.mtime);
  t.tv_nsec = e.mtime_nsec < 1000000000 ? e.mtime_nsec : 0;
  return t;
}

Status Extractor::extract_entry(const TarEntry& e, TarReader& reader) {
  std::optional<std::string> clean = internal::clean_path(e.name);
  if (!clean) return invalid_argument("path escapes the layer root");
  if (clean->empty()) return root_entry(e);
  auto [parent, name] = internal::split_parent(*clean);
  if (name.starts_with(kWhiteoutPrefix)) return whiteout(e, parent, name);

  bool device = e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice;
  if (device && !opts_.allow_devices) return invalid_argument("device nodes are not allowed");
  std::optional<std::string> target;
  if (e.type == EntryType::kHardlink) {
    target = internal::clean_path(e.linkname);
    if (!target)
      return invalid_argument("hard link target \"" + e.linkname + "\" escapes the layer root");
    if (target->empty())
      return invalid_argument("hard link target \"" + e.linkname + "\" is the layer root");
    if (*target == *clean) return invalid_argument("hard link to itself");
  }

  BERTH_ASSIGN_OR_RETURN(UniqueFd dir, internal::make_dirs_in_root(root_, parent, resolver_));
  if (!opts_.overlay_whiteouts) remember(*clean);
  BERTH_TRY(clear_target(dir.get(), name, e.type == EntryType::kDir));
  switch (e.type) {
    case EntryType::kFile: return make_file(e, dir.get(), name, reader);
    case EntryType::kDir: return make_dir(e, dir.get(), name, *clean);
    case EntryType::kSymlink: return make_symlink(e, dir.get(), name);
    case EntryType::kHardlink: return make_hardlink(e, dir.get(), name, *target);
    case EntryType::kCharDevice:
    case EntryType::kBlockDevice:
    case EntryType::kFifo: return make_node(e, dir.get(), name);
  }
  return internal_error("unknown entry type");
}

Status Extractor::whiteout(const TarEntry& e, const std::string& parent, const std::string& base) {
  if (base == kOpaqueMarker) return opaque(parent);
  // Other aufs metadata (.wh..wh.plnk, .wh..wh.aufs) is never image content.
  if (base.starts_with(kWhiteoutMetaPrefix)) return ok_status();
  std::string name = base.substr(kWhiteoutPrefix.size());
  if (name.empty() || name == "." || name == "..")
    return invalid_argument("whiteout without a name");

  if (!opts_.overlay_whiteouts) {
    // Flatten: delete what the layers below had. A missing parent means nothing to delete.
    auto dir = internal::open_dir_in_root(root_, parent, resolver_);
    if (!dir.ok()) {
      int err = dir.error().sys_errno();
      return err == ENOENT || err == ENOTDIR ? ok_status() : Status(std::move(dir).error());
    }
    return internal::remove_at(dir->get(), name);
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd dir, internal::make_dirs_in_root(root_, parent, resolver_));
  BERTH_TRY(clear_target(dir.get(), name, false));
  if (::mknodat(dir.get(), name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
    return sys_error("mknod whiteout \"" + join(parent, name) + "\"");
  BERTH_TRY(set_owner_at(e, dir.get(), name));
  struct timespec times[2] = {to_timespec(e), to_timespec(e)};
  if (::utimensat(dir.get(), name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("utimensat");
  return ok_status();
}

Status Extractor::opaque(const std::string& dir_path) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd dir, internal::make_dirs_in_root(root_, dir_path, resolver_));
  if (!opts_.overlay_whiteouts) {
    remember(dir_path);
    return prune(dir.get(), dir_path);
  }
  int fd = ::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("open \"" + dir_path + "\"");
  UniqueFd d(fd);
  if (::fsetxattr(d.get(), kOpaqueXattr, "y", 1, 0) != 0)
    return sys_error(std::string("setxattr ") + kOpaqueXattr);
  return ok_status();
}

// Flatten mode's opaque directory: everything below it that this layer did not create goes.
Status Extractor::prune(int dir_fd, const std::string& dir) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, internal::list_dir(dir_fd));
  for (const std::string& n : names) {
    std::string path = join(dir, n);
    if (!kept_.contains(path)) {
      BERTH_TRY(internal::remove_at(dir_fd, n));
      continue;
    }
    struct stat st;
    if (::fstatat(dir_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
      continue;
    int fd = ::openat(dir_fd, n.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return sys_error("open \"" + path + "\"");
    UniqueFd sub(fd);
    BERTH_TRY(prune(sub.get(), path));
  }
  return ok_status();
}

void Extractor::remember(const std::string& path) {
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    kept_.insert(path.substr(0, slash));
  kept_.insert(path);
}

// "./" describes dest itself: Docker applies its owner and mode to the layer root.
Status Extractor::root_entry(const TarEntry& e) {
  if (e.type != EntryType::kDir) return invalid_argument("the layer root can only be a directory");
  if (opts_.keep_ownership && ::fchown(root_, e.uid, e.gid) != 0) return sys_error("chown");
  BERTH_TRY(set_xattrs(e, root_, ""));
  defer_dir("", e);
  return ok_status();
}

Status Extractor::clear_target(int dir_fd, const std::string& name, bool keep_dir) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? ok_status() : sys_error("stat");
  }
  if (keep_dir && S_ISDIR(st.st_mode)) return ok_status();
  return internal::remove_at(dir_fd, name);
}

Status Extractor::make_file(const TarEntry& e, int dir_fd, const std::string& name,
                            TarReader& reader) {
  int fd =
      ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error("create");
  UniqueFd file(fd);
  // Sparse entries arrive as blocks at offsets: holes stay holes.
  bool write_failed = false;
  Status copied = reader.read_blocks([&](uint64_t offset, std::string_view data) {
    written_ += data.size();
    Status st = pwrite_all(file.get(), data, offset);
    write_failed = !st.ok();
    return st;
  });
  if (!copied.ok() && !write_failed) stream_error_ = copied.error();
  BERTH_TRY(copied);
  if (::ftruncate(file.get(), static_cast<off_t>(e.size)) != 0) return sys_error("truncate");
  // Owner first: chown clears setuid/setgid and file capabilities.
  if (opts_.keep_ownership && ::fchown(file.get(), e.uid, e.gid) != 0) return sys_error("chown");
  if (::fchmod(file.get(), e.mode) != 0) return sys_error("chmod");
  BERTH_TRY(set_xattrs(e, file.get(), ""));
  struct timespec times[2] = {to_timespec(e), to_timespec(e)};
  if (::futimens(file.get(), times) != 0) return sys_error("utimens");
  return ok_status();
}

Status Extractor::make_dir(const TarEntry& e, int dir_fd, const std::string& name,
                           const std::string& path) {
  // 0700 until finish(): a read-only directory must still take its content.
  if (::mkdirat(dir_fd, name.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("mkdir");
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return sys_error("open");
  UniqueFd dir(fd);
  if (opts_.keep_ownership && ::fchown(dir.get(), e.uid, e.gid) != 0) return sys_error("chown");
  BERTH_TRY(set_xattrs(e, dir.get(), ""));
  defer_dir(path, e);
  return ok_status();
}

Status Extractor::make_symlink(const TarEntry& e, int dir_fd, const std::string& name) {
  // The target is stored as is and never followed here.
  if (::symlinkat(e.linkname.c_str(), dir_fd, name.c_str()) != 0) return sys_error("symlink");
  BERTH_TRY(set_owner_at(e, dir_fd, name));
  BERTH_TRY(set_xattrs(e, -1, proc_path(dir_fd, name)));
  struct timespec times[2] = {to_timespec(e), to_timespec(e)};
  if (::utimensat(dir_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("utimensat");
  return ok_status();
}

Status Extractor::make_hardlink(const TarEntry& e, int dir_fd, const std::string& name,
                                const std::string& target) {
  auto [target_parent, target_name] = internal::split_parent(target);
  auto target_dir = internal::open_dir_in_root(root_, target_parent, resolver_);
  if (!target_dir.ok()) {
    return std::move(target_dir).error().context("hard link target \"" + e.linkname + "\"");
  }
  // Flags 0: a symlink target is linked itself, not followed.
  if (::linkat(target_dir->get(), target_name.c_str(), dir_fd, name.c_str(), 0) != 0)
    return sys_error("link to \"" + e.linkname + "\"");
  return ok_status();
}

Status Extractor::make_node(const TarEntry& e, int dir_fd, const std::string& name) {
  mode_t type = e.type == EntryType::kCharDevice    ? S_IFCHR
                : e.type == EntryType::kBlockDevice ? S_IFBLK
                                                    : S_IFIFO;
  dev_t dev = type == S_IFIFO ? 0 : makedev(e.dev_major, e.dev_minor);
  if (::mknodat(dir_fd, name.c_str(), type | 0600, dev) != 0) return sys_error("mknod");
  BERTH_TRY(set_owner_at(e, dir_fd, name));
  // The node was just created by us, so following the name cannot lead elsewhere.
  if (::fchmodat(dir_fd, name.c_str(), e.mode, 0) != 0) return sys_error("chmod");
  BERTH_TRY(set_xattrs(e, -1, proc_path(dir_fd, name)));
  struct timespec times[2] = {to_timespec(e), to_timespec(e)};
  if (::utimensat(dir_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("utimensat");
  return ok_status();
}

Status Extractor::set_owner_at(const TarEntry& e, int dir_fd, const std::string& name) {
  if (opts_.keep_ownership &&
      ::fchownat(dir_fd, name.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("chown");
  return ok_status();
}

// fd >= 0: fsetxattr; else lsetxattr on path_for_l (a /proc/self/fd path: symlinks and device
// nodes cannot be opened safely).
Status Extractor::set_xattrs(const TarEntry& e, int fd, const std::string& path_for_l) {
  for (const auto& [name, value] : e.xattrs) {
    if (is_overlay_xattr(name)) {
      spdlog::debug("dropping xattr {} of tar entry \"{}\"", name, e.name);
      continue;
    }
    int r = fd >= 0 ? ::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0)
                    : ::lsetxattr(path_for_l.c_str(), name.c_str(), value.data(), value.size(), 0);
    if (r == 0) continue;
    if (errno == ENOTSUP || errno == EPERM) {
      spdlog::warn("ignoring xattr {} of tar entry \"{}\": {}", name, e.name, std::strerror(errno));
      continue;
    }
    return sys_error("setxattr " + name);
  }
  return ok_status();
}

void Extractor::defer_dir(const std::string& path, const TarEntry& e) {
  DirMeta meta{path, e.mode, {to_timespec(e), to_timespec(e)}};
  auto [it, added] = dir_index_.try_emplace(path, dirs_.size());
  if (added) {
    dirs_.push_back(meta);
  } else {
    dirs_[it->second] = meta;  // the last entry for a directory wins
  }
}

// Directory modes and mtimes last: creating entries changes a directory's mtime, and a read-only
// mode would refuse them. Children before parents.
Status Extractor::finish() {
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    UniqueFd holder;
    int fd = root_;
    if (!it->path.empty()) {
      auto [parent, name] = internal::split_parent(it->path);
      auto dir = internal::open_dir_in_root(root_, parent, resolver_);
      if (!dir.ok()) continue;  // removed by a later whiteout: nothing to set
      int d = ::openat(dir->get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (d < 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) continue;
        return sys_error("open \"" + it->path + "\"").context("setting directory metadata");
      }
      holder.reset(d);
      fd = d;
    }
    if (::fchmod(fd, it->mode) != 0 || ::futimens(fd, it->times) != 0)
      return sys_error("\"" + it->path + "\"").context("setting directory metadata");
  }
  return ok_status();
}

}  // namespace

namespace internal {

Result<ApplyResult> apply_layer_with(int in_fd, const std::string& dest, const ApplyOptions& opts,
                                     Resolver resolver) {
  int fd = ::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("opening layer root \"" + dest + "\"");
  UniqueFd root(fd);
  BERTH_ASSIGN_OR_RETURN(TarReader reader, TarReader::open(in_fd));
  Extractor extractor(root.get(), opts, resolver);
  while (true) {
    BERTH_ASSIGN_OR_RETURN(std::optional<TarEntry> entry, reader.next());
    if (!entry) break;
    BERTH_TRY(extractor.extract(*entry, reader));
  }
  BERTH_TRY(extractor.finish());
  BERTH_ASSIGN_OR_RETURN(StreamInfo info, reader.finish());
  return ApplyResult{info.diff_id, extractor.bytes_written()};
}

}  // namespace internal

Result<ApplyResult> apply_layer(int in_fd, const std::string& dest, const ApplyOptions& opts) {
  return internal::apply_layer_with(in_fd, dest, opts, Resolver::kAuto);
}

}  // namespace berth::archive
