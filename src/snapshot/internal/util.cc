#include "snapshot/internal/util.h"

#include "digest/digest.h"

namespace berth::snapshot::internal {

Status check_digest(std::string_view d, std::string_view what) {
  auto parsed = digest::Digest::parse(d);
  if (parsed.ok() && parsed->algorithm() == "sha256") return {};
  return invalid_argument("invalid " + std::string(what) + " \"" + std::string(d) +
                          "\": expected sha256:<64 lowercase hex digits>");
}

std::string sha256_digest(std::string_view data) { return digest::sha256_of(data).str(); }

}  // namespace berth::snapshot::internal
