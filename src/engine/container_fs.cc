// A container's file system from outside: cp (both ways), diff, export and commit.
//
// A running container is reached through /proc/<pid>/root (its mounts, volumes included); a
// stopped one through its overlay mounted in a private mount namespace (rootfs.h). Every path in
// the container is resolved as if its root were "/" (archive::resolve_in_root), so a symlink in
// a hostile container can never make berth read or write a host file.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "engine/engine.h"
#include "engine/rootfs.h"
#include "image/changes.h"
#include "image/import.h"

namespace berth::engine {
namespace {

bool ends_with_dot(const std::string& p) {
  return p == "." || (p.size() >= 2 && p.compare(p.size() - 2, 2, "/.") == 0);
}

std::string base_name(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto s = p.rfind('/');
  std::string b = s == std::string::npos ? p : p.substr(s + 1);
  return b.empty() ? "/" : b;
}

std::string parent_of(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto s = p.rfind('/');
  if (s == std::string::npos) return ".";
  return s == 0 ? "/" : p.substr(0, s);
}

// Streams a tar from `produce` (writing to a pipe, in a thread) into `consume` (reading it).
Result<uint64_t> pipe_tar(const std::function<Result<archive::ExportResult>(int)>& produce,
                          const std::function<Status(int)>& consume) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return sys_error("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  Result<archive::ExportResult> produced = internal_error("not run");
  std::thread t([&] {
    produced = produce(wr.get());
    wr.reset();  // end of stream for the reader
  });
  Status consumed = consume(rd.get());
  rd.reset();  // a failed reader unblocks the writer (EPIPE)
  t.join();
  if (!produced.ok()) return std::move(produced).error();
  BERTH_TRY(consumed);
  return produced->uncompressed_size;
}

archive::ExportOptions plain_tar() {
  archive::ExportOptions eo;
  eo.compression = archive::Compression::kNone;
  eo.overlay_whiteouts = false;
  return eo;
}

// Where a tar whose top entry is `src`'s goes, by Docker's cp rules: {directory, top name}.
struct Placement {
  std::string dir;
  std::string top;
};

Result<Placement> place(const std::string& src, bool src_is_dir, const std::string& dest,
                        bool dest_exists, bool dest_is_dir) {
  if (dest_exists && dest_is_dir)
    return Placement{dest, src_is_dir && ends_with_dot(src) ? "." : base_name(src)};
  if (dest_exists) {
    if (src_is_dir)
      return invalid_argument("cannot overwrite non-directory \"" + dest + "\" with directory \"" +
                              src + "\"");
    return Placement{parent_of(dest), base_name(dest)};
  }
  if (!dest.empty() && dest.back() == '/' && !src_is_dir)
    return not_found("destination directory \"" + dest + "\" does not exist");
  return Placement{parent_of(dest), base_name(dest)};
}

Json mounts_of(const ContainerRecord& c) {
  Json conf = Json::parse(c.config, nullptr, false);
  if (conf.is_discarded() || !conf.contains("Mounts")) return Json::array();
  return conf["Mounts"];
}

// Paths the runtime creates in the upper dir as mount points: not the user's changes (Docker
// keeps them in an "init" layer that diff and commit skip).
std::set<std::string> mount_points(const ContainerRecord& c) {
  std::set<std::string> out = {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/proc", "/sys",
                               "/dev", "/.dockerenv"};
  for (const auto& m : mounts_of(c)) out.insert(m.value("Destination", ""));
  return out;
}

}  // namespace

Result<std::string> Engine::with_container_root(const ContainerRecord& c, bool writable,
                                                const std::function<Result<std::string>(int)>& fn) {
  if (c.state == "running" && c.pid > 0) {
    BERTH_ASSIGN_OR_RETURN(auto root, open_file("/proc/" + std::to_string(c.pid) + "/root",
                                                O_RDONLY | O_DIRECTORY));
    return fn(root.get());
  }
  std::string dir = container_dir(c.id);
  std::vector<std::string> lowers;
  if (!c.top_layer.empty()) {
    BERTH_ASSIGN_OR_RETURN(lowers, store_->layers().lowerdirs(c.top_layer));
  }
  Json mounts = mounts_of(c);
  return in_private_mount_ns([&]() -> Result<std::string> {
    std::string scratch = path_join(dir, "rootfs");
    if (::mount("tmpfs", scratch.c_str(), "tmpfs", 0, "mode=0755") != 0)
      return sys_error("mounting a tmpfs at " + scratch);
    std::string root = path_join(scratch, "root"), empty = path_join(scratch, "empty");
    BERTH_TRY(mkdir_all(root, 0755));
    BERTH_TRY(mkdir_all(empty, 0700));
    if (writable) {
      BERTH_TRY(mount_overlay(lowers, path_join(dir, "upper"), path_join(dir, "work"), root, empty));
    } else {
      // The upper dir as the top lower: a read-only view that never touches upper or work.
      std::vector<std::string> all = {path_join(dir, "upper")};
      all.insert(all.end(), lowers.begin(), lowers.end());
      BERTH_TRY(mount_overlay(all, "", "", root, empty));
    }
    BERTH_ASSIGN_OR_RETURN(auto root_fd, open_file(root, O_RDONLY | O_DIRECTORY));
    // Volumes and binds, as the container sees them, where their mount point exists.
    for (const auto& m : mounts) {
      std::string type = m.value("Type", "");
      if (type != "volume" && type != "bind") continue;
      auto target = archive::open_dir_in_root(root_fd.get(), m.value("Destination", ""));
      if (!target.ok()) continue;
      std::string at = "/proc/self/fd/" + std::to_string(target->get());
      if (::mount(m.value("Source", "").c_str(), at.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        return sys_error("mounting " + m.value("Source", "") + " at " + m.value("Destination", ""));
    }
    return fn(root_fd.get());
  });
}

Result<uint64_t> Engine::copy_from_container(std::string_view name, const std::string& src,
                                             const std::string& dest, int out_fd,
                                             bool follow_link) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name));
  auto r = with_container_root(c, false, [&](int root) -> Result<std::string> {
    auto rel = follow_link ? archive::resolve_in_root(root, src)
                           : Result<std::string>(std::string(src));
    auto fail = [&] {
      return not_found("Could not find the file " + src + " in container " + std::string(name));
    };
    if (!rel.ok()) return fail();
    auto parent = archive::open_dir_in_root(root, parent_of("/" + *rel));
    if (!parent.ok()) return fail();
    struct stat st;
    std::string leaf = base_name("/" + *rel);
    bool is_root = leaf == "/";
    if (is_root ? ::fstat(parent->get(), &st) != 0
                : ::fstatat(parent->get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return fail();
    bool src_is_dir = S_ISDIR(st.st_mode);
    if (!src_is_dir && !src.empty() && src.back() == '/')
      return invalid_argument("Could not find the file " + src + " in container " +
                              std::string(name) + ": not a directory");
    uint64_t n = 0;
    if (dest == "-") {
      BERTH_ASSIGN_OR_RETURN(auto res, archive::export_path(root, *rel, base_name(src), out_fd,
                                                            plain_tar(), false));
      n = res.uncompressed_size;
      return std::to_string(n);
    }
    struct stat dst;
    bool exists = ::stat(dest.c_str(), &dst) == 0;
    BERTH_ASSIGN_OR_RETURN(auto pl, place(src, src_is_dir, dest, exists, exists && S_ISDIR(dst.st_mode)));
    struct stat pst;
    if (::stat(pl.dir.c_str(), &pst) != 0 || !S_ISDIR(pst.st_mode))
      return not_found("destination directory \"" + pl.dir + "\" does not exist");
    archive::ApplyOptions ao;
    ao.overlay_whiteouts = false;
    ao.keep_ownership = false;  // Docker: copied files belong to the user running cp
    BERTH_ASSIGN_OR_RETURN(
        n, pipe_tar([&](int w) { return archive::export_path(root, *rel, pl.top, w, plain_tar(), false); },
                    [&](int rd) -> Status {
                      BERTH_TRY(archive::apply_layer(rd, pl.dir, ao));
                      return ok_status();
                    }));
    return std::to_string(n);
  });
  if (!r.ok()) return std::move(r).error();
  return std::stoull(*r);
}

Result<uint64_t> Engine::copy_to_container(std::string_view name, const std::string& src,
                                           const std::string& dest, int in_fd, bool archive_mode,
                                           bool follow_link) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name));
  std::string host_src = src;
  bool src_is_dir = false;
  if (src != "-") {
    if (host_src.empty() || host_src[0] != '/') {
      char cwd[4096];
      if (!::getcwd(cwd, sizeof cwd)) return sys_error("getcwd");
      host_src = path_join(cwd, host_src);
      if (ends_with_dot(src)) host_src += "/.";
    }
    struct stat st;
    int rc = follow_link ? ::stat(host_src.c_str(), &st) : ::lstat(host_src.c_str(), &st);
    if (rc != 0) return sys_error("lstat " + src);
    src_is_dir = S_ISDIR(st.st_mode);
  }
  auto r = with_container_root(c, true, [&](int root) -> Result<std::string> {
    auto rel = archive::resolve_in_root(root, dest);
    bool exists = false, is_dir = false;
    if (rel.ok()) {
      auto dirfd = archive::open_dir_in_root(root, *rel);
      exists = true;
      is_dir = dirfd.ok();
    }
    std::string cdest = rel.ok() ? "/" + *rel : dest;
    archive::ApplyOptions ao;
    ao.overlay_whiteouts = false;
    ao.keep_ownership = archive_mode;  // Docker: root-owned unless -a
    ao.allow_devices = false;
    if (src == "-") {
      if (!exists || !is_dir)
        return invalid_argument("destination \"" + dest + "\" must be a directory");
      BERTH_ASSIGN_OR_RETURN(auto dirfd, archive::open_dir_in_root(root, cdest));
      BERTH_ASSIGN_OR_RETURN(auto res, archive::apply_layer(in_fd, "/proc/self/fd/" +
                                                                       std::to_string(dirfd.get()), ao));
      return std::to_string(res.size);
    }
    BERTH_ASSIGN_OR_RETURN(auto pl, place(host_src, src_is_dir, cdest, exists, is_dir));
    auto dirfd = archive::open_dir_in_root(root, pl.dir);
    if (!dirfd.ok())
      return not_found("Could not find the file " + pl.dir + " in container " + std::string(name));
    BERTH_ASSIGN_OR_RETURN(auto host_root, open_file("/", O_RDONLY | O_DIRECTORY));
    std::string target = "/proc/self/fd/" + std::to_string(dirfd->get());
    BERTH_ASSIGN_OR_RETURN(
        uint64_t n,
        pipe_tar([&](int w) {
                   return archive::export_path(host_root.get(), host_src, pl.top, w, plain_tar(),
                                               follow_link);
                 },
                 [&](int rd) -> Status {
                   BERTH_TRY(archive::apply_layer(rd, target, ao));
                   return ok_status();
                 }));
    return std::to_string(n);
  });
  if (!r.ok()) return std::move(r).error();
  return std::stoull(*r);
}

