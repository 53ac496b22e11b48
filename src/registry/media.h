// Media types a registry serves and the platform choice from an index.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "oci/image.h"

namespace berth::registry {

// The Accept header for manifest requests: OCI index and manifest, Docker manifest list and
// schema2 manifest. Schema 1 is not asked for (registries then answer with schema 2 or fail).
std::string manifest_accept_header();

enum class ManifestKind { kIndex, kImage, kUnknown };
// Classifies by media type, falling back to the JSON's shape when the registry sent a generic
// type ("application/json", "", or text/plain as some registries do): "manifests" -> index,
// "config"+"layers" -> image.
ManifestKind classify_manifest(std::string_view media_type, std::string_view bytes);
// The mediaType field inside a manifest, or "" when absent or not JSON.
std::string embedded_media_type(std::string_view bytes);

// Whether a layer media type is one berth can extract (OCI/Docker tar, gzip, zstd); foreign and
// encrypted layers are not.
bool is_supported_layer(std::string_view media_type);

struct Platform {
  std::string os = "linux";
  std::string architecture;  // "amd64", "arm64"
  std::string variant;       // "v8", "v7", or ""
  std::string string() const;  // "linux/arm64/v8"
};

// The host's platform (linux/<native arch>, with arm64's "v8" as variant).
Platform native_platform();
// "linux/arm64", "linux/arm/v7", "arm64" (os linux). Errors name the value:
// `invalid platform "x": expected os/arch[/variant]`.
Result<Platform> parse_platform(std::string_view s);

// The index entry for `want`: os and architecture must match; a variant, when asked for, must
// match (arm64's "v8" also matches an entry without variant, as containerd does); without one,
// an entry with no variant or the highest default is preferred. nullopt when none fits.
std::optional<oci::Descriptor> choose_platform(const oci::Index& index, const Platform& want);

}  // namespace berth::registry
