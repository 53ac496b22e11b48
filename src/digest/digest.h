// Content digests ("sha256:<hex>") and SHA-256 hashing.
//
// A Digest is always valid once constructed through parse() or a hasher: its algorithm is one
// berth can compute or verify (sha256, sha384, sha512) and its hex part has that algorithm's exact
// length in lowercase. A default-constructed Digest is the empty digest (empty() is true); it
// exists only so records holding a digest can be default-constructed, and str() of it is "". Parse
// errors are Code::kInvalidArgument with go-digest's texts, so messages match Docker's.
// Thread-safety: Digest is a value type; a Sha256 object must not be shared between threads.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::digest {

class Digest {
 public:
  Digest() = default;

  // Accepts "<algorithm>:<hex>". Errors:
  //   "invalid checksum digest format"   no ':', empty part, or hex not lowercase [0-9a-f]
  //   "invalid checksum digest length"   hex length not 64 (sha256), 96 (sha384), 128 (sha512)
  //   "unsupported digest algorithm: x"  a well-formed digest with another algorithm
  static Result<Digest> parse(std::string_view s);
  // A sha256 digest from its 64 lowercase hex characters (e.g. an image id without "sha256:").
  static Result<Digest> from_sha256_hex(std::string_view hex);

  const std::string& algorithm() const { return algorithm_; }
  const std::string& hex() const { return hex_; }
  // "sha256:<hex>"; "" for the empty digest.
  std::string str() const;
  // The first 12 hex characters, as `docker images` shows ids.
  std::string short_id() const { return hex_.substr(0, 12); }
  bool empty() const { return hex_.empty(); }

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;

 private:
  Digest(std::string algorithm, std::string hex)
      : algorithm_(std::move(algorithm)), hex_(std::move(hex)) {}
  friend class Sha256;

  std::string algorithm_;
  std::string hex_;
};

// Incremental SHA-256 (OpenSSL EVP). finish() returns the digest of everything given to update()
// and resets the hasher, so one object can hash several streams in turn. OpenSSL failures here
// can only come from running out of memory; they abort the process. A moved-from Sha256 may only
// be assigned to or destroyed.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data) { update(data.data(), data.size()); }
  void update(const void* data, size_t size);
  Digest finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

Digest sha256_of(std::string_view data);
// Hashes a file by streaming it; errors are the open/read errno ("read <path>: ...").
Result<Digest> sha256_file(const std::string& path);

}  // namespace berth::digest

template <>
struct std::hash<berth::digest::Digest> {
  size_t operator()(const berth::digest::Digest& d) const noexcept {
    // The hex of a cryptographic digest is already uniformly distributed.
    return std::hash<std::string>()(d.hex()) ^ std::hash<std::string>()(d.algorithm());
  }
};
