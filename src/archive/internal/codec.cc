#include "archive/internal/codec.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdlib>
#include <thread>
#include <utility>


namespace berth::archive::internal {
namespace {

constexpr size_t kBufSize = 256 * 1024;

Error gzip_error(const char* what) {
  return invalid_argument(std::string("gzip: ") + (what ? what : "corrupt input"));
}

// zlib's inflate in gzip mode checks each member's CRC-32 and length; libarchive's gzip reader
// does not, so berth decodes gzip itself (Docker's Go reader checks them too).
class GzipDecoder : public Decoder {
 public:
  explicit GzipDecoder(FdInput input) : input_(std::move(input)), out_(kBufSize) {}
  ~GzipDecoder() override {
    if (initialized_) inflateEnd(&z_);
  }

  Status init() {
    if (inflateInit2(&z_, 15 + 16) != Z_OK) return internal_error("gzip: inflateInit2 failed");
    initialized_ = true;
    return ok_status();
  }

  Result<std::string_view> next() override {
    while (true) {
      if (z_.avail_in == 0) {
        BERTH_ASSIGN_OR_RETURN(std::string_view in, input_.read());
        if (in.empty()) {
          if (in_member_) return gzip_error("truncated input");
          return std::string_view();
        }
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z_.avail_in = static_cast<uInt>(in.size());
      }
      in_member_ = true;
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = static_cast<uInt>(out_.size());
      int r = inflate(&z_, Z_NO_FLUSH);
      size_t produced = out_.size() - z_.avail_out;
      if (r == Z_STREAM_END) {
        // Another member may follow (pigz, concatenated files); garbage fails its header check.
        in_member_ = false;
        inflateReset(&z_);
      } else if (r != Z_OK && !(r == Z_BUF_ERROR && z_.avail_in == 0)) {
        return gzip_error(z_.msg);
      }
      if (produced > 0) return std::string_view(out_.data(), produced);
    }
  }

 private:
  FdInput input_;
  std::vector<char> out_;
  z_stream z_{};
  bool initialized_ = false;
  bool in_member_ = false;
};

class ZstdDecoder : public Decoder {
 public:
  explicit ZstdDecoder(FdInput input)
      : input_(std::move(input)), out_(ZSTD_DStreamOutSize()), dctx_(ZSTD_createDCtx()) {}
  ~ZstdDecoder() override { ZSTD_freeDCtx(dctx_); }

  Status init() {
    if (!dctx_) return internal_error("zstd: cannot create a decompression context");
    return ok_status();
  }

  Result<std::string_view> next() override {
    while (true) {
      // A full output buffer may leave decoded bytes inside zstd: drain before reading more.
      if (in_.pos == in_.size && !output_was_full_) {
        BERTH_ASSIGN_OR_RETURN(std::string_view in, input_.read());
        if (in.empty()) {
          if (frame_open_) return invalid_argument("zstd: truncated input");
          return std::string_view();
        }
        in_ = ZSTD_inBuffer{in.data(), in.size(), 0};
      }
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      size_t r = ZSTD_decompressStream(dctx_, &out, &in_);
      if (ZSTD_isError(r)) return invalid_argument(std::string("zstd: ") + ZSTD_getErrorName(r));
      frame_open_ = r != 0;
      output_was_full_ = out.pos == out.size;
      if (out.pos > 0) return std::string_view(out_.data(), out.pos);
    }
  }

 private:
  FdInput input_;
  std::vector<char> out_;
  ZSTD_DCtx* dctx_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  bool frame_open_ = false;
  bool output_was_full_ = false;
};

// xz and bzip2 through libarchive's "raw" format; liblzma and libbz2 verify their checksums.
// Only these two filters are enabled, so libarchive never starts an external program.
class LibarchiveDecoder : public Decoder {
 public:
  explicit LibarchiveDecoder(FdInput input) : input_(std::move(input)), a_(archive_read_new()) {}
  ~LibarchiveDecoder() override { archive_read_free(a_); }

  Status init() {
    if (!a_) return internal_error("archive_read_new failed");
    archive_read_support_filter_xz(a_);
    archive_read_support_filter_bzip2(a_);
    archive_read_support_format_raw(a_);
    if (archive_read_open(a_, this, nullptr, &LibarchiveDecoder::read_cb, nullptr) != ARCHIVE_OK)
      return error("opening stream");
    archive_entry* entry = nullptr;
    if (archive_read_next_header(a_, &entry) != ARCHIVE_OK) return error("reading stream");
    return ok_status();
  }

