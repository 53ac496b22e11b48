// TarWriter: libarchive writes pax tar bytes to a callback that hashes them (diff_id), and an
// Encoder compresses them into a sink that hashes again (digest) and writes to the fd.
#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "archive/internal/codec.h"
#include "archive/tar.h"
#include "base/fs.h"

// Pulls internal/link_shim.cc into the link ahead of libarchive's own definition (see there).
extern "C" int __archive_write_entry_filetype_unsupported(struct archive*, struct archive_entry*,
                                                          const char*);
[[gnu::used]] static int (*const kLinkShim)(struct archive*, struct archive_entry*, const char*) =
    &__archive_write_entry_filetype_unsupported;

namespace berth::archive {
namespace {

struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<struct archive_entry, EntryDeleter>;

EntryPtr to_archive_entry(const TarEntry& e) {
  EntryPtr x(archive_entry_new());
  if (!x) return x;
  archive_entry_copy_pathname(x.get(), e.name.c_str());
  switch (e.type) {
    case EntryType::kFile:
      archive_entry_set_filetype(x.get(), AE_IFREG);
      archive_entry_set_size(x.get(), static_cast<la_int64_t>(e.size));
      break;
    case EntryType::kDir: archive_entry_set_filetype(x.get(), AE_IFDIR); break;
    case EntryType::kSymlink:
      archive_entry_set_filetype(x.get(), AE_IFLNK);
      archive_entry_copy_symlink(x.get(), e.linkname.c_str());
      break;
    case EntryType::kHardlink:
      archive_entry_set_filetype(x.get(), AE_IFREG);
      archive_entry_copy_hardlink(x.get(), e.linkname.c_str());
      archive_entry_set_size(x.get(), 0);
      break;
    case EntryType::kCharDevice:
    case EntryType::kBlockDevice:
      archive_entry_set_filetype(x.get(), e.type == EntryType::kCharDevice ? AE_IFCHR : AE_IFBLK);
      archive_entry_set_rdevmajor(x.get(), e.dev_major);
      archive_entry_set_rdevminor(x.get(), e.dev_minor);
      break;
    case EntryType::kFifo: archive_entry_set_filetype(x.get(), AE_IFIFO); break;
  }
  archive_entry_set_perm(x.get(), e.mode & 07777);
  archive_entry_set_uid(x.get(), e.uid);
  archive_entry_set_gid(x.get(), e.gid);
  archive_entry_set_mtime(x.get(), e.mtime, e.mtime_nsec);
  for (const auto& [name, value] : e.xattrs) {
    archive_entry_xattr_add_entry(x.get(), name.c_str(), value.data(), value.size());
  }
  return x;
}

}  // namespace

struct TarWriter::Impl {
  int fd = -1;
  internal::Sha256 uncompressed_sha, compressed_sha;
  uint64_t uncompressed_size = 0, compressed_size = 0;
  std::unique_ptr<internal::Encoder> encoder;
  struct archive* a = nullptr;
  std::optional<Error> output_error;
  bool finished = false;
  bool discard = false;
  // add_from_fd's read buffer, allocated once: a zeroed 256 KiB vector per file was an mmap,
  // a memset and an munmap for each of a layer's thousands of small files.
  std::unique_ptr<char[]> read_buf;
  static constexpr size_t kReadBuf = 256 * 1024;

  ~Impl() {
    if (!a) return;
    // Without finish() the fd gets nothing more, in particular no end marker that would make a
    // partial tar look whole: libarchive's close still runs (it frees its buffers only then),
    // into the void.
    discard = true;
    archive_write_free(a);
  }

  Status sink(std::string_view data) {
    compressed_sha.update(data);
    compressed_size += data.size();
    return write_all(fd, data);
  }

  // Never reports failure to libarchive: in its fatal state archive_write_free leaks the
  // client buffers. The error is kept and returned by the next call instead.
  static la_ssize_t write_cb(struct archive*, void* self, const void* buf, size_t size) {
    auto* s = static_cast<Impl*>(self);
    if (s->discard || s->output_error) return static_cast<la_ssize_t>(size);
    std::string_view data(static_cast<const char*>(buf), size);
    s->uncompressed_sha.update(data);
    s->uncompressed_size += size;
    Status st = s->encoder->write(data);
    if (!st.ok()) s->output_error = std::move(st).error();
    return static_cast<la_ssize_t>(size);
  }

  Error error(std::string_view what) const {
    if (output_error) return Error(*output_error).context("writing tar");
    const char* msg = archive_error_string(a);
    return internal_error("writing tar: " + std::string(what) +
                          (msg ? std::string(": ") + msg : ""));
  }

  // The outcome of a libarchive call: its own failure or the output's.
  Status checked(bool ok, std::string_view what) const {
    if (output_error) return Error(*output_error).context("writing tar");
    if (!ok) return error(what);
    return ok_status();
  }

  Status check_open() const {
    if (finished) return failed_precondition("writing tar: already finished");
    if (output_error) return Error(*output_error).context("writing tar");
    return ok_status();
  }

  Status write_header(const TarEntry& e) {
    BERTH_TRY(check_open());
    EntryPtr x = to_archive_entry(e);
    if (!x) return internal_error("writing tar: archive_entry_new failed");
    int r;
    {
      internal::LocaleScope locale(internal::LocaleScope::kUtf8);
      r = archive_write_header(a, x.get());
    }
    // ARCHIVE_WARN: a name that is not UTF-8, written as raw bytes (hdrcharset=BINARY).
    return checked(r == ARCHIVE_OK || r == ARCHIVE_WARN, "header of \"" + e.name + "\"");
  }

