// The builder's file-system helpers: a merged read-only view of layer dirs and tree copies.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "base/strings.h"
#include "build/dockerignore.h"
#include "build/cache_key.h"
#include "engine/build_internal.h"
#include "engine/build_link.h"

namespace berth::engine::buildimpl {
namespace {

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

// Whether a copy leaves out the source entry `rel`. An excluded directory that a `!` pattern may
// reach into is copied, as Docker does, with only what is not excluded below it (maybe nothing).
bool ignored(const CopyOptions& opts, const std::string& rel, const struct stat& st) {
  return opts.ignore && opts.ignore->excluded(rel) &&
         !(S_ISDIR(st.st_mode) && opts.ignore->descend(rel));
}

bool is_opaque(const std::string& path) {
  char v[2] = {0, 0};
  ssize_t n = ::lgetxattr(path.c_str(), "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

std::vector<std::string> components(const std::string& rel) {
  std::vector<std::string> out;
  for (auto& p : split(rel, '/'))
    if (!p.empty() && p != ".") out.push_back(p);
  return out;
}

void set_times(const std::string& path, const struct stat& st) {
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  ::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

Status copy_file(const std::string& from, const std::string& to, mode_t mode) {
  BERTH_ASSIGN_OR_RETURN(auto in, open_file(from, O_RDONLY));
  ::unlink(to.c_str());
  BERTH_ASSIGN_OR_RETURN(auto out, open_file(to, O_WRONLY | O_CREAT | O_EXCL, mode & 07777));
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("reading " + from);
    if (n == 0) break;
    BERTH_TRY(write_all(out.get(), std::string_view(buf, static_cast<size_t>(n))));
  }
  return {};
}

// copy_tree for a view of one dir (the context, or one layer): no lookups through layers, each
// entry read relative to its directory's fd, contents copied in the kernel. About 9 system calls
// per file instead of 25. `rel` (the source path, for opts.ignore) grows as it descends; with
// opts.link, so do `spath` (the source's host path, as the context's digests name it) and `drel`
// (the entry's path in the layer), and the donor layer's directory is walked alongside.
struct OneDirCopy {
  const CopyOptions& opts;
  std::string rel;
  std::string spath, drel;

  Status failed(const char* what, const char* name) {
    return sys_error(std::string(what) + " " + (rel.empty() ? std::string(name) : rel));
  }

  static Status copy_data(int in, int out) {
    bool kernel = true;
    char buf[1 << 16];
    while (true) {
      if (kernel) {
        ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, size_t{1} << 30, 0);
        if (n > 0) continue;
        if (n == 0) return {};
        if (errno == EINTR) continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
          return sys_error("copying file data");
        kernel = false;  // not between these two file systems: read and write
      }
      ssize_t n = ::read(in, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("reading file data");
      if (n == 0) return {};
      BERTH_TRY(write_all(out, std::string_view(buf, static_cast<size_t>(n))));
    }
  }

  static bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_ino == b.st_ino && a.st_size == b.st_size &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
           a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
  }

  // `ddir` is the donor layer's directory that holds `donor_name` (the entry's counterpart), or
  // -1 when there is none.
  Status entry(int sfd, const char* sname, const struct stat& st, int dfd, const char* dname,
               int ddir = -1, const char* donor_name = nullptr) {
    uid_t uid = opts.uid.value_or(st.st_uid);
    gid_t gid = opts.gid.value_or(st.st_gid);
    mode_t perm = opts.mode ? *opts.mode : (st.st_mode & 07777);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    CopyLinks* links = opts.link;
    if (links) links->written.erase(drel);  // whatever this step wrote here before is replaced
    if (S_ISDIR(st.st_mode)) {
      struct stat existing;
      if (::fstatat(dfd, dname, &existing, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(existing.st_mode))
        ::unlinkat(dfd, dname, 0);
      if (::mkdirat(dfd, dname, 0700) != 0 && errno != EEXIST) return failed("mkdir", dname);
      UniqueFd s(::openat(sfd, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!s) return failed("open", sname);
      UniqueFd d(::openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!d) return failed("open", dname);
      UniqueFd donor;
      if (ddir >= 0)
        donor = UniqueFd(::openat(ddir, donor_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      std::vector<std::string> names;
      {
        int lfd = ::dup(s.get());
        DIR* dir = lfd < 0 ? nullptr : ::fdopendir(lfd);
        if (!dir) {
          if (lfd >= 0) ::close(lfd);
          return failed("open", sname);
        }
        while (auto* e = ::readdir(dir)) {
          const char* n = e->d_name;
          if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
          names.emplace_back(n);
        }
        ::closedir(dir);
      }
      size_t rel_len = rel.size(), spath_len = spath.size(), drel_len = drel.size();
      for (const auto& n : names) {
        if (rel_len) rel += '/';
        rel += n;
        struct stat cst;
        if (::fstatat(s.get(), n.c_str(), &cst, AT_SYMLINK_NOFOLLOW) != 0) return failed("stat", "");
        bool skipped = ignored(opts, rel, cst);
        if (!is_whiteout(cst) && !skipped) {
          if (links) {
            spath += '/';
            spath += n;
            if (drel_len) drel += '/';
            drel += n;
          }
          BERTH_TRY(entry(s.get(), n.c_str(), cst, d.get(), n.c_str(), donor ? donor.get() : -1,
                          n.c_str()));
          spath.resize(spath_len);
          drel.resize(drel_len);
        }
        rel.resize(rel_len);
      }
      if (::fchown(d.get(), uid, gid) != 0) return failed("chown", dname);
      if (::fchmod(d.get(), perm) != 0) return failed("chmod", dname);
      ::futimens(d.get(), ts);
      return {};
    }
    if (S_ISREG(st.st_mode)) {
      std::optional<std::string_view> digest;
      if (links && links->digests) {
        digest = links->digests->get(spath, st);
        // A linked inode is shared with the donor layer: nothing below may touch it.
        if (digest && links->link(ddir, donor_name, drel, *digest, st, uid, gid, perm, dfd, dname)) {
          links->written[drel] = std::string(*digest);
          return {};
        }
      }
      UniqueFd in(::openat(sfd, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!in) return failed("open", sname);
      // A shared inode: nothing below may touch it.
      if (opts.layer_links &&
          opts.layer_links->link(sfd, sname, in.get(), st, uid, gid, perm, dfd, dname))
        return {};
      int o = ::openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (o < 0 && errno == EEXIST) {
        ::unlinkat(dfd, dname, 0);  // an earlier source of this step wrote it
        o = ::openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      }
      if (o < 0) return failed("create", dname);
      UniqueFd out(o);
      BERTH_TRY(copy_data(in.get(), out.get()));
      // Owner before mode: a chown clears the set-id bits.
      if (::fchown(out.get(), uid, gid) != 0) return failed("chown", dname);
      if (::fchmod(out.get(), perm) != 0) return failed("chmod", dname);
      ::futimens(out.get(), ts);
      // Recorded only when the source did not change while it was copied.
      struct stat after;
      if (digest && ::fstat(in.get(), &after) == 0 && same_file(after, st))
        links->written[drel] = std::string(*digest);
      return {};
    }
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = ::readlinkat(sfd, sname, buf, sizeof buf - 1);
      if (n < 0) return failed("readlink", sname);
      buf[n] = 0;
      ::unlinkat(dfd, dname, 0);
      if (::symlinkat(buf, dfd, dname) != 0) return failed("symlink", dname);
      if (::fchownat(dfd, dname, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) return failed("chown", dname);
      ::utimensat(dfd, dname, ts, AT_SYMLINK_NOFOLLOW);
      return {};
    }
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      ::unlinkat(dfd, dname, 0);
      if (::mknodat(dfd, dname, st.st_mode, st.st_rdev) != 0) return failed("mknod", dname);
      if (::fchownat(dfd, dname, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) return failed("chown", dname);
      if (::fchmodat(dfd, dname, perm, 0) != 0) return failed("chmod", dname);
      ::utimensat(dfd, dname, ts, AT_SYMLINK_NOFOLLOW);
    }
    return {};  // sockets are not copied
  }
};

}  // namespace

std::optional<LayerView::Entry> LayerView::find(const std::string& rel) const {
  auto parts = components(rel);
  for (const auto& lower : lowers_) {
    std::string p = lower;
    bool stop = false, present = true;
    for (size_t i = 0; i < parts.size(); ++i) {
      p = path_join(p, parts[i]);
      struct stat st;
      if (::lstat(p.c_str(), &st) != 0) {
        present = false;
        break;
      }
      if (is_whiteout(st)) return std::nullopt;
      if (i + 1 == parts.size()) return Entry{p, st};
      if (!S_ISDIR(st.st_mode)) return std::nullopt;  // a file here hides what is below
      if (is_opaque(p)) stop = true;
    }
    if (parts.empty()) {
      struct stat st;
      if (::lstat(lower.c_str(), &st) == 0) return Entry{lower, st};
    }
    if (present || stop) {
      if (present) break;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<std::string> LayerView::list(const std::string& rel) const {
  std::set<std::string> seen;
  std::vector<std::string> out;
  auto parts = components(rel);
  for (const auto& lower : lowers_) {
    std::string p = lower;
    bool hidden = false, opaque_parent = false;
    for (const auto& c : parts) {
      p = path_join(p, c);
      struct stat st;
      if (::lstat(p.c_str(), &st) != 0) {
        hidden = true;
        break;
      }
      if (!S_ISDIR(st.st_mode)) return out;
      if (is_opaque(p)) opaque_parent = true;
    }
    if (!hidden) {
      if (DIR* d = ::opendir(p.c_str())) {
        while (auto* e = ::readdir(d)) {
          std::string n = e->d_name;
          if (n == "." || n == ".." || seen.count(n)) continue;
          seen.insert(n);
          struct stat st;
          if (::lstat(path_join(p, n).c_str(), &st) == 0 && is_whiteout(st)) continue;
          out.push_back(n);
        }
        ::closedir(d);
      }
    }
    if (opaque_parent) break;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string LayerView::resolve(const std::string& rel, bool follow_last) const {
  std::vector<std::string> todo = components(rel);
  std::reverse(todo.begin(), todo.end());
  std::vector<std::string> done;
  int hops = 0;
  while (!todo.empty()) {
    std::string c = todo.back();
    todo.pop_back();
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(c);
    if (todo.empty() && !follow_last) break;
    auto e = find(join(done, "/"));
    if (!e || !S_ISLNK(e->st.st_mode) || ++hops > 40) continue;
    char buf[4096];
    ssize_t n = ::readlink(e->host_path.c_str(), buf, sizeof buf - 1);
    if (n <= 0) continue;
    std::string target(buf, static_cast<size_t>(n));
    done.pop_back();
    if (target[0] == '/') done.clear();
    auto tparts = components(target);
    for (auto it = tparts.rbegin(); it != tparts.rend(); ++it) todo.push_back(*it);
  }
  return join(done, "/");
}

std::string LayerView::read(const std::string& rel) const {
  auto e = find(rel);
  if (!e || !S_ISREG(e->st.st_mode)) return "";
  auto r = read_file(e->host_path);
  return r.ok() ? *r : "";
}

Status copy_tree(const LayerView& view, const std::string& rel, const std::string& dest,
                 const CopyOptions& opts, const std::string& dest_rel) {
  if (view.lowers().size() == 1) {
    std::string src = rel.empty() ? view.lowers()[0] : path_join(view.lowers()[0], rel);
    struct stat st;
    if (::lstat(src.c_str(), &st) != 0 || is_whiteout(st))
      return not_found("no such file or directory: " + rel);
    if (opts.layer_links && opts.layer_links->in_chain(view.lowers()[0])) {
      CopyOptions copied = opts;  // a layer of the destination's own chain: copy (LayerLinks)
      copied.layer_links = nullptr;
      return copy_tree(view, rel, dest, copied, dest_rel);
    }
    OneDirCopy c{opts, rel, "", ""};
    if (!opts.link) return c.entry(AT_FDCWD, src.c_str(), st, AT_FDCWD, dest.c_str());
    // The context's digests name files as hash_path walked them (no trailing '/').
    c.spath = src;
    while (c.spath.size() > 1 && c.spath.back() == '/') c.spath.pop_back();
    c.drel = dest_rel;
    UniqueFd parent;
    std::string leaf = ".";
    if (opts.link->donor) {
      // The donor's counterpart of `dest_rel`, reached without following any symlink.
      size_t slash = dest_rel.rfind('/');
      if (!dest_rel.empty()) leaf = slash == std::string::npos ? dest_rel : dest_rel.substr(slash + 1);
      parent = UniqueFd(open_dir_beneath(opts.link->donor.get(),
                                         slash == std::string::npos ? "" : dest_rel.substr(0, slash)));
    }
    return c.entry(AT_FDCWD, src.c_str(), st, AT_FDCWD, dest.c_str(), parent ? parent.get() : -1,
                   leaf.c_str());
  }
  auto e = view.find(rel);
  if (!e) return not_found("no such file or directory: " + rel);
  const struct stat& st = e->st;
  uid_t uid = opts.uid.value_or(st.st_uid);
  gid_t gid = opts.gid.value_or(st.st_gid);
  mode_t perm = opts.mode ? *opts.mode : (st.st_mode & 07777);
  if (S_ISDIR(st.st_mode)) {
    struct stat existing;
    if (::lstat(dest.c_str(), &existing) == 0 && !S_ISDIR(existing.st_mode)) ::unlink(dest.c_str());
    if (::mkdir(dest.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("mkdir " + dest);
    for (const auto& n : view.list(rel)) {
      std::string child = rel.empty() ? n : rel + "/" + n;
      if (opts.ignore) {
        auto ce = view.find(child);
        if (ce && ignored(opts, child, ce->st)) continue;
      }
      BERTH_TRY(copy_tree(view, child, path_join(dest, n), opts));
    }
    if (::lchown(dest.c_str(), uid, gid) != 0) return sys_error("chown " + dest);
    if (::chmod(dest.c_str(), perm) != 0) return sys_error("chmod " + dest);
    set_times(dest, st);
    return {};
  }
  if (S_ISREG(st.st_mode)) {
    if (opts.layer_links && !opts.layer_links->in_chain(e->host_path)) {
      UniqueFd in(::open(e->host_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (in && opts.layer_links->link(AT_FDCWD, e->host_path.c_str(), in.get(), st, uid, gid,
                                       perm, AT_FDCWD, dest.c_str()))
        return {};  // a shared inode: not chowned, chmodded or dated below
    }
    BERTH_TRY(copy_file(e->host_path, dest, perm));
  } else if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    ssize_t n = ::readlink(e->host_path.c_str(), buf, sizeof buf - 1);
    if (n < 0) return sys_error("readlink " + e->host_path);
    ::unlink(dest.c_str());
    if (::symlink(std::string(buf, static_cast<size_t>(n)).c_str(), dest.c_str()) != 0)
      return sys_error("symlink " + dest);
  } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    ::unlink(dest.c_str());
    if (::mknod(dest.c_str(), st.st_mode, st.st_rdev) != 0) return sys_error("mknod " + dest);
  } else {
    return {};  // sockets are not copied
  }
  if (::lchown(dest.c_str(), uid, gid) != 0) return sys_error("chown " + dest);
  if (!S_ISLNK(st.st_mode) && ::chmod(dest.c_str(), perm) != 0) return sys_error("chmod " + dest);
  set_times(dest, st);
  return {};
}

Status make_parents(const LayerView& view, const std::string& staging, const std::string& rel) {
  auto parts = components(rel);
  std::string cur_rel, cur = staging;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    cur_rel = cur_rel.empty() ? parts[i] : cur_rel + "/" + parts[i];
    cur = path_join(cur, parts[i]);
    struct stat existing;
    if (::lstat(cur.c_str(), &existing) == 0) {
      if (S_ISDIR(existing.st_mode)) continue;
      // Never write through a symlink an earlier source of this step put here.
      if (::unlink(cur.c_str()) != 0) return sys_error("unlink " + cur);
    }
    auto e = view.find(cur_rel);
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return sys_error("mkdir " + cur);
    if (e && S_ISDIR(e->st.st_mode)) {
      (void)::lchown(cur.c_str(), e->st.st_uid, e->st.st_gid);
      ::chmod(cur.c_str(), e->st.st_mode & 07777);
      set_times(cur, e->st);
    }
  }
  return {};
}

}  // namespace berth::engine::buildimpl