  Result<std::string_view> next() override {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(a_, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) return std::string_view();
    if (r != ARCHIVE_OK) return error("decompressing");
    return std::string_view(static_cast<const char*>(buf), size);
  }

 private:
  static la_ssize_t read_cb(struct archive* a, void* self, const void** buf) {
    auto* d = static_cast<LibarchiveDecoder*>(self);
    auto in = d->input_.read();
    if (!in.ok()) {
      d->input_error_ = in.error().message();
      archive_set_error(a, EIO, "%s", d->input_error_.c_str());
      return -1;
    }
    *buf = in->data();
    return static_cast<la_ssize_t>(in->size());
  }

  Error error(std::string_view what) {
    if (!input_error_.empty()) return Error(Code::kUnavailable, input_error_);
    const char* msg = archive_error_string(a_);
    return invalid_argument(std::string(what) + ": " + (msg ? msg : "truncated or corrupt input"));
  }

  FdInput input_;
  struct archive* a_;
  std::string input_error_;
};

class PlainDecoder : public Decoder {
 public:
  explicit PlainDecoder(FdInput input) : input_(std::move(input)) {}
  Result<std::string_view> next() override { return input_.read(); }

 private:
  FdInput input_;
};

template <typename D>
Result<std::unique_ptr<Decoder>> init_decoder(FdInput input) {
  auto d = std::make_unique<D>(std::move(input));
  BERTH_TRY(d->init());
  return std::unique_ptr<Decoder>(std::move(d));
}

class PassEncoder : public Encoder {
 public:
  explicit PassEncoder(Sink out) : out_(std::move(out)) {}
  Status write(std::string_view data) override { return out_(data); }
  Status finish() override { return ok_status(); }

 private:
  Sink out_;
};

// Single-threaded: a parallel gzip (pigz-style) would not give zlib's bytes, and layer digests
// must not depend on the tool that made them. Header: no name, mtime 0, OS "Unix".
class GzipEncoder : public Encoder {
 public:
  explicit GzipEncoder(Sink out) : out_(std::move(out)), buf_(kBufSize) {}
  ~GzipEncoder() override {
    if (initialized_) deflateEnd(&z_);
  }

  Status init() {
    if (deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
      return internal_error("gzip: deflateInit2 failed");
    initialized_ = true;
    return ok_status();
  }

  Status write(std::string_view data) override { return run(data, Z_NO_FLUSH); }
  Status finish() override { return run({}, Z_FINISH); }

 private:
  Status run(std::string_view data, int flush) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());
    while (true) {
      z_.next_out = reinterpret_cast<Bytef*>(buf_.data());
      z_.avail_out = static_cast<uInt>(buf_.size());
      int r = deflate(&z_, flush);
      if (r == Z_STREAM_ERROR) return internal_error("gzip: deflate failed");
      size_t produced = buf_.size() - z_.avail_out;
      if (produced > 0) BERTH_TRY(out_(std::string_view(buf_.data(), produced)));
      if (flush == Z_FINISH ? r == Z_STREAM_END : z_.avail_in == 0 && z_.avail_out != 0)
        return ok_status();
    }
  }

  Sink out_;
  std::vector<char> buf_;
  z_stream z_{};
  bool initialized_ = false;
};

// zstd's multi-threaded mode gives the same bytes for any number of workers >= 1 (but not the
// same as 0 workers), so at least one worker is always used: the digest never depends on the
// machine's core count.
class ZstdEncoder : public Encoder {
 public:
  ZstdEncoder(Sink out, int threads)
      : out_(std::move(out)),
        buf_(ZSTD_CStreamOutSize()),
        cctx_(ZSTD_createCCtx()),
        threads_(threads) {}
  ~ZstdEncoder() override { ZSTD_freeCCtx(cctx_); }

  Status init() {
    if (!cctx_) return internal_error("zstd: cannot create a compression context");
    int workers = threads_ > 0 ? threads_ : static_cast<int>(std::thread::hardware_concurrency());
    if (workers < 1) workers = 1;
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, ZSTD_CLEVEL_DEFAULT);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
    size_t r = ZSTD_CCtx_setParameter(cctx_, ZSTD_c_nbWorkers, workers);
    if (ZSTD_isError(r)) {
      return internal_error(std::string("zstd: multi-threading unavailable: ") +
                            ZSTD_getErrorName(r));
    }
    return ok_status();
  }

