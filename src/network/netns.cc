#include "network/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <cstdlib>
#include <cstring>

#include "base/fs.h"
#include "base/log.h"

namespace berth::network {

bool is_netns(const std::string& path) {
  struct statfs st;
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == NSFS_MAGIC;
}

Status create_netns(const std::string& path) {
  if (is_netns(path)) return already_exists("network namespace " + path + " exists");
  BERTH_TRY(mkdir_all(dirname(path), 0700));
  {
    BERTH_ASSIGN_OR_RETURN(UniqueFd f, open_file(path, O_RDONLY | O_CREAT, 0444));
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd orig, open_file("/proc/thread-self/ns/net", O_RDONLY));
  if (::unshare(CLONE_NEWNET) < 0) {
    auto e = sys_error("unshare(CLONE_NEWNET)");
    ::unlink(path.c_str());
    return e;
  }
  int rc = ::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr);
  int err = errno;
  if (::setns(orig.get(), CLONE_NEWNET) < 0) {
    // Staying in the new namespace would configure the wrong one: nothing safe is left to do.
    spdlog::critical("cannot return to the host network namespace: {}", std::strerror(errno));
    std::abort();
  }
  if (rc < 0) {
    ::unlink(path.c_str());
    return sys_error("pinning the network namespace at " + path, err);
  }
  return {};
}

Status remove_netns(const std::string& path) {
  if (is_netns(path) && ::umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL &&
      errno != ENOENT)
    return sys_error("unmounting " + path);
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) return sys_error("removing " + path);
  return {};
}

Result<NetnsScope> NetnsScope::enter(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd orig, open_file("/proc/thread-self/ns/net", O_RDONLY));
  BERTH_ASSIGN_OR_RETURN(UniqueFd target, open_file(path, O_RDONLY));
  if (::setns(target.get(), CLONE_NEWNET) < 0) return sys_error("entering " + path);
  return NetnsScope(std::move(orig));
}

NetnsScope::~NetnsScope() {
  if (orig_ && ::setns(orig_.get(), CLONE_NEWNET) < 0) {
    spdlog::critical("cannot return to the host network namespace: {}", std::strerror(errno));
    std::abort();
  }
}

}  // namespace berth::network
