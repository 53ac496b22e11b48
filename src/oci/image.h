// OCI image-spec (and Docker image) types: image config, manifest, index, descriptors.
//
// Configs are stored as the exact bytes that were pulled, loaded or built, because their sha256 is
// the image id; these structs are views parsed from those bytes, and `to_json` is used only for
// configs berth writes itself. Parsing never throws: nlohmann exceptions are caught here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::oci {

using Json = nlohmann::ordered_json;

inline constexpr const char* kMediaTypeOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaTypeOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kMediaTypeOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kMediaTypeOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kMediaTypeDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kMediaTypeDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kMediaTypeDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kMediaTypeDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr const char* kMediaTypeDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";

struct HealthConfig {
  std::vector<std::string> test;
  int64_t interval = 0, timeout = 0, start_period = 0, start_interval = 0;  // nanoseconds
  int retries = 0;
};

// The runtime defaults an image carries ("config" in OCI; Config/ContainerConfig in Docker).
struct RunConfig {
  std::string user;
  std::vector<std::string> exposed_ports;  // "8000/tcp", sorted
  std::vector<std::string> env;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> volumes;  // sorted paths
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::optional<std::vector<std::string>> shell;
  std::vector<std::string> on_build;
  std::optional<HealthConfig> healthcheck;
  bool args_escaped = false;
};

struct HistoryEntry {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string created;  // RFC 3339, may be empty
  std::string author;
  std::string comment;  // Docker's top-level comment (import -m, commit -m)
  std::string architecture;
  std::string os;
  std::string variant;
  RunConfig config;
  std::optional<RunConfig> container_config;  // Docker's classic builder field
  std::string docker_version;
  std::vector<std::string> diff_ids;
  std::vector<HistoryEntry> history;
};

Result<ImageConfig> parse_image_config(std::string_view bytes);
// Serializes a config berth made (key order fixed, so the same config gives the same id).
std::string serialize_image_config(const ImageConfig& cfg);
// Docker's inspect shape of a RunConfig (Hostname, Domainname, User, ..., Labels).
Json run_config_to_docker_json(const RunConfig& rc);

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<std::string> platform_os, platform_arch, platform_variant;
};
Json descriptor_to_json(const Descriptor& d);

struct Manifest {
  int schema_version = 2;
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};
Result<Manifest> parse_manifest(std::string_view bytes);
std::string serialize_manifest(const Manifest& m);

struct Index {
  int schema_version = 2;
  std::string media_type;
  std::vector<Descriptor> manifests;
};
Result<Index> parse_index(std::string_view bytes);
std::string serialize_index(const Index& idx);

// The host's platform in OCI terms ("amd64", "arm64", ...).
std::string native_arch();

}  // namespace berth::oci