  Status write_data(const TarEntry& e, std::string_view data) {
    while (!data.empty()) {
      la_ssize_t n = archive_write_data(a, data.data(), data.size());
      BERTH_TRY(checked(n > 0, "data of \"" + e.name + "\""));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return ok_status();
  }

  Status finish_entry(const TarEntry& e) {
    return checked(archive_write_finish_entry(a) == ARCHIVE_OK, "entry \"" + e.name + "\"");
  }
};

TarWriter::TarWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TarWriter::TarWriter(TarWriter&&) noexcept = default;
TarWriter& TarWriter::operator=(TarWriter&&) noexcept = default;
TarWriter::~TarWriter() = default;

Result<TarWriter> TarWriter::open(int out_fd, Compression compression, int threads) {
  auto impl = std::make_unique<Impl>();
  impl->fd = out_fd;
  Impl* p = impl.get();
  auto encoder = internal::make_encoder(compression, threads,
                                        [p](std::string_view data) { return p->sink(data); });
  if (!encoder.ok()) return std::move(encoder).error().context("writing tar");
  impl->encoder = std::move(*encoder);
  impl->a = archive_write_new();
  if (!impl->a) return internal_error("writing tar: archive_write_new failed");
  // pax_restricted: plain ustar headers unless a value needs a pax record (long names, xattrs,
  // large ids); no padding of the last record, like Go's archive/tar.
  // xattrs as SCHILY.xattr records only (what Go's archive/tar reads), not also duplicated as
  // LIBARCHIVE.xattr.
  if (archive_write_set_format_pax_restricted(impl->a) != ARCHIVE_OK ||
      archive_write_set_format_option(impl->a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(impl->a, 1) != ARCHIVE_OK ||
      archive_write_open(impl->a, p, nullptr, &Impl::write_cb, nullptr) != ARCHIVE_OK)
    return impl->error("opening");
  return TarWriter(std::move(impl));
}

Status TarWriter::add(const TarEntry& e, std::string_view data) {
  uint64_t expected = e.type == EntryType::kFile ? e.size : 0;
  if (data.size() != expected) {
    return invalid_argument("writing tar: entry \"" + e.name + "\" declares " +
                            std::to_string(expected) + " bytes but has " +
                            std::to_string(data.size()));
  }
  BERTH_TRY(impl_->write_header(e));
  BERTH_TRY(impl_->write_data(e, data));
  return impl_->finish_entry(e);
}

Status TarWriter::add_from_fd(const TarEntry& e, int fd) {
  BERTH_TRY(impl_->write_header(e));
  uint64_t left = e.type == EntryType::kFile ? e.size : 0;
  if (left > 0 && !impl_->read_buf) impl_->read_buf.reset(new char[Impl::kReadBuf]);
  char* buf = impl_->read_buf.get();
  while (left > 0) {
    ssize_t n = ::read(fd, buf, static_cast<size_t>(std::min<uint64_t>(left, Impl::kReadBuf)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("writing tar: reading data of \"" + e.name + "\"");
    if (n == 0) break;  // the file shrank: libarchive pads the entry with zeros
    BERTH_TRY(impl_->write_data(e, std::string_view(buf, static_cast<size_t>(n))));
    left -= static_cast<uint64_t>(n);
  }
  return impl_->finish_entry(e);
}

Status TarWriter::add_file(std::string_view name, std::string_view data, uint32_t mode,
                           int64_t mtime) {
  TarEntry e;
  e.name = name;
  e.size = data.size();
  e.mode = mode;
  e.mtime = mtime;
  return add(e, data);
}

Status TarWriter::add_file_from_fd(std::string_view name, int fd, uint64_t size, uint32_t mode,
                                   int64_t mtime) {
  TarEntry e;
  e.name = name;
  e.size = size;
  e.mode = mode;
  e.mtime = mtime;
  return add_from_fd(e, fd);
}

Status TarWriter::add_dir(std::string_view name, uint32_t mode, int64_t mtime) {
  TarEntry e;
  e.name = name;
  e.type = EntryType::kDir;
  e.mode = mode;
  e.mtime = mtime;
  return add(e);
}

Status TarWriter::add_symlink(std::string_view name, std::string_view target, int64_t mtime) {
  TarEntry e;
  e.name = name;
  e.type = EntryType::kSymlink;
  e.linkname = target;
  e.mode = 0777;
  e.mtime = mtime;
  return add(e);
}

Status TarWriter::add_hardlink(std::string_view name, std::string_view target, int64_t mtime) {
  TarEntry e;
  e.name = name;
  e.type = EntryType::kHardlink;
  e.linkname = target;
  e.mtime = mtime;
  return add(e);
}

Result<ExportResult> TarWriter::finish() {
  Impl& s = *impl_;
  BERTH_TRY(s.check_open());
  BERTH_TRY(s.checked(archive_write_close(s.a) == ARCHIVE_OK, "closing"));
  s.finished = true;
  BERTH_TRY_CTX(s.encoder->finish(), "writing tar");
  ExportResult out;
  out.diff_id = s.uncompressed_sha.finish();
  out.digest = s.compressed_sha.finish();
  out.compressed_size = s.compressed_size;
  out.uncompressed_size = s.uncompressed_size;
  return out;
}

}  // namespace berth::archive
