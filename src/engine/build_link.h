// COPY from the context by hard link: a rebuild after a small change links the files it did not
// change from the layer the same COPY made last time, instead of writing them again. Creating a
// file costs ~100 µs of inode allocation on ext4 here and a link ~10 µs, so a 2000-file COPY
// with one changed file goes from ~500 ms to ~40 ms.
//
// Exact, never a guess: each COPY layer berth makes from the context gets a manifest (its regular
// files' paths in the layer and their content digests, from the build's file digest cache). A
// file is linked only when the earlier layer's manifest has the same digest at the same path AND
// that layer's inode has the mode, owner, size and mtime this copy would give it. Layer files are
// never written after their layer is made (containers write to their own upper dir), so sharing
// an inode between layers is safe; the tar of either layer is byte for byte what a copy gives
// (export only makes link entries for inodes seen twice in one layer).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::build {
class FileDigestCache;
}

namespace berth::engine::buildimpl {

// The regular files one COPY layer holds: layer path ("app/src/a.py") -> "sha256:<hex>".
struct CopyManifest {
  std::string chain;  // the layer (chain id) it describes
  std::unordered_map<std::string, std::string> digests;

  // nullopt when `file` is missing, torn or malformed (its body carries its own digest).
  static std::optional<CopyManifest> load(const std::string& file);
  // Replaces `file` by rename, without fsync: it is only a cache, and a torn one fails load.
  Status save(const std::string& file) const;
};

// One COPY's link state, in CopyOptions::link (only for copies from the context).
struct CopyLinks {
  const build::FileDigestCache* digests = nullptr;  // the context's digests, by stat
  // The earlier layer's diff dir (O_PATH) and manifest; no fd: nothing to link, only record.
  UniqueFd donor;
  const CopyManifest* donor_manifest = nullptr;
  // What this copy put where (layer path -> digest): the new layer's manifest. Files whose
  // digest is unknown, or that changed while being copied, are left out.
  std::unordered_map<std::string, std::string> written;
  uint64_t linked = 0;

  // Links `name` (at layer path `rel`, whose parent dir in the donor is `donor_dir`) into
  // dfd/dname when the donor holds exactly that content with exactly `want`'s metadata.
  bool link(int donor_dir, const char* name, const std::string& rel, std::string_view digest,
            const struct stat& src, uint32_t uid, uint32_t gid, uint32_t perm, int dfd,
            const char* dname);
};

// COPY --from a stage or an image: its source files are layer files already, which never
// change, so a file the copy would give exactly the source's metadata (owner, mode, and no
// extended attributes, which the copy does not carry) is linked instead of copied: no data is
// written. Only a source inode with one link is linked (once): so the new layer has no two
// paths on one inode where a copy would have made two files (its tar, and so its diff id, are a
// copy's), and no image can hold two layers that share one. Files of a layer the image itself is
// made of (`chain`) are copied: linked, the container would see two paths on one inode (and
// `export` a hard link) where Docker shows two files.
struct LayerLinks {
  std::vector<std::string> chain;                  // the destination's layer dirs
  std::set<std::pair<uint64_t, uint64_t>> inodes;  // (dev, ino) linked by this step
  uint64_t linked = 0;

  // Whether `path` is, or is inside, one of the chain's layer dirs.
  bool in_chain(const std::string& path) const;

  // Links sfd/sname (open as `in`, stat `src`) to dfd/dname when the copy would give it
  // uid:gid and `perm`; false: copy it.
  bool link(int sfd, const char* sname, int in, const struct stat& src, uint32_t uid, uint32_t gid,
            uint32_t perm, int dfd, const char* dname);
};

// An O_PATH fd of the directory `rel` under `root_fd`, every component opened with O_NOFOLLOW
// (a symlink anywhere fails it): -1 when it is not a plain directory path.
int open_dir_beneath(int root_fd, const std::string& rel);

}  // namespace berth::engine::buildimpl
