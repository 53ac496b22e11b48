#include "digest/digest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

#include "base/sha256.h"
#include "base/fs.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::digest {
namespace {

constexpr std::string_view kFormatError = "invalid checksum digest format";
constexpr std::string_view kLengthError = "invalid checksum digest length";

// Hex length of each algorithm berth accepts; the same set go-digest registers by default.
size_t hex_length(std::string_view algorithm) {
  if (algorithm == "sha256") return 64;
  if (algorithm == "sha384") return 96;
  if (algorithm == "sha512") return 128;
  return 0;
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// go-digest's shape for any algorithm: `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`. It decides
// between "format" and "unsupported" for algorithms berth does not know.
bool well_formed(std::string_view algorithm, std::string_view encoded) {
  bool after_sep = true;
  for (char c : algorithm) {
    if (is_lower_alnum(c)) {
      after_sep = false;
    } else if ((c == '.' || c == '+' || c == '_' || c == '-') && !after_sep) {
      after_sep = true;
    } else {
      return false;
    }
  }
  if (after_sep) return false;
  for (char c : encoded) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '=' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<Digest> Digest::parse(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) {
    return invalid_argument(std::string(kFormatError));
  }
  std::string_view algorithm = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  size_t want = hex_length(algorithm);
  if (want == 0) {
    if (!well_formed(algorithm, hex)) return invalid_argument(std::string(kFormatError));
    return invalid_argument("unsupported digest algorithm: " + std::string(algorithm));
  }
  if (hex.size() != want) return invalid_argument(std::string(kLengthError));
  if (!is_hex(hex)) return invalid_argument(std::string(kFormatError));
  return Digest(std::string(algorithm), std::string(hex));
}

Result<Digest> Digest::from_sha256_hex(std::string_view hex) {
  return parse("sha256:" + std::string(hex));
}

std::string Digest::str() const {
  if (empty()) return "";
  return algorithm_ + ":" + hex_;
}

struct Sha256::Ctx {
  Sha256State state;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) { ctx_->state.update(data, size); }

Digest Sha256::finish() { return Digest("sha256", ctx_->state.finish_hex()); }

Digest sha256_of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

Result<Digest> sha256_file(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_RDONLY));
  Sha256 h;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read " + path);
    }
    if (n == 0) break;
    h.update(buf, static_cast<size_t>(n));
  }
  return h.finish();
}

}  // namespace berth::digest
