// TarReader: decompression (internal::Decoder) feeds a hash and then libarchive's tar parser
// through its read callback, so the diff_id is computed in the same single pass as extraction.
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>

#include "archive/internal/codec.h"
#include "archive/internal/safe_path.h"
#include "archive/tar.h"
#include "base/fs.h"

namespace berth::archive {
namespace {

Result<EntryType> entry_type(struct archive_entry* e) {
  if (archive_entry_hardlink(e) != nullptr) return EntryType::kHardlink;
  switch (archive_entry_filetype(e)) {
    case AE_IFREG: return EntryType::kFile;
    case AE_IFDIR: return EntryType::kDir;
    case AE_IFLNK: return EntryType::kSymlink;
    case AE_IFCHR: return EntryType::kCharDevice;
    case AE_IFBLK: return EntryType::kBlockDevice;
    case AE_IFIFO: return EntryType::kFifo;
    default: break;
  }
  return invalid_argument("reading tar: entry \"" + std::string(archive_entry_pathname(e)) +
                          "\" has an unsupported type");
}

Result<TarEntry> to_tar_entry(struct archive_entry* e) {
  const char* name = archive_entry_pathname(e);
  if (name == nullptr || *name == '\0')
    return invalid_argument("reading tar: entry without a name");
  TarEntry out;
  out.name = name;
  BERTH_ASSIGN_OR_RETURN(out.type, entry_type(e));
  if (out.type == EntryType::kFile) {
    la_int64_t size = archive_entry_size(e);
    if (size < 0)
      return invalid_argument("reading tar: entry \"" + out.name + "\" has a negative size");
    out.size = static_cast<uint64_t>(size);
  }
  const char* link = out.type == EntryType::kHardlink  ? archive_entry_hardlink(e)
                     : out.type == EntryType::kSymlink ? archive_entry_symlink(e)
                                                       : nullptr;
  if (link) out.linkname = link;
  out.mode = archive_entry_perm(e) & 07777;
  out.uid = static_cast<uint32_t>(archive_entry_uid(e));
  out.gid = static_cast<uint32_t>(archive_entry_gid(e));
  out.mtime = archive_entry_mtime(e);
  out.mtime_nsec = static_cast<uint32_t>(archive_entry_mtime_nsec(e));
  out.dev_major = static_cast<uint32_t>(archive_entry_rdevmajor(e));
  out.dev_minor = static_cast<uint32_t>(archive_entry_rdevminor(e));
  archive_entry_xattr_reset(e);
  const char* xname = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
    // libarchive's pax writer stores each xattr twice (LIBARCHIVE.xattr and SCHILY.xattr
    // records) and its reader returns both.
    std::string_view n(xname);
    auto same = [&](const auto& x) { return x.first == n; };
    if (std::find_if(out.xattrs.begin(), out.xattrs.end(), same) != out.xattrs.end()) continue;
    out.xattrs.emplace_back(xname, std::string(static_cast<const char*>(value), size));
  }
  return out;
}

}  // namespace

struct TarReader::Impl {
  std::unique_ptr<internal::Decoder> decoder;
  Compression compression = Compression::kNone;
  internal::Sha256 sha;
  uint64_t total = 0;
  struct archive* a = nullptr;
  std::optional<Error> input_error;
  bool input_done = false;
  bool at_end = false;
  bool finished = false;
  bool has_entry = false;
  uint64_t entry_size = 0;

  ~Impl() {
    if (a) archive_read_free(a);
  }

  static la_ssize_t read_cb(struct archive* a, void* self, const void** buf) {
    auto* s = static_cast<Impl*>(self);
    if (s->input_done) return 0;
    auto chunk = s->decoder->next();
    if (!chunk.ok()) {
      s->input_error = std::move(chunk).error();
      archive_set_error(a, EIO, "%s", s->input_error->message().c_str());
      return -1;
    }
    if (chunk->empty()) {
      s->input_done = true;
      return 0;
    }
    s->sha.update(*chunk);
    s->total += chunk->size();
    *buf = chunk->data();
    return static_cast<la_ssize_t>(chunk->size());
  }

  // A decoding error explains a failure better than libarchive's view of it ("truncated").
  Error error(std::string_view what) const {
    if (input_error) return Error(*input_error).context("reading tar");
    const char* msg = archive_error_string(a);
    return invalid_argument("reading tar: " + std::string(what) +
                            (msg ? std::string(": ") + msg : ""));
  }
};

TarReader::TarReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TarReader::TarReader(TarReader&&) noexcept = default;
TarReader& TarReader::operator=(TarReader&&) noexcept = default;
TarReader::~TarReader() = default;

Result<TarReader> TarReader::open(int in_fd) {
  auto impl = std::make_unique<Impl>();
  auto decoder = internal::open_decoder(in_fd, &impl->compression);
  if (!decoder.ok()) return std::move(decoder).error().context("reading tar");
  impl->decoder = std::move(*decoder);
  impl->a = archive_read_new();
  if (!impl->a) return internal_error("reading tar: archive_read_new failed");
  // Tar formats only, and no libarchive filters: decompression happened above. An empty input
  // is an archive without entries, as for Go's archive/tar (and so for Docker).
  archive_read_support_format_tar(impl->a);
  archive_read_support_format_empty(impl->a);
  // Opening already reads the first header block to recognize the format.
  if (archive_read_open(impl->a, impl.get(), nullptr, &Impl::read_cb, nullptr) != ARCHIVE_OK)
    return impl->error("reading header");
  return TarReader(std::move(impl));
}

