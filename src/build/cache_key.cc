#include "build/cache_key.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "base/fs.h"
#include "digest/digest.h"

namespace berth::build {
namespace {

using digest::Sha256;
using digest::sha256_file;

// Length-prefixed parts ("ab"+"c" and "a"+"bc" differ), gathered in a buffer so that a walk
// of thousands of small entries makes a few large hash updates instead of many tiny ones.
class Hasher {
 public:
  void put(std::string_view s) {
    char len[24];
    auto r = std::to_chars(len, len + sizeof len, s.size());
    buf_.append(len, r.ptr);
    buf_.push_back(':');
    buf_.append(s);
    if (buf_.size() >= 32768) flush();
  }
  std::string finish() {
    flush();
    return h_.finish().str();
  }

 private:
  void flush() {
    h_.update(buf_);
    buf_.clear();
  }
  Sha256 h_;
  std::string buf_;
};

// "<mode> <uid> <gid>", as std::to_string would write them.
void put_meta(Hasher& h, const struct stat& st) {
  char b[80];  // three numbers of at most 20 digits each, and room to spare
  char* const end = b + 64;
  char* p = std::to_chars(b, end, st.st_mode).ptr;
  *p++ = ' ';
  p = std::to_chars(p, end, st.st_uid).ptr;
  *p++ = ' ';
  p = std::to_chars(p, end, st.st_gid).ptr;
  h.put(std::string_view(b, static_cast<size_t>(p - b)));
}

// One walk over a tree. `path` (host path) and `name` (the name in the digest) are extended and
// cut back as it descends, so no string is built per entry beyond what the cache lookup needs.
// Children are read relative to their directory's fd (one short lookup each, no full-path walk).
struct Walk {
  Hasher& h;
  const IgnoreMatcher* ignore;
  FileDigestCache* cache;
  std::string path, name;

  // `st` is the lstat of the entry at `path`; `dirfd`/`leaf` name it relative to its parent
  // (dirfd < 0: use `path`).
  Status entry(int dirfd, const char* leaf, const struct stat& st) {
    h.put(name);
    put_meta(h, st);
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = dirfd >= 0 ? ::readlinkat(dirfd, leaf, buf, sizeof buf)
                             : ::readlink(path.c_str(), buf, sizeof buf);
      if (n < 0) return sys_error("readlink " + path);
      h.put(std::string_view(buf, static_cast<size_t>(n)));
    } else if (S_ISREG(st.st_mode)) {
      std::optional<std::string_view> known = cache ? cache->get(path, st) : std::nullopt;
      std::string computed;
      if (!known) {
        BERTH_ASSIGN_OR_RETURN(auto d, sha256_file(path));
        computed = d.str();
        if (cache) cache->put(path, st, computed);
        known = computed;
      }
      h.put(*known);
    } else if (S_ISDIR(st.st_mode)) {
      int fd = dirfd >= 0 ? ::openat(dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                          : ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return sys_error("open " + path);
      DIR* d = ::fdopendir(fd);
      if (!d) {
        ::close(fd);
        return sys_error("open " + path);
      }
      std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
      std::vector<std::string> names;
      size_t name_len = name.size(), path_len = path.size();
      while (auto* e = ::readdir(d)) {
        const char* n = e->d_name;
        if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
        if (ignore && !ignore->empty()) {
          if (name_len) name += '/';
          name += n;
          bool skipped = ignore->excluded(name);
          if (skipped && ignore->has_exclusions()) {
            struct stat dst;
            bool dir = e->d_type == DT_DIR ||
                       (e->d_type == DT_UNKNOWN && ::fstatat(fd, n, &dst, AT_SYMLINK_NOFOLLOW) == 0 &&
                        S_ISDIR(dst.st_mode));
            skipped = !(dir && ignore->descend(name));
          }
          name.resize(name_len);
          if (skipped) continue;
        }
        names.emplace_back(n);
      }
      std::sort(names.begin(), names.end());
      h.put(std::to_string(names.size()));
      for (const auto& n : names) {
        struct stat cst;
        if (::fstatat(fd, n.c_str(), &cst, AT_SYMLINK_NOFOLLOW) != 0)
          return sys_error("stat " + path + "/" + n);
        if (name_len) name += '/';
        name += n;
        path += '/';
        path += n;
        BERTH_TRY(entry(fd, n.c_str(), cst));
        name.resize(name_len);
        path.resize(path_len);
      }
    }
    return {};
  }
};

}  // namespace

std::string cache_key(const CacheKeyInput& in) {
  Hasher h;
  h.put("berth-build-cache-v1");
  h.put(in.parent);
  h.put(in.instruction);
  h.put(std::to_string(in.inputs.size()));
  for (const auto& i : in.inputs) h.put(i);
  return h.finish();
}

Result<std::string> hash_path(const std::string& path, const std::string& name,
                              const IgnoreMatcher* ignore, FileDigestCache* cache) {
  Hasher h;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return sys_error("stat " + path);
  Walk w{h, ignore, cache, path, name};
  while (w.path.size() > 1 && w.path.back() == '/') w.path.pop_back();
  BERTH_TRY(w.entry(-1, nullptr, st));
  return h.finish();
}

namespace {
int64_t nanos(const struct timespec& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; }

// Reads one space-terminated decimal field of a cache line.
template <typename T>
bool field(std::string_view& line, T& out) {
  auto r = std::from_chars(line.data(), line.data() + line.size(), out);
  if (r.ec != std::errc() || r.ptr == line.data() + line.size() || *r.ptr != ' ') return false;
  line.remove_prefix(static_cast<size_t>(r.ptr - line.data()) + 1);
  return true;
}
}  // namespace

FileDigestCache FileDigestCache::load(const std::string& path) {
  FileDigestCache c;
  c.file_ = path;
  // Mapped, not read: the page cache's pages are used in place (a few faults for a few hundred
  // KB, instead of a copy into fresh heap pages), and the entries point into the mapping. save()
  // replaces the file by rename, so the mapped inode is never truncated under a reader.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return c;
  std::unique_ptr<int, void (*)(int*)> close_fd(&fd, [](int* f) { ::close(*f); });
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) return c;
  size_t len = static_cast<size_t>(st.st_size);
  void* m = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (m == MAP_FAILED) return c;
  c.text_ = std::shared_ptr<const char>(static_cast<const char*>(m),
                                        [len](const char* p) { ::munmap(const_cast<char*>(p), len); });
  std::string_view t(c.text_.get(), len);
  c.entries_.reserve(static_cast<size_t>(std::count(t.begin(), t.end(), '\n')));
  while (!t.empty()) {
    size_t nl = t.find('\n');
    if (nl == std::string_view::npos) break;  // a torn last line
    std::string_view line = t.substr(0, nl);
    t.remove_prefix(nl + 1);
    // "<digest> <ino> <size> <mtime> <ctime> <path>"
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0) continue;
    Entry e;
    e.digest = line.substr(0, sp);
    line.remove_prefix(sp + 1);
    if (!field(line, e.ino) || !field(line, e.size) || !field(line, e.mtime) ||
        !field(line, e.ctime) || line.empty())
      continue;
    c.entries_.insert_or_assign(line, e);
  }
  return c;
}

