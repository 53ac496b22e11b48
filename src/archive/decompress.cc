#include "archive/decompress.h"

#include <memory>

#include "archive/internal/codec.h"

namespace berth::archive {

Status decompress(int in_fd, const std::function<Status(std::string_view)>& sink) {
  auto decoder = internal::open_decoder(in_fd, nullptr);
  if (!decoder.ok()) return std::move(decoder).error().context("decompressing");
  while (true) {
    auto chunk = (*decoder)->next();
    if (!chunk.ok()) return std::move(chunk).error().context("decompressing");
    if (chunk->empty()) return ok_status();
    BERTH_TRY(sink(*chunk));
  }
}

}  // namespace berth::archive
