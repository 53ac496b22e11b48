#include "archive/parallel_gzip.h"

#include <unistd.h>
#include <zlib.h>

#include <memory>

#include <algorithm>
#include <atomic>
#include <thread>

namespace berth::archive {
namespace {

constexpr size_t kWindow = 32768;

struct Block {
  std::string_view in, dict;
  std::vector<char>* out = nullptr;  // reused between batches: no allocation, no zeroing
  size_t out_len = 0;
  uint32_t crc = 0;
  bool ok = false;
};

// One block as raw deflate, primed with the window before it, ending byte-aligned (sync flush)
// or, for the last block, with the final block bit set. `z` is the worker's stream, reset here
// (deflateReset keeps its tables: a fresh deflateInit2 per block costs more than the deflate).
void deflate_block(z_stream& z, Block& b, bool last) {
  if (deflateReset(&z) != Z_OK) return;
  if (!b.dict.empty() &&
      deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(b.dict.data()),
                           static_cast<uInt>(b.dict.size())) != Z_OK)
    return;
  std::vector<char>& out = *b.out;
  size_t need = deflateBound(&z, b.in.size()) + 64;
  if (out.size() < need) out.resize(need);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(b.in.data()));
  z.avail_in = static_cast<uInt>(b.in.size());
  size_t done = 0;
  while (true) {
    if (done == out.size()) out.resize(out.size() * 2);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + done);
    z.avail_out = static_cast<uInt>(out.size() - done);
    int r = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
    done = out.size() - z.avail_out;
    if (r == Z_STREAM_ERROR) return;
    if (last ? r == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0)) break;
  }
  b.out_len = done;
  b.crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(b.in.data()), static_cast<uInt>(b.in.size())));
  b.ok = true;
}

void put_le32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

ParallelGzipWriter::~ParallelGzipWriter() {
  for (auto& z : streams_) deflateEnd(z.get());
}

ParallelGzipWriter::ParallelGzipWriter(Sink out, int level, int threads)
    : out_(std::move(out)),
      level_(std::clamp(level, 1, 9)),
      threads_(threads > 0 ? static_cast<size_t>(threads)
                           : std::max<size_t>(1, std::thread::hardware_concurrency())) {}

Status ParallelGzipWriter::write(std::string_view data) {
  if (finished_) return failed_precondition("gzip: write after finish");
  total_ += data.size();
  while (!data.empty()) {
    size_t n = std::min(data.size(), kBlockSize - cur_.size());
    if (cur_.capacity() < kBlockSize) cur_.reserve(kBlockSize);
    cur_.append(data.substr(0, n));
    data.remove_prefix(n);
    if (cur_.size() == kBlockSize) {
      pending_.push_back(std::move(cur_));
      cur_.clear();
      // Keep the newest full block back: it is the last one if no more data comes.
      if (pending_.size() > 2 * threads_) BERTH_TRY(flush(pending_.size() - 1, false));
    }
  }
  return {};
}

Status ParallelGzipWriter::flush(size_t count, bool last) {
  if (!header_done_) {
    BERTH_TRY(out_(std::string_view("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10)));
    header_done_ = true;
  }
  std::vector<Block> blocks(count);
  for (size_t i = 0; i < count; ++i) {
    blocks[i].in = pending_[i];
    if (i == 0) {
      blocks[i].dict = dict_;
    } else {
      std::string_view prev = pending_[i - 1];
      blocks[i].dict = prev.substr(prev.size() > kWindow ? prev.size() - kWindow : 0);
    }
  }
  while (bufs_.size() < count) bufs_.push_back(std::make_unique<std::vector<char>>());
  for (size_t i = 0; i < count; ++i) blocks[i].out = bufs_[i].get();
  size_t n = std::min(threads_, count);
  while (streams_.size() < n) {
    auto z = std::make_unique<z_stream>();
    *z = z_stream{};
    if (deflateInit2(z.get(), level_, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return internal_error("gzip: deflateInit2 failed");
    streams_.push_back(std::move(z));
  }
  std::atomic<size_t> next{0};
  auto work = [&](size_t t) {
    for (size_t i; (i = next++) < count;) deflate_block(*streams_[t], blocks[i], last && i + 1 == count);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < n; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& t : pool) t.join();
  for (size_t i = 0; i < count; ++i) {
    if (!blocks[i].ok) return internal_error("gzip: deflate failed");
    crc_ = static_cast<uint32_t>(
        crc32_combine(crc_, blocks[i].crc, static_cast<z_off_t>(blocks[i].in.size())));
    BERTH_TRY(out_(std::string_view(blocks[i].out->data(), blocks[i].out_len)));
  }
  if (count > 0) {
    std::string_view tail = pending_[count - 1];
    if (tail.size() >= kWindow) {
      dict_ = std::string(tail.substr(tail.size() - kWindow));
    } else {
      dict_ = (dict_ + std::string(tail));
      if (dict_.size() > kWindow) dict_ = dict_.substr(dict_.size() - kWindow);
    }
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
  return {};
}

Status ParallelGzipWriter::finish() {
  if (finished_) return failed_precondition("gzip: finished twice");
  // The last block: the partial one, or the last full one when the input ended on a boundary
  // (an empty input gives one empty final block).
  if (!cur_.empty() || pending_.empty()) pending_.push_back(std::move(cur_));
  cur_.clear();
  BERTH_TRY(flush(pending_.size(), true));
  finished_ = true;
  std::string trailer;
  put_le32(trailer, crc_);
  put_le32(trailer, static_cast<uint32_t>(total_ & 0xffffffffu));
  return out_(trailer);
}

Status gzip_fd(int fd, const ParallelGzipWriter::Sink& out, int level, int threads) {
  ParallelGzipWriter w(out, level, threads);
  std::string buf(ParallelGzipWriter::kBlockSize, '\0');
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("gzip: read");
    if (n == 0) break;
    BERTH_TRY(w.write(std::string_view(buf.data(), static_cast<size_t>(n))));
  }
  return w.finish();
}

}  // namespace berth::archive