Compression TarReader::compression() const { return impl_->compression; }

Result<std::optional<TarEntry>> TarReader::next() {
  Impl& s = *impl_;
  if (s.at_end || s.finished) return std::optional<TarEntry>();
  struct archive_entry* e = nullptr;
  internal::LocaleScope locale(internal::LocaleScope::kBytes);
  int r = archive_read_next_header(s.a, &e);
  s.has_entry = false;
  if (r == ARCHIVE_EOF) {
    s.at_end = true;
    return std::optional<TarEntry>();
  }
  // ARCHIVE_WARN is about name charset conversion; the bytes are kept as they are.
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return s.error("reading header");
  BERTH_ASSIGN_OR_RETURN(TarEntry entry, to_tar_entry(e));
  s.has_entry = true;
  s.entry_size = entry.size;
  return std::optional<TarEntry>(std::move(entry));
}

Status TarReader::read_blocks(
    const std::function<Status(uint64_t offset, std::string_view data)>& fn) {
  Impl& s = *impl_;
  if (!s.has_entry) return failed_precondition("reading tar: no current entry");
  while (true) {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(s.a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) return ok_status();
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return s.error("reading data");
    if (size > 0) {
      BERTH_TRY(fn(static_cast<uint64_t>(offset), {static_cast<const char*>(buf), size}));
    }
  }
}

Status TarReader::read_data(const std::function<Status(std::string_view data)>& fn) {
  static const std::string kZeros(64 * 1024, '\0');
  uint64_t pos = 0;
  auto fill_to = [&](uint64_t end) -> Status {
    while (pos < end) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(end - pos, kZeros.size()));
      BERTH_TRY(fn(std::string_view(kZeros.data(), n)));
      pos += n;
    }
    return ok_status();
  };
  BERTH_TRY(read_blocks([&](uint64_t offset, std::string_view data) -> Status {
    BERTH_TRY(fill_to(offset));
    pos += data.size();
    return fn(data);
  }));
  return fill_to(impl_->entry_size);
}

Status TarReader::copy_data_to(int out_fd) {
  return read_data([out_fd](std::string_view data) { return write_all(out_fd, data); });
}

Result<std::string> TarReader::read_data_string(uint64_t max_size) {
  if (impl_->entry_size > max_size) {
    return invalid_argument("reading tar: entry of " + std::to_string(impl_->entry_size) +
                            " bytes exceeds the limit of " + std::to_string(max_size));
  }
  std::string out;
  out.reserve(impl_->entry_size);
  BERTH_TRY(read_data([&out](std::string_view data) {
    out.append(data);
    return ok_status();
  }));
  return out;
}

Result<StreamInfo> TarReader::finish() {
  Impl& s = *impl_;
  if (s.finished) return failed_precondition("reading tar: finish() called twice");
  while (!s.at_end) {
    BERTH_ASSIGN_OR_RETURN(auto entry, next());
    (void)entry;
  }
  // Whatever follows the end marker is part of the layer blob and of its diff_id.
  while (!s.input_done) {
    auto chunk = s.decoder->next();
    if (!chunk.ok()) return std::move(chunk).error().context("reading tar");
    if (chunk->empty()) break;
    s.sha.update(*chunk);
    s.total += chunk->size();
  }
  s.input_done = true;
  s.finished = true;
  s.has_entry = false;
  return StreamInfo{s.sha.finish(), s.total, s.compression};
}

Status for_each_entry(int in_fd, const std::function<Status(const TarEntry&, TarReader&)>& fn) {
  BERTH_ASSIGN_OR_RETURN(TarReader reader, TarReader::open(in_fd));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(std::optional<TarEntry> entry, reader.next());
    if (!entry) return ok_status();
    BERTH_TRY(fn(*entry, reader));
  }
}

Result<std::string> read_member(int in_fd, std::string_view name, uint64_t max_size) {
  std::optional<std::string> wanted = internal::clean_path(name);
  BERTH_ASSIGN_OR_RETURN(TarReader reader, TarReader::open(in_fd));
  while (wanted) {
    BERTH_ASSIGN_OR_RETURN(std::optional<TarEntry> entry, reader.next());
    if (!entry) break;
    if (internal::clean_path(entry->name) != wanted) continue;
    if (entry->type != EntryType::kFile) {
      return invalid_argument("tar member \"" + std::string(name) + "\" is not a regular file");
    }
    auto data = reader.read_data_string(max_size);
    if (!data.ok())
      return std::move(data).error().context("tar member \"" + std::string(name) + "\"");
    return data;
  }
  return not_found("tar member \"" + std::string(name) + "\" not found");
}

}  // namespace berth::archive
