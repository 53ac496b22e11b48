// File-system helpers with berth's crash-safety rules built in: every write goes to a temp name
// in the same directory, is fsynced, then renamed over the target, and the directory is fsynced.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth {

// Opens `path` with open(2) flags (O_CLOEXEC is always added).
Result<UniqueFd> open_file(const std::string& path, int flags, unsigned mode = 0644);
Result<std::string> read_file(const std::string& path);
// Atomically replaces `path` with `data` (temp + fsync + rename + fsync dir).
Status atomic_write_file(const std::string& path, std::string_view data, unsigned mode = 0644);
// Creates or truncates `path` with `data`, without fsync: only for a new directory that nothing
// reads before the caller has made it durable with sync_files (a bundle before its record).
Status write_file_unsynced(const std::string& path, std::string_view data, unsigned mode = 0644);
// fsyncs each of `names` that exists in `dir`, then `dir` once.
Status sync_files(const std::string& dir, std::initializer_list<std::string_view> names);
// Writes all of `data` to `fd`, retrying on EINTR and short writes.
Status write_all(int fd, std::string_view data);
Status fsync_dir(const std::string& dir);
// mkdir -p; succeeds if the directory exists.
Status mkdir_all(const std::string& path, unsigned mode = 0755);
// rm -rf without following symlinks; succeeds if `path` does not exist.
Status remove_all(const std::string& path);
bool path_exists(const std::string& path);
std::string path_join(std::string_view a, std::string_view b);
std::string dirname(std::string_view path);
std::string basename(std::string_view path);
// Total bytes of regular files under `path` (hard links counted once), without following links.
Result<uint64_t> disk_usage(const std::string& path);

// A directory created under `parent` (mkdtemp) and removed with its contents on destruction.
class TempDir {
 public:
  static Result<TempDir> create(const std::string& parent, std::string_view prefix = "tmp-");
  TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempDir& operator=(TempDir&& o) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  // Keeps the directory: the caller takes it over (e.g. renames it into place).
  std::string release();

 private:
  explicit TempDir(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

}  // namespace berth
