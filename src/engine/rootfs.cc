// Private mount namespaces for looking into images and stopped containers (see rootfs.h).
#include "engine/rootfs.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::engine {

Result<std::string> in_private_mount_ns(const std::function<Result<std::string>()>& fn) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return sys_error("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
  if (pid == 0) {
    rd.reset();
    Result<std::string> r = std::string();
    if (::unshare(CLONE_NEWNS) != 0) r = sys_error("unshare(CLONE_NEWNS)");
    else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      r = sys_error("making / private");
    else r = fn();
    if (!r.ok()) {
      std::string msg = std::to_string(static_cast<int>(r.error().code())) + "\n" +
                        r.error().message();
      (void)write_all(wr.get(), msg);
      ::_exit(1);
    }
    (void)write_all(wr.get(), *r);
    ::_exit(0);
  }
  wr.reset();
  std::string msg;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return msg;
  auto [code, text, code_found_] = split_once(msg, '\n');
  if (text.empty()) return internal_error("helper process died (status " + std::to_string(status) + ")");
  return Error(static_cast<Code>(std::stoi(code)), text);
}

Status mount_overlay(const std::vector<std::string>& lowerdirs, const std::string& upperdir,
                     const std::string& workdir, const std::string& at,
                     const std::string& empty_dir) {
  std::vector<std::string> lowers = lowerdirs;
  if (upperdir.empty() || lowers.empty()) lowers.push_back(empty_dir);
  std::string opts = "lowerdir=" + join(lowers, ":");
  if (!upperdir.empty()) opts += ",upperdir=" + upperdir + ",workdir=" + workdir;
  unsigned long flags = upperdir.empty() ? MS_RDONLY : 0;
  if (::mount("overlay", at.c_str(), "overlay", flags, opts.c_str()) != 0)
    return sys_error("mounting the overlay at " + at);
  return ok_status();
}

Status copy_image_dir(const std::vector<std::string>& lowerdirs, const std::string& path,
                      const std::string& dest, const std::string& scratch) {
  auto r = in_private_mount_ns([&]() -> Result<std::string> {
    // A tmpfs holds the mount point and the empty lower, so nothing is made on the host.
    if (::mount("tmpfs", scratch.c_str(), "tmpfs", 0, "mode=0700") != 0)
      return sys_error("mounting a tmpfs at " + scratch);
    std::string root = path_join(scratch, "root"), empty = path_join(scratch, "empty");
    BERTH_TRY(mkdir_all(root, 0700));
    BERTH_TRY(mkdir_all(empty, 0700));
    BERTH_TRY(mount_overlay(lowerdirs, "", "", root, empty));
    BERTH_ASSIGN_OR_RETURN(auto root_fd, open_file(root, O_RDONLY | O_DIRECTORY));
    auto rel = archive::resolve_in_root(root_fd.get(), path);
    if (!rel.ok()) return std::string();  // nothing there: nothing to copy
    std::string src = path_join(root, *rel);
    struct stat st;
    if (::lstat(src.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::string();
    // The volume's root takes the directory's owner and mode, as Docker's copy-up does.
    if (::chown(dest.c_str(), st.st_uid, st.st_gid) != 0) return sys_error("chown " + dest);
    if (::chmod(dest.c_str(), st.st_mode & 07777) != 0) return sys_error("chmod " + dest);
    int tfd = ::open(dirname(dest).c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (tfd < 0) return sys_error("temp file in " + dirname(dest));
    UniqueFd tmp(tfd);
    archive::ExportOptions eo;
    eo.compression = archive::Compression::kNone;
    eo.overlay_whiteouts = false;
    BERTH_TRY(archive::export_layer(src, tmp.get(), eo));
    if (::lseek(tmp.get(), 0, SEEK_SET) != 0) return sys_error("seek");
    archive::ApplyOptions ao;
    ao.overlay_whiteouts = false;
    BERTH_TRY(archive::apply_layer(tmp.get(), dest, ao));
    return std::string();
  });
  if (!r.ok()) return std::move(r).error();
  return ok_status();
}

}  // namespace berth::engine
