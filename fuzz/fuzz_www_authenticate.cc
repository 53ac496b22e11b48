// WWW-Authenticate headers and manifests come from registries, which berth does not trust:
// parsing never crashes, every challenge has a lowercase scheme, and classifying the same bytes
// as a manifest never crashes either.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "registry/challenge.h"
#include "registry/media.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  for (const auto& c : berth::registry::parse_www_authenticate(s)) {
    if (c.scheme.empty()) std::abort();
    for (char ch : c.scheme)
      if (std::isupper(static_cast<unsigned char>(ch))) std::abort();
  }
  (void)berth::registry::classify_manifest("application/json", s);
  return 0;
}
