// Helpers for archive_test: in-memory files, tree building and tree snapshots.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "archive/tar.h"
#include "base/fs.h"
#include "base/unique_fd.h"

namespace berth::archive::testing {

// An anonymous in-memory file (memfd).
class MemFile {
 public:
  MemFile();
  explicit MemFile(std::string_view content);
  int fd() const { return fd_.get(); }
  // Seeks to the start and returns the whole content.
  std::string contents() const;
  void rewind() const;

 private:
  UniqueFd fd_;
};

// Builds a tar in memory with a TarWriter; returns its bytes.
std::string make_tar(const std::function<void(TarWriter&)>& build,
                     Compression compression = Compression::kNone);
// The tar's entry names, in order.
std::vector<std::string> entry_names(const std::string& tar);
std::vector<TarEntry> entries(const std::string& tar);

// One-shot sha256 with OpenSSL, "sha256:<hex>" (independent of the module's own hashing).
std::string sha256(std::string_view data);
// gzip with zlib (one member), for hand-made streams.
std::string gzip(std::string_view data);

void write_file(const std::string& path, std::string_view content, mode_t mode = 0644);
std::string read_whole(const std::string& path);
bool exists(const std::string& path);                      // lstat succeeds
void set_mtime(const std::string& path, int64_t seconds);  // without following symlinks
std::string get_xattr(const std::string& path, const std::string& name);  // "" when absent

// path -> "type mode uid:gid size mtime [target] [xattrs] [content sha | hardlink of X]" for
// every node under dir (dir itself excluded). trusted.overlay.opaque is included.
std::map<std::string, std::string> snapshot(const std::string& dir);

// A temp dir under /tmp, removed at the end of the test.
TempDir temp_dir();

}  // namespace berth::archive::testing
