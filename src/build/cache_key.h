// Build-cache keys. A step's key is a digest of: the state it starts from (the parent image id or
// the previous step's key), the instruction as it will run (expanded, with the build args that
// reach it), and the digests of the files it reads from the context or another stage. A file's
// digest covers its path, type, permission bits, owner, size, content and link target, never
// its mtime: touching a file does not invalidate the cache, changing one byte does.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

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
// `skip(child_name)` leaves out entries (the .dockerignore'd ones) below a directory.
using SkipFn = std::function<bool(const std::string& name)>;
Result<std::string> hash_path(const std::string& path, const std::string& name,
                              const SkipFn& skip = {});

}  // namespace berth::build
