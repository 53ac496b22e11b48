#include "build/cache_key.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "digest/digest.h"

namespace berth::build {
namespace {

using digest::Sha256;
using digest::sha256_file;

// Length-prefixed so "ab"+"c" and "a"+"bc" differ.
void put(Sha256& h, std::string_view s) {
  std::string len = std::to_string(s.size()) + ":";
  h.update(len);
  h.update(s);
}

Status hash_entry(Sha256& h, const std::string& path, const std::string& name, const SkipFn& skip) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return sys_error("stat " + path);
  put(h, name);
  put(h, std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + " " +
             std::to_string(st.st_gid));
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0) return sys_error("readlink " + path);
    put(h, std::string_view(buf, static_cast<size_t>(n)));
  } else if (S_ISREG(st.st_mode)) {
    BERTH_ASSIGN_OR_RETURN(auto d, sha256_file(path));
    put(h, d.str());
  } else if (S_ISDIR(st.st_mode)) {
    DIR* d = ::opendir(path.c_str());
    if (!d) return sys_error("open " + path);
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      if (skip && skip(name.empty() ? n : name + "/" + n)) continue;
      names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    put(h, std::to_string(names.size()));
    for (const auto& n : names) BERTH_TRY(hash_entry(h, path_join(path, n), name.empty() ? n : name + "/" + n, skip));
  }
  return {};
}

}  // namespace

std::string cache_key(const CacheKeyInput& in) {
  Sha256 h;
  put(h, "berth-build-cache-v1");
  put(h, in.parent);
  put(h, in.instruction);
  put(h, std::to_string(in.inputs.size()));
  for (const auto& i : in.inputs) put(h, i);
  return h.finish().str();
}

Result<std::string> hash_path(const std::string& path, const std::string& name,
                              const SkipFn& skip) {
  Sha256 h;
  BERTH_TRY(hash_entry(h, path, name, skip));
  return h.finish().str();
}

}  // namespace berth::build
