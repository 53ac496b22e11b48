// Build-cache keys. A step's key is a digest of: the state it starts from (the parent image id or
// the previous step's key), the instruction as it will run (expanded, with the build args that
// reach it), and the digests of the files it reads from the context or another stage. A file's
// digest covers its path, type, permission bits, owner, size, content and link target, never
// its mtime: touching a file does not invalidate the cache, changing one byte does.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "build/dockerignore.h"

namespace berth::build {

struct CacheKeyInput {
  std::string parent;       // parent image id or previous key
  std::string instruction;  // the expanded instruction text + anything else it depends on
  std::vector<std::string> inputs;  // content digests (hash_path) of what it reads
};

// "sha256:<hex>" of the inputs, with separators that cannot be forged by their contents.
std::string cache_key(const CacheKeyInput& in);

// The digest of the file tree at `path` (a file, a symlink or a directory, walked in sorted
// order), named `name` in the digest so a rename changes it. Symlinks are not followed.
// Content digests of files by (inode, size, mtime, ctime), so an unchanged context costs stats,
// not reads. ctime moves on every content or metadata change and cannot be set by users, so a
// matching entry means the same content. Kept as a text file under berth's root; any problem
// reading it gives an empty cache (it is only a cache). get/put may be called from several
// threads (parallel stages hash their contexts at once).
class FileDigestCache {
 public:
  static FileDigestCache load(const std::string& path);
  // Atomically, when something changed. Entries this process looked up or stored are kept
  // as they are; others are kept while their file still exists (one lstat each).
  Status save() const;
  // The digest ("sha256:<hex>") when `st` matches the entry; valid while the cache lives.
  std::optional<std::string_view> get(const std::string& path, const struct stat& st) const;
  void put(const std::string& path, const struct stat& st, const std::string& digest);
  size_t size() const;

 private:
  // Paths and digests are views into text_ (the file load mapped) or into owned_ (what put added):
  // loading thousands of entries allocates one map node each and nothing else.
  struct Entry {
    std::string_view digest;
    uint64_t ino = 0, size = 0;
    int64_t mtime = 0, ctime = 0;
    mutable bool seen = false;  // used by this process: known to exist
  };
  std::string file_;
  std::shared_ptr<const char> text_;  // the loaded file, mapped
  std::unique_ptr<std::deque<std::string>> owned_ = std::make_unique<std::deque<std::string>>();
  std::unordered_map<std::string_view, Entry> entries_;
  bool dirty_ = false;
  std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
};

// `ignore` (.dockerignore) leaves out the entries it excludes below `path`, named as `name` +
// "/" + their path below it, except a directory it still descends into (IgnoreMatcher::descend).
Result<std::string> hash_path(const std::string& path, const std::string& name,
                              const IgnoreMatcher* ignore = nullptr,
                              FileDigestCache* cache = nullptr);

}  // namespace berth::build