  Status write(std::string_view data) override { return run(data, ZSTD_e_continue); }
  Status finish() override { return run({}, ZSTD_e_end); }

 private:
  Status run(std::string_view data, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    while (true) {
      ZSTD_outBuffer out{buf_.data(), buf_.size(), 0};
      size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(left))
        return internal_error(std::string("zstd: ") + ZSTD_getErrorName(left));
      if (out.pos > 0) BERTH_TRY(out_(std::string_view(buf_.data(), out.pos)));
      if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) return ok_status();
    }
  }

  Sink out_;
  std::vector<char> buf_;
  ZSTD_CCtx* cctx_;
  int threads_;
};

locale_t locale_for(LocaleScope::Kind kind) {
  static const locale_t bytes = newlocale(LC_ALL_MASK, "C", nullptr);
  static const locale_t utf8 = [] {
    locale_t l = newlocale(LC_ALL_MASK, "C.UTF-8", nullptr);
    return l ? l : bytes;
  }();
  return kind == LocaleScope::kUtf8 ? utf8 : bytes;
}

}  // namespace

void Sha256::update(std::string_view data) { state_.update(data.data(), data.size()); }

std::string Sha256::finish() { return "sha256:" + state_.finish_hex(); }

FdInput::FdInput(int fd) : fd_(fd), buf_(kBufSize) {}

Result<std::string_view> FdInput::peek(size_t n) {
  while (end_ - begin_ < n) {
    if (begin_ > 0) {
      std::copy(buf_.begin() + begin_, buf_.begin() + end_, buf_.begin());
      end_ -= begin_;
      begin_ = 0;
    }
    ssize_t r = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return sys_error("read");
    if (r == 0) break;
    end_ += static_cast<size_t>(r);
  }
  return std::string_view(buf_.data() + begin_, end_ - begin_);
}

Result<std::string_view> FdInput::read() {
  if (end_ > begin_) {
    std::string_view out(buf_.data() + begin_, end_ - begin_);
    begin_ = end_ = 0;
    return out;
  }
  while (true) {
    ssize_t r = ::read(fd_, buf_.data(), buf_.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return sys_error("read");
    return std::string_view(buf_.data(), static_cast<size_t>(r));
  }
}

Result<std::unique_ptr<Decoder>> open_decoder(int in_fd, Compression* detected) {
  FdInput input(in_fd);
  BERTH_ASSIGN_OR_RETURN(std::string_view head, input.peek(10));
  Compression c = detect_compression(head);
  if (detected) *detected = c;
  switch (c) {
    case Compression::kGzip: return init_decoder<GzipDecoder>(std::move(input));
    case Compression::kZstd: return init_decoder<ZstdDecoder>(std::move(input));
    case Compression::kXz:
    case Compression::kBzip2: return init_decoder<LibarchiveDecoder>(std::move(input));
    case Compression::kNone: break;
  }
  return std::unique_ptr<Decoder>(std::make_unique<PlainDecoder>(std::move(input)));
}

Result<std::unique_ptr<Encoder>> make_encoder(Compression c, int threads, Sink out) {
  switch (c) {
    case Compression::kNone: return std::unique_ptr<Encoder>(new PassEncoder(std::move(out)));
    case Compression::kGzip: {
      auto e = std::make_unique<GzipEncoder>(std::move(out));
      BERTH_TRY(e->init());
      return std::unique_ptr<Encoder>(std::move(e));
    }
    case Compression::kZstd: {
      auto e = std::make_unique<ZstdEncoder>(std::move(out), threads);
      BERTH_TRY(e->init());
      return std::unique_ptr<Encoder>(std::move(e));
    }
    case Compression::kXz:
    case Compression::kBzip2: break;
  }
  return unimplemented("writing " + std::string(compression_name(c)) + " is not supported");
}

LocaleScope::LocaleScope(Kind kind) : previous_(uselocale(locale_for(kind))) {}
LocaleScope::~LocaleScope() { uselocale(previous_); }

}  // namespace berth::archive::internal
