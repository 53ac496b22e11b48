#include "snapshot/internal/util.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>

namespace berth::snapshot::internal {

Status check_digest(std::string_view d, std::string_view what) {
  constexpr std::string_view kPrefix = "sha256:";
  bool ok = d.size() == kPrefix.size() + 64 && d.substr(0, kPrefix.size()) == kPrefix &&
            std::all_of(d.begin() + kPrefix.size(), d.end(),
                        [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (ok) return {};
  return invalid_argument("invalid " + std::string(what) + " \"" + std::string(d) +
                          "\": expected sha256:<64 lowercase hex digits>");
}

std::string sha256_digest(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

}  // namespace berth::snapshot::internal
