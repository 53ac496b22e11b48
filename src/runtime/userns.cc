#include "runtime/userns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::runtime {
namespace {

// /proc/<pid>/[ug]id_map take the whole map in one write.
Status write_map(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return sys_error("opening " + path);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return sys_error("writing " + path);
  return {};
}

}  // namespace

std::string id_map_text(const std::vector<oci::IdMapping>& m) {
  std::string out;
  for (const auto& e : m)
    out += std::to_string(e.container_id) + " " + std::to_string(e.host_id) + " " +
           std::to_string(e.size) + "\n";
  return out;
}

Result<UniqueFd> make_user_namespace(const std::vector<oci::IdMapping>& uids,
                                     const std::vector<oci::IdMapping>& gids) {
  if (uids.empty() || gids.empty())
    return invalid_argument("a user namespace needs both uid and gid mappings");
  // A child unshares and waits; we write its maps (as root in our namespace, any range may be
  // mapped) and keep its namespace by fd. Then it may go.
  int hold[2];
  if (::pipe2(hold, O_CLOEXEC) < 0) return sys_error("pipe");
  UniqueFd hold_r(hold[0]), hold_w(hold[1]);
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) < 0) return sys_error("pipe");
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  pid_t child = ::fork();
  if (child < 0) return sys_error("fork");
  if (child == 0) {
    ::close(hold[1]);  // else our own copy would keep the read below from ever seeing EOF
    ::close(ready[0]);
    char c = ::unshare(CLONE_NEWUSER) == 0 ? 'u' : 'e';
    (void)!::write(ready[1], &c, 1);
    (void)!::read(hold[0], &c, 1);  // until the parent closes its end
    ::_exit(0);
  }
  ready_w.reset();
  hold_r.reset();
  auto reap = [&] {
    hold_w.reset();
    while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
  };
  char c = 0;
  ssize_t n;
  do {
    n = ::read(ready_r.get(), &c, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1 || c != 'u') {
    reap();
    return Error(Code::kFailedPrecondition,
                 "creating a user namespace failed (is user.max_user_namespaces 0?)");
  }
  std::string proc = "/proc/" + std::to_string(child);
  Status st = write_map(proc + "/uid_map", id_map_text(uids));
  if (st.ok()) st = write_map(proc + "/gid_map", id_map_text(gids));
  if (!st.ok()) {
    reap();
    return std::move(st).error().context("writing the user namespace's id mappings");
  }
  UniqueFd ns(::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  int open_errno = errno;
  reap();
  if (!ns) return Error(Code::kInternal, "opening the new user namespace", open_errno);
  return ns;
}

Result<UniqueFd> idmapped_clone(const std::string& path, int userns_fd, bool recursive,
                                bool idmap_all) {
  // open_tree keeps the submounts with AT_RECURSIVE; mount_setattr reaches them only with it.
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  UniqueFd fd(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, path.c_str(), flags)));
  if (!fd) return sys_error("cloning the mount of " + path);
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  unsigned at = AT_EMPTY_PATH | (recursive && idmap_all ? AT_RECURSIVE : 0);
  if (::syscall(SYS_mount_setattr, fd.get(), "", at, &attr, sizeof attr) < 0)
    return sys_error("idmapping " + path + " (the file system must support idmapped mounts)");
  return fd;
}

Result<std::string> idmap_overlay_options(const std::string& options, int userns_fd,
                                          std::vector<UniqueFd>& keep) {
  std::vector<std::string> out;
  std::string upper, work;
  for (const auto& opt : split(options, ',')) {
    auto kv = split_once(opt, '=');
    const std::string& key = kv.first;
    const std::string& value = kv.second;
    if (key == "lowerdir") {
      std::vector<std::string> lowers;
      for (const auto& dir : split(value, ':')) {
        BERTH_ASSIGN_OR_RETURN(UniqueFd fd, idmapped_clone(dir, userns_fd));
        lowers.push_back("/proc/self/fd/" + std::to_string(fd.get()));
        keep.push_back(std::move(fd));
      }
      out.push_back("lowerdir=" + join(lowers, ":"));
    } else if (key == "upperdir") {
      upper = value;
    } else if (key == "workdir") {
      work = value;
    } else {
      out.push_back(opt);
    }
  }
  if (!upper.empty()) {
    // Upper and work must sit on one mount: clone their common parent once.
    if (dirname(upper) != dirname(work))
      return invalid_argument("overlay upperdir and workdir must share a parent directory");
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, idmapped_clone(dirname(upper), userns_fd));
    std::string at = "/proc/self/fd/" + std::to_string(fd.get());
    out.push_back("upperdir=" + at + "/" + basename(upper));
    out.push_back("workdir=" + at + "/" + basename(work));
    keep.push_back(std::move(fd));
  }
  return join(out, ",");
}

}  // namespace berth::runtime
