// gzip on all cores, pigz-style, for layer blobs (push). The input is cut into blocks of a fixed
// size; each block is deflated on its own thread with the 32 KiB of input before it as a preset
// dictionary and ends on a byte boundary (a sync flush; the last block finishes the stream), so
// the blocks concatenate into one ordinary deflate stream inside one gzip member: `gzip -t`,
// zlib, Go's compress/gzip and every registry read it. The bytes depend only on the input, the
// level and the block size, never on the thread count or on how the input was split into
// write() calls, so a layer's compressed digest is the same on any machine (given zlib's
// version, as for any gzip). Header: no name, mtime 0, OS "Unix".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

struct z_stream_s;  // zlib

namespace berth::archive {

class ParallelGzipWriter {
 public:
  using Sink = std::function<Status(std::string_view)>;
  static constexpr size_t kBlockSize = size_t{1} << 20;

  // threads: 0 = all cores. level: zlib's 1..9.
  explicit ParallelGzipWriter(Sink out, int level = 6, int threads = 0);
  ~ParallelGzipWriter();
  ParallelGzipWriter(const ParallelGzipWriter&) = delete;
  ParallelGzipWriter& operator=(const ParallelGzipWriter&) = delete;

  Status write(std::string_view data);
  // Compresses what is left and writes the trailer; the writer is finished.
  Status finish();
  uint64_t bytes_in() const { return total_; }

 private:
  // Deflates `count` full blocks of pending_ (none of them the last) and writes them.
  Status flush(size_t count, bool last);

  Sink out_;
  int level_;
  size_t threads_;
  std::vector<std::string> pending_;  // full blocks not yet compressed
  std::string cur_;                   // the block being filled
  std::string dict_;                  // the 32 KiB before pending_[0]
  std::vector<std::unique_ptr<std::vector<char>>> bufs_;  // compressed blocks, reused
  std::vector<std::unique_ptr<z_stream_s>> streams_;       // one per worker, reused
  uint32_t crc_ = 0;
  uint64_t total_ = 0;
  bool header_done_ = false, finished_ = false;
};

// Reads `fd` to its end and writes it gzip'd to `out` (ParallelGzipWriter).
Status gzip_fd(int fd, const ParallelGzipWriter::Sink& out, int level = 6, int threads = 0);

}  // namespace berth::archive
