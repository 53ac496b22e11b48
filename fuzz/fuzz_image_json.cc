// Configs, manifests and indexes come from archives and registries: parsing never crashes and
// never throws.
#include <cstdint>
#include <string_view>

#include "oci/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto c = berth::oci::parse_image_config(s);
  if (c.ok()) (void)berth::oci::serialize_image_config(*c);
  auto m = berth::oci::parse_manifest(s);
  if (m.ok()) (void)berth::oci::serialize_manifest(*m);
  auto i = berth::oci::parse_index(s);
  if (i.ok()) (void)berth::oci::serialize_index(*i);
  return 0;
}
