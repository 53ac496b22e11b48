// A copy of a mount that lives in another process's mount namespace, as a detached mount (the
// new mount API's open_tree(OPEN_TREE_CLONE)) that a container's setup can attach in its own
// namespace. This is how an IPC joiner gets its donor's /dev/shm: the same tmpfs, without the
// donor's /dev/shm ever being mounted on the host (Docker mounts every shareable container's
// shm on the host, and only those can be joined).
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::runtime {

// Clones the mount at `path` as `pid` sees it (resolved in pid's mount namespace and root, not
// following a final symlink). `want_fs_magic` (statfs f_type, e.g. TMPFS_MAGIC), when non-zero,
// must match, so a process that swapped the path for something else is refused.
Result<UniqueFd> clone_mount_of(pid_t pid, const std::string& path, long want_fs_magic = 0);

}  // namespace berth::runtime
