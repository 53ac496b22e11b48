// export_layer: a deterministic tar of a directory tree, walked with directory fds and O_NOFOLLOW
// so a tree that changes underneath (a running container's upper dir) cannot redirect the walk.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "archive/archive.h"
#include "archive/internal/safe_path.h"
#include "archive/tar.h"

namespace berth::archive {
namespace {

using Xattrs = std::vector<std::pair<std::string, std::string>>;

constexpr char kOpaqueXattr[] = "trusted.overlay.opaque";

// Overlay's own xattrs describe this host's overlay mount, and SELinux labels this host's
// policy: neither belongs in an image.
bool exported_xattr(std::string_view name) {
  return !name.starts_with("trusted.overlay.") && !name.starts_with("user.overlay.") &&
         name != "security.selinux";
}

// fd >= 0: f*xattr on it; else l*xattr on path.
Result<std::string> get_xattr(int fd, const std::string& path, const char* name) {
  std::string value;
  while (true) {
    ssize_t n =
        fd >= 0 ? ::fgetxattr(fd, name, nullptr, 0) : ::lgetxattr(path.c_str(), name, nullptr, 0);
    if (n < 0) return sys_error(std::string("getxattr ") + name);
    value.resize(static_cast<size_t>(n));
    n = fd >= 0 ? ::fgetxattr(fd, name, value.data(), value.size())
                : ::lgetxattr(path.c_str(), name, value.data(), value.size());
    if (n >= 0) {
      value.resize(static_cast<size_t>(n));
      return value;
    }
    if (errno != ERANGE) return sys_error(std::string("getxattr ") + name);
  }
}

Result<Xattrs> read_xattrs(int fd, const std::string& path) {
  std::string names;
  while (true) {
    ssize_t n = fd >= 0 ? ::flistxattr(fd, nullptr, 0) : ::llistxattr(path.c_str(), nullptr, 0);
    if (n < 0 && errno == ENOTSUP) return Xattrs();
    if (n < 0) return sys_error("listxattr");
    names.resize(static_cast<size_t>(n));
    n = fd >= 0 ? ::flistxattr(fd, names.data(), names.size())
                : ::llistxattr(path.c_str(), names.data(), names.size());
    if (n >= 0) {
      names.resize(static_cast<size_t>(n));
      break;
    }
    if (errno != ERANGE) return sys_error("listxattr");
  }
  Xattrs out;
  for (size_t i = 0; i < names.size();) {
    std::string name(names.c_str() + i);
    i += name.size() + 1;
    if (name.empty() || !exported_xattr(name)) continue;
    auto value = get_xattr(fd, path, name.c_str());
    if (!value.ok() && value.error().sys_errno() == ENODATA) continue;  // removed meanwhile
    if (!value.ok()) return std::move(value).error();
    out.emplace_back(std::move(name), std::move(*value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_opaque(int dir_fd) {
  char value[2];
  ssize_t n = ::fgetxattr(dir_fd, kOpaqueXattr, value, sizeof(value));
  return n == 1 && value[0] == 'y';
}

Result<std::string> read_link_at(int dir_fd, const std::string& name) {
  std::string buf(256, '\0');
  while (true) {
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return sys_error("readlink");
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

class Exporter {
 public:
  Exporter(TarWriter& writer, const ExportOptions& opts) : w_(writer), opts_(opts) {}

  // Adds dir_fd's children, sorted by name (bytewise, as Go's sort does), depth first.
  Status walk(int dir_fd, const std::string& prefix) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, internal::list_dir(dir_fd));
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      struct stat st;
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // deleted while walking
        return sys_error("stat \"" + prefix + name + "\"");
      }
      if (!opts_.exclude.empty() &&
          std::find(opts_.exclude.begin(), opts_.exclude.end(), prefix + name) != opts_.exclude.end())
        continue;
      Status s = add(dir_fd, name, prefix + name, st);
      if (!s.ok()) return std::move(s).error().context("exporting \"" + prefix + name + "\"");
    }
    return ok_status();
  }

 private:
  TarEntry base_entry(const std::string& path, const struct stat& st) const {
    TarEntry e;
    e.name = path;
    e.mode = st.st_mode & 07777;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.mtime = st.st_mtim.tv_sec;
    if (opts_.clamp_mtime && e.mtime > *opts_.clamp_mtime) e.mtime = *opts_.clamp_mtime;
    return e;
  }

 public:
  // Adds dir_fd's entry `name` (and, for a directory, everything below it) as tar name `path`.
  Status add(int dir_fd, const std::string& name, const std::string& path,
             const struct stat& st) {
    ++entries_;
    TarEntry e = base_entry(path, st);
    mode_t type = st.st_mode & S_IFMT;
    if (type == S_IFSOCK) return ok_status();  // as Docker: sockets are not image content
    if (opts_.overlay_whiteouts && type == S_IFCHR && st.st_rdev == makedev(0, 0)) {
      // Overlay may hard-link whiteouts to one shared inode: never turn them into link entries.
      e.name = path.substr(0, path.size() - name.size()) + ".wh." + name;
      e.mode = 0600;
      return w_.add(e);
    }
    if (type == S_IFDIR) return add_dir(dir_fd, name, std::move(e));
    if (st.st_nlink > 1) {
      auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, path);
      if (!first) {
        e.type = EntryType::kHardlink;
        e.linkname = it->second;
        return w_.add(e);
      }
    }
    std::string l_path = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
    switch (type) {
      case S_IFREG: return add_file(dir_fd, name, std::move(e));
      case S_IFLNK: {
        e.type = EntryType::kSymlink;
        BERTH_ASSIGN_OR_RETURN(e.linkname, read_link_at(dir_fd, name));
        break;
      }
      case S_IFCHR:
      case S_IFBLK:
        e.type = type == S_IFCHR ? EntryType::kCharDevice : EntryType::kBlockDevice;
        e.dev_major = major(st.st_rdev);
        e.dev_minor = minor(st.st_rdev);
        break;
      case S_IFIFO: e.type = EntryType::kFifo; break;
      default: return invalid_argument("unsupported file type");
    }
    BERTH_ASSIGN_OR_RETURN(e.xattrs, read_xattrs(-1, l_path));
    return w_.add(e);
  }

 private:
  Status add_dir(int dir_fd, const std::string& name, TarEntry e) {
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return sys_error("open");
    UniqueFd sub(fd);
    e.type = EntryType::kDir;
    std::string path = e.name;
    e.name += "/";
    BERTH_ASSIGN_OR_RETURN(e.xattrs, read_xattrs(sub.get(), ""));
    BERTH_TRY(w_.add(e));
    if (opts_.overlay_whiteouts && is_opaque(sub.get())) {
      TarEntry marker = e;
      marker.name = path + "/.wh..wh..opq";
      marker.type = EntryType::kFile;
      marker.mode = e.mode & 0777;
      marker.xattrs.clear();
      BERTH_TRY(w_.add(marker));
    }
    return walk(sub.get(), path + "/");
  }

  Status add_file(int dir_fd, const std::string& name, TarEntry e) {
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return sys_error("open");
    UniqueFd file(fd);
    struct stat st;
    if (::fstat(file.get(), &st) != 0) return sys_error("stat");
    if (!S_ISREG(st.st_mode)) return conflict("replaced while exporting");
    e.size = static_cast<uint64_t>(st.st_size);
    file_bytes_ += e.size;
    BERTH_ASSIGN_OR_RETURN(e.xattrs, read_xattrs(file.get(), ""));
    return w_.add_from_fd(e, file.get());
  }

  TarWriter& w_;
  const ExportOptions& opts_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;

 public:
  uint64_t entries_ = 0;
  uint64_t file_bytes_ = 0;
};

}  // namespace

Result<ExportResult> export_layer(const std::string& dir, int out_fd, const ExportOptions& opts) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("opening \"" + dir + "\"");
  UniqueFd root(fd);
  BERTH_ASSIGN_OR_RETURN(TarWriter writer, TarWriter::open(out_fd, opts.compression, opts.threads));
  Exporter exporter(writer, opts);
  BERTH_TRY(exporter.walk(root.get(), ""));
  BERTH_ASSIGN_OR_RETURN(ExportResult r, writer.finish());
  r.entries = exporter.entries_;
  r.file_bytes = exporter.file_bytes_;
  return r;
}

Result<ExportResult> export_path(int root_fd, std::string_view path, std::string_view as,
                                 int out_fd, const ExportOptions& opts, bool follow_final) {
  std::string rel;
  if (follow_final) {
    BERTH_ASSIGN_OR_RETURN(rel, resolve_in_root(root_fd, path));
  } else {
    rel = internal::clean_path_capped(path);
  }
  auto [parent, name] = internal::split_parent(rel);
  UniqueFd parent_fd;
  if (name.empty()) {
    // The root itself: its entries go below `as`.
    name = ".";
  }
  BERTH_ASSIGN_OR_RETURN(parent_fd,
                         internal::open_dir_in_root(root_fd, parent, internal::Resolver::kAuto));
  // O_PATH directory fds cannot be read: reopen the parent for the walk.
  int dfd = ::openat(parent_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return sys_error("opening \"" + parent + "\"");
  UniqueFd dir(dfd);
  struct stat st;
  if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("Could not find the file " + std::string(path));
  BERTH_ASSIGN_OR_RETURN(TarWriter writer, TarWriter::open(out_fd, opts.compression, opts.threads));
  Exporter exporter(writer, opts);
  std::string top(as);
  while (!top.empty() && top.back() == '/') top.pop_back();
  BERTH_TRY(exporter.add(dir.get(), name, top, st));
  return writer.finish();
}

}  // namespace berth::archive
