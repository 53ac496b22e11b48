// User namespaces for berth's own launcher (`berth run --userns=auto`, or a spec with a user
// namespace and uid/gid mappings).
//
// The container's other namespaces and all its mounts are made by root in berth's own user
// namespace; the process enters the mapped user namespace last, just before it takes its user
// and capabilities. So its root is an unprivileged uid on the host, and it holds no capability
// over its mount, network or pid namespace (they belong to the host's user namespace): unlike
// runc's order, a container root in a user namespace cannot even mount a tmpfs.
// The image's layers and the container's upper directory are idmapped mounts (mount_setattr
// MOUNT_ATTR_IDMAP) under the overlay: files owned by 0 on disk are owned by the container's
// root, files it writes are stored as 0, and no layer is ever copied or chowned.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

// A new user namespace with these mappings ("0 100000 65536" lines in uid_map/gid_map), held
// by the returned fd alone.
Result<UniqueFd> make_user_namespace(const std::vector<oci::IdMapping>& uids,
                                     const std::vector<oci::IdMapping>& gids);

// A detached copy of the mount at `path` whose ownership reads through `userns`'s mappings.
// `recursive` clones the mounts below `path` too; `idmap_all` idmaps them as well (else only the
// top one is: the kernel refuses to idmap a tree whose file systems do not all support it).
Result<UniqueFd> idmapped_clone(const std::string& path, int userns_fd, bool recursive = false,
                                bool idmap_all = false);

// The overlay options ("lowerdir=a:b,upperdir=u,workdir=w") rewritten so that each lower
// directory and the directory holding upper and work are idmapped clones; the clones are
// appended to `keep` and named by /proc/self/fd paths, valid in the process that mounts.
Result<std::string> idmap_overlay_options(const std::string& options, int userns_fd,
                                          std::vector<UniqueFd>& keep);

// The text of /proc/<pid>/uid_map for these mappings.
std::string id_map_text(const std::vector<oci::IdMapping>& m);

}  // namespace berth::runtime
