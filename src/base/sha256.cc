// The low-level SHA256_* calls are deprecated in OpenSSL 3 in favour of EVP, but EVP would pull
// the provider machinery (most of libcrypto) into the static link; these stay supported in 3.x.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "base/sha256.h"

namespace berth {

Sha256State::Sha256State() { SHA256_Init(&ctx_); }

void Sha256State::update(const void* data, size_t size) {
  if (size) SHA256_Update(&ctx_, data, size);
}

std::array<unsigned char, Sha256State::kSize> Sha256State::finish() {
  std::array<unsigned char, kSize> md;
  SHA256_Final(md.data(), &ctx_);
  SHA256_Init(&ctx_);
  return md;
}

std::string Sha256State::finish_hex() {
  static constexpr char kHex[] = "0123456789abcdef";
  auto md = finish();
  std::string out(2 * kSize, '0');
  for (size_t i = 0; i < kSize; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
  return out;
}

}  // namespace berth