Status FileDigestCache::save() const {
  std::lock_guard lock(*mu_);
  if (!dirty_ || file_.empty()) return {};
  std::string out;
  out.reserve(entries_.size() * 160);
  std::string path;
  for (const auto& [p, e] : entries_) {
    struct stat st;
    path.assign(p);
    if (!e.seen && ::lstat(path.c_str(), &st) != 0) continue;  // gone: forget it
    out.append(e.digest);
    out += ' ' + std::to_string(e.ino) + ' ' + std::to_string(e.size) + ' ' +
           std::to_string(e.mtime) + ' ' + std::to_string(e.ctime) + ' ';
    out.append(p);
    out += '\n';
  }
  return atomic_write_file(file_, out, 0600);
}

size_t FileDigestCache::size() const {
  std::lock_guard lock(*mu_);
  return entries_.size();
}

std::optional<std::string_view> FileDigestCache::get(const std::string& path,
                                                     const struct stat& st) const {
  std::lock_guard lock(*mu_);
  auto it = entries_.find(path);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  if (e.ino != st.st_ino || e.size != static_cast<uint64_t>(st.st_size) ||
      e.mtime != nanos(st.st_mtim) || e.ctime != nanos(st.st_ctim))
    return std::nullopt;
  e.seen = true;
  return e.digest;
}

void FileDigestCache::put(const std::string& path, const struct stat& st,
                          const std::string& digest) {
  if (path.find('\n') != std::string::npos) return;
  std::lock_guard lock(*mu_);
  Entry e{std::string_view(), st.st_ino, static_cast<uint64_t>(st.st_size), nanos(st.st_mtim),
          nanos(st.st_ctim), true};
  auto it = entries_.find(path);
  std::string_view key;
  if (it != entries_.end()) {
    key = it->first;
  } else {
    key = owned_->emplace_back(path);
  }
  e.digest = owned_->emplace_back(digest);
  entries_.insert_or_assign(key, e);
  dirty_ = true;
}

}  // namespace berth::build
