// Byte-stream plumbing under TarReader/TarWriter: sha256, decompression of an fd, compression
// into a sink, and a per-thread locale switch for libarchive's name conversions.
#pragma once

#include <clocale>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "archive/archive.h"
#include "base/error.h"
#include "base/sha256.h"

namespace berth::archive::internal {

class Sha256 {
 public:
  void update(std::string_view data);
  // "sha256:<hex>". Ends the computation.
  std::string finish();

 private:
  Sha256State state_;
};

// Buffered reads from a borrowed fd, with a look-ahead for sniffing the compression.
class FdInput {
 public:
  explicit FdInput(int fd);
  // Reads until n bytes are buffered or the input ends; returns what is buffered.
  Result<std::string_view> peek(size_t n);
  // The buffered bytes if any, else the next read; empty at the end of the input.
  Result<std::string_view> read();

 private:
  int fd_;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;
};

// Decompressed bytes of an input, chunk by chunk.
class Decoder {
 public:
  virtual ~Decoder() = default;
  // The next chunk (valid until the next call); empty at the end. A truncated or corrupt
  // input is an error: "gzip: truncated input", "zstd: Data corruption detected", ...
  virtual Result<std::string_view> next() = 0;
};

// Sniffs in_fd's compression and returns a decoder for it.
Result<std::unique_ptr<Decoder>> open_decoder(int in_fd, Compression* detected);

using Sink = std::function<Status(std::string_view)>;

// Compresses what it is given into a sink.
class Encoder {
 public:
  virtual ~Encoder() = default;
  virtual Status write(std::string_view data) = 0;
  // Flushes everything and ends the stream.
  virtual Status finish() = 0;
};

// threads: zstd workers (0 = all cores); ignored by the others.
Result<std::unique_ptr<Encoder>> make_encoder(Compression c, int threads, Sink out);

// Switches this thread's locale while libarchive converts names. Reading runs in "C", which
// keeps names' bytes as they are; writing runs in "C.UTF-8", so UTF-8 names get a plain pax
// "path" record (others are written as raw bytes with hdrcharset=BINARY).
class LocaleScope {
 public:
  enum Kind { kBytes, kUtf8 };
  explicit LocaleScope(Kind kind);
  ~LocaleScope();
  LocaleScope(const LocaleScope&) = delete;
  LocaleScope& operator=(const LocaleScope&) = delete;

 private:
  locale_t previous_;
};

}  // namespace berth::archive::internal
