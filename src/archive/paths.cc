// Resolving paths inside a container's root for cp (see archive.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/archive.h"
#include "archive/internal/safe_path.h"

namespace berth::archive {

Result<std::string> resolve_in_root(int root_fd, std::string_view path) {
  std::string rel = internal::clean_path_capped(path);
  for (int links = 0; links < 40; ++links) {
    if (rel.empty()) return rel;
    auto [parent, name] = internal::split_parent(rel);
    BERTH_ASSIGN_OR_RETURN(auto dir,
                           internal::open_dir_in_root(root_fd, parent, internal::Resolver::kAuto));
    struct stat st;
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return sys_error("Could not find the file " + std::string(path));
    if (!S_ISLNK(st.st_mode)) return rel;
    std::string target(4096, '\0');
    ssize_t n = ::readlinkat(dir.get(), name.c_str(), target.data(), target.size());
    if (n < 0) return sys_error("readlink \"" + rel + "\"");
    target.resize(static_cast<size_t>(n));
    rel = internal::clean_path_capped(target.starts_with("/") ? target : parent + "/" + target);
  }
  return invalid_argument("resolving \"" + std::string(path) + "\": too many levels of symbolic links");
}

Result<UniqueFd> open_dir_in_root(int root_fd, std::string_view path) {
  return internal::open_dir_in_root(root_fd, internal::clean_path_capped(path), internal::Resolver::kAuto);
}

}  // namespace berth::archive
