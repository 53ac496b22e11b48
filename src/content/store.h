// The content store: immutable blobs addressed by their sha256 digest.
//
// Layout under the root (DESIGN.md §3):
//   blobs/sha256/<hex>   committed blobs, mode 0444, never modified in place
//   ingest/<random>      temp files of writers that have not committed yet
//
// Contract
// - Digests are strings "sha256:<64 lowercase hex>". Any other form (another algorithm, upper
//   case, wrong length) is kInvalidArgument, before any file is touched.
// - A blob becomes visible only complete and verified: a Writer streams into ingest/, commit()
//   checks the digest (and size, when given), fsyncs, renames into blobs/sha256/<hex> and fsyncs
//   the directory. Until then has() is false. A failed or abandoned writer leaves nothing.
// - Concurrency: any number of threads and processes may write, read and commit at once. Two
//   writers committing the same content both succeed (the second finds the blob present, or
//   renames an identical file over it). A live writer holds flock(LOCK_EX) on its temp file, so
//   clean_ingest() in another process only removes the temp files of writers that died.
// - remove() deletes a blob even if a reader has it open (the reader keeps its inode); deciding
//   what is garbage is the caller's business.
// ContentStore is a small value (paths only); copies share the same directory. All methods are
// thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::content {

// kInvalidArgument unless `digest` is "sha256:" + 64 lowercase hex digits.
Status validate_digest(std::string_view digest);
// "sha256:<hex>" of `data`.
std::string sha256_digest(std::string_view data);

namespace internal {
struct HashCtx;  // SHA-256 state
}

class ContentStore {
 public:
  // Streams one blob into ingest/. Move-only. Destroying it without a successful commit() (or
  // calling abort()) removes the temp file. After commit(), successful or not, it is finished:
  // write() and commit() return kFailedPrecondition.
  class Writer {
   public:
    Writer(Writer&&) noexcept;
    Writer& operator=(Writer&&) noexcept;
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer();

    Status write(std::string_view data);
    // Bytes written so far.
    uint64_t size() const { return size_; }
    // Verifies the size (if expected_size is given) and the digest (if expected_digest is given),
    // then makes the blob visible and returns its digest. On a mismatch nothing is left behind:
    //   kInvalidArgument "size mismatch: expected 10 bytes, got 9"
    //   kInvalidArgument "digest mismatch: expected sha256:<hex>, got sha256:<hex>"
    Result<std::string> commit(std::optional<std::string> expected_digest = std::nullopt,
                               std::optional<uint64_t> expected_size = std::nullopt);
    // Discards what was written; the writer is finished.
    void abort();

   private:
    friend class ContentStore;
    Writer(std::string blob_dir, std::string tmp_path, UniqueFd fd,
           std::unique_ptr<internal::HashCtx> hash);
    Result<std::string> finish(const std::optional<std::string>& expected_digest,
                               std::optional<uint64_t> expected_size);

    std::string blob_dir_;
    std::string tmp_path_;  // empty once finished
    UniqueFd fd_;
    std::unique_ptr<internal::HashCtx> hash_;
    uint64_t size_ = 0;
  };

  // Creates <root>/blobs/sha256 and <root>/ingest if missing.
  static Result<ContentStore> open(const std::string& root);

  Result<Writer> writer() const;
  // Stores `data`; returns its digest. Does not rewrite a blob that is already present.
  Result<std::string> put(std::string_view data) const;
  // Streams `fd` to its end into a new blob; checks expected_digest when given.
  Result<std::string> import_fd(int fd, std::optional<std::string> expected_digest = {}) const;

  // false also for a malformed digest.
  bool has(const std::string& digest) const;
  // kNotFound "blob sha256:<hex> not found" for a missing blob, here and in read/open_blob/remove.
  Result<uint64_t> size(const std::string& digest) const;
  Result<std::string> read(const std::string& digest) const;
  Result<UniqueFd> open_blob(const std::string& digest) const;
  // Where the blob lives (whether or not it exists); "" for a malformed digest.
  std::string path(const std::string& digest) const;
  Status remove(const std::string& digest) const;
  // Digests of all committed blobs, sorted.
  Result<std::vector<std::string>> list() const;
  // Rehashes the blob: kInternal "blob sha256:<a> is corrupt: content hashes to sha256:<b>".
  Status verify(const std::string& digest) const;
  // Removes the temp files of writers that died (those no live writer holds locked); returns how
  // many were removed.
  Result<uint64_t> clean_ingest() const;

  const std::string& root() const { return root_; }

 private:
  ContentStore(std::string root, std::string blob_dir, std::string ingest_dir)
      : root_(std::move(root)),
        blob_dir_(std::move(blob_dir)),
        ingest_dir_(std::move(ingest_dir)) {}
  Result<std::string> checked_path(const std::string& digest) const;

  std::string root_;
  std::string blob_dir_;
  std::string ingest_dir_;
};

}  // namespace berth::content
