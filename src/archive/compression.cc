#include "archive/archive.h"

namespace berth::archive {

Compression detect_compression(std::string_view magic) {
  auto starts = [&](std::string_view m) { return magic.substr(0, m.size()) == m; };
  using namespace std::string_view_literals;
  if (starts("\x1f\x8b\x08"sv)) return Compression::kGzip;
  if (starts("\x28\xb5\x2f\xfd"sv)) return Compression::kZstd;
  if (starts("\xfd\x37\x7a\x58\x5a\x00"sv)) return Compression::kXz;  // "\xfd" "7zXZ\0"
  // "BZh", a block size digit, then a block or end-of-stream magic: a plain tar whose first
  // name starts with "BZh" must not be taken for bzip2.
  if (starts("BZh"sv) && magic.size() >= 10 && magic[3] >= '1' && magic[3] <= '9' &&
      (magic.substr(4, 6) == "\x31\x41\x59\x26\x53\x59"sv ||
       magic.substr(4, 6) == "\x17\x72\x45\x38\x50\x90"sv))
    return Compression::kBzip2;
  return Compression::kNone;
}

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kXz: return "xz";
    case Compression::kBzip2: return "bzip2";
  }
  return "none";
}

}  // namespace berth::archive
