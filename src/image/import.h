// `berth import`: a root file system tarball (plain, gzip, xz, zstd) becomes a one-layer image.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "image/reference.h"
#include "image/store.h"

namespace berth::image {

struct ImportOptions {
  std::vector<std::string> changes;  // Dockerfile lines: CMD, ENV, ...
  std::string message;               // history comment; default "Imported from <source>"
  std::string source = "-";          // file name or "-" for stdin, for the default comment
  std::string platform;              // "linux/amd64" style, empty = native
};

// Validates changes and platform before reading anything, stores the layer, records the image.
Result<ImageRecord> import_tarball(Store& store, int fd, const ImportOptions& opts);

// Stores `fd`'s stream uncompressed as a blob: its digest is the layer's diff id.
Result<std::string> ingest_uncompressed(Store& store, int fd);

// The RFC 3339 text of a unix-nanos time, as image configs carry it.
std::string rfc3339(int64_t unix_nanos);

}  // namespace berth::image
