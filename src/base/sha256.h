// SHA-256, linked from OpenSSL's static libcrypto.a.
//
// Only OpenSSL's sha256 objects and its CPU feature probe come in (~40 KB; SHA-NI and AVX2 code
// paths included), so hashing needs no dlopen of the shared libcrypto, whose ~21000 relocations
// cost a `build` that hashes anything about 5 ms and a hundred page faults. The shared libcrypto
// is still loaded for what only it has (base64, CA files: base/libcrypto.h). The static symbols
// are hidden (--exclude-libs), so they never interpose on the shared library's.
#pragma once

#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <string>

namespace berth {

class Sha256State {
 public:
  static constexpr size_t kSize = 32;
  Sha256State();
  void update(const void* data, size_t size);
  // The digest of everything given since construction or the last finish; starts over.
  std::array<unsigned char, kSize> finish();
  // The same as 64 lowercase hex digits.
  std::string finish_hex();

 private:
  SHA256_CTX ctx_;
};

}  // namespace berth
