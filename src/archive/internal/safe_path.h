// Path handling confined to a root directory fd, for extracting untrusted tars.
// (The DESIGN puts openat2 helpers in src/sys; that module does not exist yet, so they live here
// until it does.)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::archive::internal {

// Cleans a tar entry name lexically: leading "/" are dropped (absolute names are relative to the
// root), empty and "." components are skipped, ".." removes the component before it. Returns
// nullopt when a ".." would climb above the root. The root itself is "".
std::optional<std::string> clean_path(std::string_view name);

// Like clean_path, but ".." at the root stays at the root, as inside a container's "/".
std::string clean_path_capped(std::string_view path);

// Splits a clean path at its last "/": {"a/b", "c"} for "a/b/c", {"", "c"} for "c".
std::pair<std::string, std::string> split_parent(const std::string& clean);

enum class Resolver {
  kAuto,     // openat2 when the kernel has it (5.6+), else kWalk
  kOpenat2,  // openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
  kWalk,     // the same rules in user space, one component at a time with O_NOFOLLOW
};

// Whether this kernel has openat2(2) (probed once).
bool openat2_supported();

// Opens directory `rel` (a clean path) below root_fd as O_PATH, as if root_fd were "/": symlinks
// are followed but every absolute target or ".." stops at the root, and /proc magic links are
// refused. Errors are errno errors ("resolving \"a/b\": No such file or directory").
Result<UniqueFd> open_dir_in_root(int root_fd, std::string_view rel, Resolver r);

// Like open_dir_in_root, creating missing directories (mode 0755) on the way. A component that
// exists but is not a directory (or is a symlink to a missing one) is kInvalidArgument without
// errno: `parent "a/f" is not a directory`, `parent "link" is a symlink to a missing directory`.
Result<UniqueFd> make_dirs_in_root(int root_fd, std::string_view rel, Resolver r);

// Names in a directory, without "." and "..", unsorted.
Result<std::vector<std::string>> list_dir(int dir_fd);

// Removes `name` in dir_fd (recursively for directories) without following symlinks.
// Absent is fine.
Status remove_at(int dir_fd, const std::string& name);

}  // namespace berth::archive::internal
