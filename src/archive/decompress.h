// Stream decompression without tar parsing (e.g. a compressed layer blob -> its diff_id blob).
#pragma once

#include <functional>
#include <string_view>

#include "base/error.h"

namespace berth::archive {

// Reads in_fd to its end and gives the decompressed bytes (gzip, zstd, xz, bzip2, detected from
// the first bytes; anything else passes through unchanged) to `sink` in order. Checksums are
// verified; a corrupt or truncated stream is kInvalidArgument ("decompressing: gzip: truncated
// input"). Empty input gives no bytes. sink's first error stops and is returned as is.
Status decompress(int in_fd, const std::function<Status(std::string_view)>& sink);

}  // namespace berth::archive
