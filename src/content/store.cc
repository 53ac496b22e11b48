#include "content/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

#include "base/sha256.h"
#include "base/fs.h"

namespace berth::content {

namespace internal {

struct HashCtx {
  Sha256State state;
};

}  // namespace internal

namespace {

constexpr std::string_view kPrefix = "sha256:";
constexpr size_t kHexLen = 64;

bool is_lower_hex64(std::string_view s) {
  return s.size() == kHexLen && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<std::unique_ptr<internal::HashCtx>> new_hash() {
  return std::make_unique<internal::HashCtx>();
}

void hash_update(internal::HashCtx& h, std::string_view data) {
  h.state.update(data.data(), data.size());
}

std::string hash_final(internal::HashCtx& h) { return std::string(kPrefix) + h.state.finish_hex(); }

std::string hex_of(const std::string& digest) { return digest.substr(kPrefix.size()); }

Error blob_not_found(const std::string& digest) {
  return not_found("blob " + digest + " not found");
}

// Maps ENOENT on a blob path to the store's not-found message; other errors get context.
Error blob_error(Error e, const std::string& digest, std::string_view what) {
  if (e.sys_errno() == ENOENT) return blob_not_found(digest);
  return std::move(e).context(std::string(what) + " blob " + digest);
}

using DirPtr = std::unique_ptr<DIR, int (*)(DIR*)>;

Result<DirPtr> open_dir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return sys_error("opendir " + path);
  return DirPtr(d, ::closedir);
}

Result<std::vector<std::string>> dir_names(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(DirPtr d, open_dir(path));
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = ::readdir(d.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  if (errno != 0) return sys_error("readdir " + path);
  return names;
}

// Reads `fd` to its end, feeding each chunk to `sink`.
template <typename Sink>
Status read_all(int fd, Sink&& sink) {
  // Not zeroed: a page is touched (and faulted in) only when a read fills it, so a small blob
  // costs a page or two, not 256 faults.
  constexpr size_t kBuf = 1 << 20;
  std::unique_ptr<char[]> buf(new char[kBuf]);
  while (true) {
    ssize_t n = ::read(fd, buf.get(), kBuf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read");
    }
    if (n == 0) return {};
    BERTH_TRY(sink(std::string_view(buf.get(), static_cast<size_t>(n))));
  }
}

}  // namespace

Status validate_digest(std::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos) {
    return invalid_argument("invalid digest \"" + std::string(digest) +
                            "\": expected sha256:<64 lowercase hex digits>");
  }
  if (digest.substr(0, colon) != "sha256") {
    return invalid_argument("unsupported digest algorithm \"" +
                            std::string(digest.substr(0, colon)) + "\" in \"" +
                            std::string(digest) + "\"");
  }
  if (!is_lower_hex64(digest.substr(colon + 1))) {
    return invalid_argument("invalid digest \"" + std::string(digest) +
                            "\": expected sha256:<64 lowercase hex digits>");
  }
  return {};
}

std::string sha256_digest(std::string_view data) {
  internal::HashCtx h;
  hash_update(h, data);
  return hash_final(h);
}

// ---- Writer ----

ContentStore::Writer::Writer(std::string blob_dir, std::string tmp_path, UniqueFd fd,
                             std::unique_ptr<internal::HashCtx> hash)
    : blob_dir_(std::move(blob_dir)),
      tmp_path_(std::move(tmp_path)),
      fd_(std::move(fd)),
      hash_(std::move(hash)) {}

ContentStore::Writer::Writer(Writer&& o) noexcept
    : blob_dir_(std::move(o.blob_dir_)),
      tmp_path_(std::exchange(o.tmp_path_, std::string())),
      fd_(std::move(o.fd_)),
      hash_(std::move(o.hash_)),
      size_(o.size_) {}

ContentStore::Writer& ContentStore::Writer::operator=(Writer&& o) noexcept {
  if (this != &o) {
    abort();
    blob_dir_ = std::move(o.blob_dir_);
    tmp_path_ = std::exchange(o.tmp_path_, std::string());
    fd_ = std::move(o.fd_);
    hash_ = std::move(o.hash_);
    size_ = o.size_;
  }
  return *this;
}

ContentStore::Writer::~Writer() { abort(); }

void ContentStore::Writer::abort() {
  // Unlink before closing: the lock held through fd_ keeps clean_ingest away until the name is
  // gone.
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
  tmp_path_.clear();
  fd_.reset();
}

Status ContentStore::Writer::write(std::string_view data) {
  if (tmp_path_.empty()) return failed_precondition("write: writer is finished");
  BERTH_TRY_CTX(write_all(fd_.get(), data), "writing " + tmp_path_);
  hash_update(*hash_, data);
  size_ += data.size();
  return {};
}

Result<std::string> ContentStore::Writer::commit(std::optional<std::string> expected_digest,
                                                 std::optional<uint64_t> expected_size) {
  if (tmp_path_.empty()) return failed_precondition("commit: writer is finished");
  auto result = finish(expected_digest, expected_size);
  abort();  // removes the temp file unless finish() renamed it away
  return result;
}

Result<std::string> ContentStore::Writer::finish(const std::optional<std::string>& expected_digest,
                                                 std::optional<uint64_t> expected_size) {
  if (expected_digest) BERTH_TRY(validate_digest(*expected_digest));
  if (expected_size && *expected_size != size_) {
    return invalid_argument("size mismatch: expected " + std::to_string(*expected_size) +
                            " bytes, got " + std::to_string(size_));
  }
  std::string digest = hash_final(*hash_);
  if (expected_digest && *expected_digest != digest) {
    return invalid_argument("digest mismatch: expected " + *expected_digest + ", got " + digest);
  }
  std::string target = path_join(blob_dir_, hex_of(digest));
  // Already there (another writer won): it was verified and fsynced before it became visible.
  if (path_exists(target)) return digest;

  if (::fchmod(fd_.get(), 0444) < 0) return sys_error("chmod " + tmp_path_);
  if (::fsync(fd_.get()) < 0) return sys_error("fsync " + tmp_path_);
  // rename(2) replaces an identical blob a concurrent writer may have committed meanwhile.
  if (::rename(tmp_path_.c_str(), target.c_str()) < 0) {
    return sys_error("rename " + tmp_path_ + " to " + target);
  }
  tmp_path_.clear();
  BERTH_TRY(fsync_dir(blob_dir_));
  return digest;
}

// ---- ContentStore ----

Result<ContentStore> ContentStore::open(const std::string& root) {
  std::string blobs = path_join(root, "blobs/sha256");
  std::string ingest = path_join(root, "ingest");
  BERTH_TRY_CTX(mkdir_all(blobs), "opening content store");
  BERTH_TRY_CTX(mkdir_all(ingest), "opening content store");
  return ContentStore(root, std::move(blobs), std::move(ingest));
}

Result<ContentStore::Writer> ContentStore::writer() const {
  BERTH_ASSIGN_OR_RETURN(auto hash, new_hash());
  while (true) {
    std::string tmpl = path_join(ingest_dir_, "XXXXXX");
    int raw = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (raw < 0) return sys_error("creating temp file in " + ingest_dir_);
    UniqueFd fd(raw);
    if (::flock(fd.get(), LOCK_EX) < 0) {
      Error e = sys_error("lock " + tmpl);
      ::unlink(tmpl.c_str());
      return e;
    }
    // clean_ingest in another process may have locked and unlinked the file between mkostemp and
    // flock; then start over with a fresh name.
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return sys_error("stat " + tmpl);
    if (st.st_nlink > 0) return Writer(blob_dir_, std::move(tmpl), std::move(fd), std::move(hash));
  }
}

Result<std::string> ContentStore::put(std::string_view data) const {
  std::string digest = sha256_digest(data);
  if (has(digest)) return digest;
  BERTH_ASSIGN_OR_RETURN(Writer w, writer());
  BERTH_TRY(w.write(data));
  return w.commit(digest, data.size());
}

Result<std::string> ContentStore::import_fd(int fd,
                                            std::optional<std::string> expected_digest) const {
  if (expected_digest) BERTH_TRY(validate_digest(*expected_digest));
  BERTH_ASSIGN_OR_RETURN(Writer w, writer());
  BERTH_TRY_CTX(read_all(fd, [&](std::string_view chunk) { return w.write(chunk); }),
                "importing blob");
  return w.commit(std::move(expected_digest));
}

Result<std::string> ContentStore::checked_path(const std::string& digest) const {
  BERTH_TRY(validate_digest(digest));
  return path_join(blob_dir_, hex_of(digest));
}

std::string ContentStore::path(const std::string& digest) const {
  auto p = checked_path(digest);
  return p.ok() ? std::move(p).value() : std::string();
}

bool ContentStore::has(const std::string& digest) const {
  auto p = checked_path(digest);
  return p.ok() && path_exists(*p);
}

Result<uint64_t> ContentStore::size(const std::string& digest) const {
  BERTH_ASSIGN_OR_RETURN(std::string p, checked_path(digest));
  struct stat st;
  if (::stat(p.c_str(), &st) < 0) return blob_error(sys_error("stat " + p), digest, "sizing");
  return static_cast<uint64_t>(st.st_size);
}

Result<std::string> ContentStore::read(const std::string& digest) const {
  BERTH_ASSIGN_OR_RETURN(std::string p, checked_path(digest));
  auto data = read_file(p);
  if (!data.ok()) return blob_error(std::move(data).error(), digest, "reading");
  return data;
}

Result<UniqueFd> ContentStore::open_blob(const std::string& digest) const {
  BERTH_ASSIGN_OR_RETURN(std::string p, checked_path(digest));
  auto fd = open_file(p, O_RDONLY);
  if (!fd.ok()) return blob_error(std::move(fd).error(), digest, "opening");
  return fd;
}

Status ContentStore::remove(const std::string& digest) const {
  BERTH_ASSIGN_OR_RETURN(std::string p, checked_path(digest));
  if (::unlink(p.c_str()) < 0) return blob_error(sys_error("unlink " + p), digest, "removing");
  return {};
}

Result<std::vector<std::string>> ContentStore::list() const {
  BERTH_ASSIGN_OR_RETURN(auto names, dir_names(blob_dir_));
  std::vector<std::string> out;
  for (auto& n : names) {
    if (is_lower_hex64(n)) out.push_back(std::string(kPrefix) + n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status ContentStore::verify(const std::string& digest) const {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_blob(digest));
  BERTH_ASSIGN_OR_RETURN(auto hash, new_hash());
  BERTH_TRY_CTX(read_all(fd.get(),
                         [&](std::string_view chunk) -> Status {
                           hash_update(*hash, chunk);
                           return {};
                         }),
                "verifying blob " + digest);
  std::string got = hash_final(*hash);
  if (got != digest) {
    return internal_error("blob " + digest + " is corrupt: content hashes to " + got);
  }
  return {};
}

Result<uint64_t> ContentStore::clean_ingest() const {
  BERTH_ASSIGN_OR_RETURN(auto names, dir_names(ingest_dir_));
  uint64_t removed = 0;
  for (const auto& n : names) {
    std::string p = path_join(ingest_dir_, n);
    int raw = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) continue;  // gone meanwhile (committed or aborted), or not ours to open
    UniqueFd fd(raw);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) continue;  // a live writer holds it
    // The writer may have committed (renamed it away) before we got the lock: only unlink the
    // name if it still names the file we locked.
    struct stat by_fd, by_name;
    if (::fstat(fd.get(), &by_fd) < 0 || ::lstat(p.c_str(), &by_name) < 0) continue;
    if (by_fd.st_ino != by_name.st_ino || by_fd.st_dev != by_name.st_dev) continue;
    if (::unlink(p.c_str()) < 0) {
      if (errno == ENOENT) continue;
      return sys_error("unlink " + p);
    }
    ++removed;
  }
  return removed;
}

}  // namespace berth::content
