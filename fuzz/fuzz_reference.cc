// Image references from users and archives: parsing never crashes, and what parses prints back
// to a string that parses to the same reference.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto r = berth::image::parse_normalized_named(s);
  if (!r.ok()) return 0;
  auto again = berth::image::parse_normalized_named(r->string());
  if (!again.ok() || !(*again == *r)) std::abort();
  (void)r->familiar_string();
  return 0;
}
