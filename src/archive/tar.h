// Streaming tar reading and writing (libarchive underneath), with sha256 digests of the
// uncompressed and compressed bytes computed on the way. Used for layers and for docker-archive /
// OCI-layout files (`docker save` / `load`).
//
// TarReader and TarWriter borrow the fd they are given: it must stay open while they are used.
// They are move-only and not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "archive/archive.h"
#include "base/error.h"

namespace berth::archive {

enum class EntryType { kFile, kDir, kSymlink, kHardlink, kCharDevice, kBlockDevice, kFifo };

struct TarEntry {
  std::string name;  // as stored in the tar, not cleaned ("./a", "/abs" and "../x" are kept)
  EntryType type = EntryType::kFile;
  uint64_t size = 0;     // data bytes (kFile); 0 for the others
  std::string linkname;  // symlink target or hard link target
  uint32_t mode = 0644;  // permission bits incl. setuid/setgid/sticky (no file type bits)
  uint32_t uid = 0, gid = 0;
  int64_t mtime = 0;  // seconds since the epoch
  uint32_t mtime_nsec = 0;
  uint32_t dev_major = 0, dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;  // name -> value
};

// What a whole stream hashed to. For a reader, digest == diff_id when the input is plain.
struct StreamInfo {
  std::string diff_id;  // sha256 of the uncompressed bytes
  uint64_t uncompressed_size = 0;
  Compression compression = Compression::kNone;
};

class TarReader {
 public:
  // Starts reading a tar (any Compression, detected from the first bytes) from in_fd's current
  // position. Reads the first header: input that is not a tar fails here
  // ("reading tar: reading header: Unrecognized archive format"). Empty input has no entries.
  static Result<TarReader> open(int in_fd);

  TarReader(TarReader&&) noexcept;
  TarReader& operator=(TarReader&&) noexcept;
  ~TarReader();

  // The next entry, or nullopt after the last. Unread data of the previous entry is skipped.
  Result<std::optional<TarEntry>> next();

  // The current entry's data, in order. read_blocks gives sparse files' holes as gaps in offset;
  // read_data and copy_data_to fill holes with zeros.
  Status read_blocks(const std::function<Status(uint64_t offset, std::string_view data)>& fn);
  Status read_data(const std::function<Status(std::string_view data)>& fn);
  Status copy_data_to(int out_fd);
  // The whole data of the current entry; kInvalidArgument when it is larger than max_size.
  Result<std::string> read_data_string(uint64_t max_size = 64ull << 20);

  // Reads the input to its end (past the tar's end marker) and returns the digest of all of it.
  // Call after next() returned nullopt; calling it earlier skips the remaining entries.
  Result<StreamInfo> finish();

  Compression compression() const;

 private:
  struct Impl;
  explicit TarReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Calls fn for each entry; fn may read the entry's data through the reader. Stops at fn's first
// error and returns it.
Status for_each_entry(int in_fd, const std::function<Status(const TarEntry&, TarReader&)>& fn);

// The data of the member named `name` (compared after cleaning: "./a/b" and "a/b" match).
// kNotFound: `tar member "x" not found`; kInvalidArgument when it is not a regular file or is
// larger than max_size.
Result<std::string> read_member(int in_fd, std::string_view name, uint64_t max_size = 64ull << 20);

class TarWriter {
 public:
  // Writes a pax tar (plain ustar headers where they suffice) to out_fd, compressed as asked;
  // threads applies to zstd (0 = all cores). kUnimplemented for kXz and kBzip2.
  static Result<TarWriter> open(int out_fd, Compression compression = Compression::kNone,
                                int threads = 0);

  TarWriter(TarWriter&&) noexcept;
  TarWriter& operator=(TarWriter&&) noexcept;
  // Without finish(), the output is left incomplete (no end marker) on purpose.
  ~TarWriter();

  // Writes `e` as is (names are not cleaned: tests build hostile tars with this). For kFile,
  // `data` must hold e.size bytes; add_from_fd reads e.size bytes from fd's current position and
  // pads with zeros if the file is shorter.
  Status add(const TarEntry& e, std::string_view data = {});
  Status add_from_fd(const TarEntry& e, int fd);

  Status add_file(std::string_view name, std::string_view data, uint32_t mode = 0644,
                  int64_t mtime = 0);
  Status add_file_from_fd(std::string_view name, int fd, uint64_t size, uint32_t mode = 0644,
                          int64_t mtime = 0);
  Status add_dir(std::string_view name, uint32_t mode = 0755, int64_t mtime = 0);
  Status add_symlink(std::string_view name, std::string_view target, int64_t mtime = 0);
  Status add_hardlink(std::string_view name, std::string_view target, int64_t mtime = 0);

  // Writes the end marker, flushes the compressor and returns the digests. No add() after it.
  Result<ExportResult> finish();

 private:
  struct Impl;
  explicit TarWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::archive