Result<std::vector<std::string>> Engine::container_changes(std::string_view name) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name));
  std::vector<std::string> lowers;
  if (!c.top_layer.empty()) {
    BERTH_ASSIGN_OR_RETURN(lowers, store_->layers().lowerdirs(c.top_layer));
  }
  auto in_lower = [&](const std::string& rel) {
    for (const auto& l : lowers) {
      struct stat st;
      std::string p = path_join(l, rel);
      if (::lstat(p.c_str(), &st) == 0)
        return !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));  // a whiteout hides it
    }
    return false;
  };
  std::set<std::string> skip = mount_points(c);
  std::vector<std::string> out;
  // Returns whether anything at or below `rel` was reported.
  std::function<bool(const std::string&)> walk = [&](const std::string& rel) -> bool {
    std::string upper = path_join(path_join(container_dir(c.id), "upper"), rel);
    DIR* d = ::opendir(upper.c_str());
    if (!d) return false;
    std::vector<std::string> names;
    while (auto* e = ::readdir(d))
      if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..")
        names.push_back(e->d_name);
    ::closedir(d);
    std::sort(names.begin(), names.end());
    bool any = false;
    for (const auto& n : names) {
      std::string child = rel + "/" + n;
      struct stat st;
      if (::lstat(path_join(upper, n).c_str(), &st) != 0) continue;
      if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
        out.push_back("D " + child);
        any = true;
        continue;
      }
      bool existed = in_lower(child);
      if (S_ISDIR(st.st_mode)) {
        size_t at = out.size();
        bool below = walk(child);
        if (skip.count(child) && !below) continue;
        if (!existed || below) {
          out.insert(out.begin() + static_cast<long>(at), std::string(existed ? "C " : "A ") + child);
          any = true;
        }
        continue;
      }
      if (skip.count(child) && st.st_size == 0) continue;
      out.push_back(std::string(existed ? "C " : "A ") + child);
      any = true;
    }
    return any;
  };
  walk("");
  return out;
}

