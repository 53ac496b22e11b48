#include "registry/media.h"

#include "base/strings.h"

namespace berth::registry {

std::string manifest_accept_header() {
  return std::string(oci::kMediaTypeOciIndex) + ", " + oci::kMediaTypeOciManifest + ", " +
         oci::kMediaTypeDockerManifestList + ", " + oci::kMediaTypeDockerManifest;
}

std::string embedded_media_type(std::string_view bytes) {
  auto j = oci::Json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  auto it = j.find("mediaType");
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

ManifestKind classify_manifest(std::string_view media_type, std::string_view bytes) {
  std::string mt(trim(split_once(media_type, ';').first));
  if (mt == oci::kMediaTypeOciIndex || mt == oci::kMediaTypeDockerManifestList)
    return ManifestKind::kIndex;
  if (mt == oci::kMediaTypeOciManifest || mt == oci::kMediaTypeDockerManifest)
    return ManifestKind::kImage;
  std::string inner = embedded_media_type(bytes);
  if (!inner.empty() && inner != mt) return classify_manifest(inner, "");
  auto j = oci::Json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return ManifestKind::kUnknown;
  if (j.contains("manifests")) return ManifestKind::kIndex;
  if (j.contains("config") && j.contains("layers") && j.value("schemaVersion", 0) == 2)
    return ManifestKind::kImage;
  return ManifestKind::kUnknown;
}

bool is_supported_layer(std::string_view mt) {
  return mt == oci::kMediaTypeOciLayer || mt == oci::kMediaTypeOciLayerGzip ||
         mt == oci::kMediaTypeOciLayerZstd || mt == oci::kMediaTypeDockerLayerGzip ||
         mt == oci::kMediaTypeDockerLayer;
}

std::string Platform::string() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Platform native_platform() {
  Platform p;
  p.architecture = oci::native_arch();
  if (p.architecture == "arm64") p.variant = "v8";
  return p;
}

Result<Platform> parse_platform(std::string_view s) {
  auto parts = split(to_lower(trim(s)), '/');
  auto bad = [&] {
    return invalid_argument("invalid platform \"" + std::string(s) +
                            "\": expected os/arch[/variant]");
  };
  for (const auto& p : parts)
    if (p.empty()) return bad();
  Platform out;
  if (parts.size() == 1) {
    out.architecture = parts[0];
  } else if (parts.size() == 2 || parts.size() == 3) {
    out.os = parts[0];
    out.architecture = parts[1];
    if (parts.size() == 3) out.variant = parts[2];
  } else {
    return bad();
  }
  // Docker's normalizations of what users type.
  if (out.architecture == "x86_64" || out.architecture == "x86-64") out.architecture = "amd64";
  if (out.architecture == "aarch64") out.architecture = "arm64";
  if (out.architecture == "arm64" && out.variant.empty()) out.variant = "v8";
  return out;
}

std::optional<oci::Descriptor> choose_platform(const oci::Index& index, const Platform& want) {
  std::optional<oci::Descriptor> best;
  int best_score = -1;
  for (const auto& d : index.manifests) {
    if (!d.platform_os || !d.platform_arch) continue;
    if (*d.platform_os != want.os || *d.platform_arch != want.architecture) continue;
    std::string v = d.platform_variant.value_or("");
    int score;
    if (v == want.variant) {
      score = 3;
    } else if (want.architecture == "arm64" && want.variant == "v8" && v.empty()) {
      score = 2;
    } else if (want.variant.empty()) {
      // No variant asked for: prefer none, then the highest one ("v7" over "v6").
      score = v.empty() ? 3 : 1;
    } else {
      continue;
    }
    if (score > best_score || (score == best_score && score == 1 && v > best->platform_variant)) {
      best = d;
      best_score = score;
    }
  }
  return best;
}

}  // namespace berth::registry
