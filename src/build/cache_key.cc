#include "build/cache_key.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

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

Status hash_entry(Sha256& h, const std::string& path, const std::string& name, const SkipFn& skip,
                  FileDigestCache* cache) {
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
    std::optional<std::string> known = cache ? cache->get(path, st) : std::nullopt;
    if (!known) {
      BERTH_ASSIGN_OR_RETURN(auto d, sha256_file(path));
      known = d.str();
      if (cache) cache->put(path, st, *known);
    }
    put(h, *known);
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
    for (const auto& n : names) BERTH_TRY(hash_entry(h, path_join(path, n), name.empty() ? n : name + "/" + n, skip, cache));
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
                              const SkipFn& skip, FileDigestCache* cache) {
  Sha256 h;
  BERTH_TRY(hash_entry(h, path, name, skip, cache));
  return h.finish().str();
}

namespace {
int64_t nanos(const struct timespec& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; }
}  // namespace

FileDigestCache FileDigestCache::load(const std::string& path) {
  FileDigestCache c;
  c.file_ = path;
  auto text = read_file(path);
  if (!text.ok()) return c;
  std::string_view t = *text;
  while (!t.empty()) {
    size_t nl = t.find('\n');
    std::string line(t.substr(0, nl));
    t = nl == std::string_view::npos ? std::string_view() : t.substr(nl + 1);
    // "<digest> <ino> <size> <mtime> <ctime> <path>"
    char digest[80];
    unsigned long long ino, size;
    long long mtime, ctime;
    int used = 0;
    if (std::sscanf(line.c_str(), "%79s %llu %llu %lld %lld %n", digest, &ino, &size, &mtime,
                    &ctime, &used) != 5 || used <= 0)
      continue;
    c.entries_[line.substr(static_cast<size_t>(used))] =
        Entry{digest, ino, size, static_cast<int64_t>(mtime), static_cast<int64_t>(ctime)};
  }
  return c;
}

Status FileDigestCache::save() const {
  if (!dirty_ || file_.empty()) return {};
  std::string out;
  for (const auto& [p, e] : entries_) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) continue;  // gone: forget it
    out += e.digest + " " + std::to_string(e.ino) + " " + std::to_string(e.size) + " " +
           std::to_string(e.mtime) + " " + std::to_string(e.ctime) + " " + p + "\n";
  }
  return atomic_write_file(file_, out, 0600);
}

std::optional<std::string> FileDigestCache::get(const std::string& path,
                                                const struct stat& st) const {
  auto it = entries_.find(path);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  if (e.ino != st.st_ino || e.size != static_cast<uint64_t>(st.st_size) ||
      e.mtime != nanos(st.st_mtim) || e.ctime != nanos(st.st_ctim))
    return std::nullopt;
  return e.digest;
}

void FileDigestCache::put(const std::string& path, const struct stat& st,
                          const std::string& digest) {
  if (path.find('\n') != std::string::npos) return;
  entries_[path] = Entry{digest, st.st_ino, static_cast<uint64_t>(st.st_size), nanos(st.st_mtim),
                         nanos(st.st_ctim)};
  dirty_ = true;
}

}  // namespace berth::build