Status Engine::export_container(std::string_view name, int out_fd) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name));
  // Always through the overlay (even when running) so /proc, /sys and volumes stay out.
  ContainerRecord stopped = c;
  stopped.state = "exited";
  auto r = with_container_root(stopped, false, [&](int root) -> Result<std::string> {
    BERTH_TRY(archive::export_layer("/proc/self/fd/" + std::to_string(root), out_fd, plain_tar()));
    return std::string();
  });
  if (!r.ok()) return std::move(r).error();
  return ok_status();
}

Result<std::string> Engine::commit_container(std::string_view name, const CommitOptions& opts) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name));
  std::optional<image::Reference> ref;
  if (!opts.reference.empty()) {
    BERTH_ASSIGN_OR_RETURN(ref, image::parse_docker_ref(opts.reference));
  }
  BERTH_ASSIGN_OR_RETURN(auto img, store_->get(c.image_id));
  BERTH_ASSIGN_OR_RETURN(auto cfg, oci::parse_image_config(img.config_bytes));
  // The container's own settings become the image's, then the -c changes on top.
  Json conf = Json::parse(c.config, nullptr, false);
  if (!conf.is_discarded()) {
    if (conf.contains("Env")) cfg.config.env = conf["Env"].get<std::vector<std::string>>();
    if (conf.contains("Labels"))
      for (auto& [k, v] : conf["Labels"].items()) cfg.config.labels[k] = v.get<std::string>();
  }
  for (const auto& ch : opts.changes) BERTH_TRY(image::apply_change(cfg.config, ch));
  bool paused = false;
  if (opts.pause && c.state == "running") paused = pause_container(c.id).ok();
  ScopeExit resume([&] {
    if (paused) (void)unpause_container(c.id);
  });
  BERTH_ASSIGN_OR_RETURN(auto lock, lock_store(false));
  // The upper dir, whiteouts turned into .wh. entries, minus the runtime's mount points.
  std::string upper = path_join(container_dir(c.id), "upper");
  BERTH_ASSIGN_OR_RETURN(auto writer, store_->content().writer());
  archive::ExportOptions eo;
  eo.compression = archive::Compression::kNone;
  for (const auto& p : mount_points(c)) eo.exclude.push_back(p.substr(1));
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return sys_error("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  Result<archive::ExportResult> exported = internal_error("not run");
  std::thread t([&] {
    exported = archive::export_layer(upper, wr.get(), eo);
    wr.reset();
  });
  Status read = ok_status();
  char buf[65536];
  while (true) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read = sys_error("reading the layer");
      break;
    }
    if (n == 0) break;
    if (auto st = writer.write(std::string_view(buf, static_cast<size_t>(n))); !st.ok()) {
      read = st;
      break;
    }
  }
  rd.reset();
  t.join();
  BERTH_TRY(exported);
  BERTH_TRY(read);
  BERTH_ASSIGN_OR_RETURN(std::string blob, writer.commit());
  std::vector<image::LayerBlob> chain;
  for (const auto& d : cfg.diff_ids) chain.push_back({d, d});
  chain.push_back({blob, blob});
  BERTH_ASSIGN_OR_RETURN(std::string top, store_->ensure_layers(chain));
  cfg.diff_ids.push_back(blob);
  cfg.created = image::rfc3339(image::now_nanos());
  if (!opts.author.empty()) cfg.author = opts.author;
  oci::HistoryEntry h;
  h.created = cfg.created;
  h.author = opts.author;
  h.comment = opts.message;
  std::vector<std::string> cmd = conf.is_discarded() || !conf.contains("Cmd")
                                     ? std::vector<std::string>{}
                                     : conf["Cmd"].get<std::vector<std::string>>();
  h.created_by = join(cmd, " ");
  cfg.history.push_back(h);
  cfg.comment = opts.message;
  image::Store::NewImage ni;
  ni.config_bytes = oci::serialize_image_config(cfg);
  ni.top_layer = top;
  ni.parent = img.id;
  if (ref) ni.tags.push_back(*ref);
  BERTH_ASSIGN_OR_RETURN(auto rec, store_->add(ni));
  return rec.id;
}

}  // namespace berth::engine
