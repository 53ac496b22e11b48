#include "registry/media.h"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

TEST(Media, AcceptNamesAllFourManifestTypes) {
  std::string a = manifest_accept_header();
  for (const char* t : {oci::kMediaTypeOciIndex, oci::kMediaTypeOciManifest,
                        oci::kMediaTypeDockerManifestList, oci::kMediaTypeDockerManifest})
    EXPECT_NE(a.find(t), std::string::npos) << t;
  EXPECT_EQ(a.find("prettyjws"), std::string::npos);  // no schema 1
}

TEST(Media, ClassifiesByTypeThenShape) {
  EXPECT_EQ(classify_manifest(oci::kMediaTypeDockerManifestList, ""), ManifestKind::kIndex);
  EXPECT_EQ(classify_manifest(std::string(oci::kMediaTypeOciManifest) + "; charset=utf-8", ""),
            ManifestKind::kImage);
  EXPECT_EQ(classify_manifest("application/json", R"({"schemaVersion":2,"manifests":[]})"),
            ManifestKind::kIndex);
  EXPECT_EQ(classify_manifest("", R"({"schemaVersion":2,"config":{},"layers":[]})"),
            ManifestKind::kImage);
  EXPECT_EQ(classify_manifest("application/json",
                              std::string(R"({"mediaType":")") + oci::kMediaTypeOciIndex + "\"}"),
            ManifestKind::kIndex);
  EXPECT_EQ(classify_manifest("application/vnd.docker.distribution.manifest.v1+prettyjws",
                              R"({"schemaVersion":1})"),
            ManifestKind::kUnknown);
}

TEST(Media, LayerTypes) {
  EXPECT_TRUE(is_supported_layer(oci::kMediaTypeDockerLayerGzip));
  EXPECT_TRUE(is_supported_layer(oci::kMediaTypeOciLayerZstd));
  EXPECT_FALSE(is_supported_layer("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"));
  EXPECT_FALSE(is_supported_layer("application/vnd.oci.image.layer.v1.tar+gzip+encrypted"));
}

TEST(Platform, ParsesWhatUsersType) {
  auto p = parse_platform("linux/arm64");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->string(), "linux/arm64/v8");
  EXPECT_EQ(parse_platform("linux/arm/v7")->string(), "linux/arm/v7");
  EXPECT_EQ(parse_platform("x86_64")->string(), "linux/amd64");
  EXPECT_EQ(parse_platform("Linux/AMD64")->string(), "linux/amd64");
  auto bad = parse_platform("linux//v7");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "invalid platform \"linux//v7\": expected os/arch[/variant]");
  EXPECT_FALSE(parse_platform("a/b/c/d").ok());
}

oci::Descriptor entry(const std::string& arch, const std::string& variant, char fill) {
  oci::Descriptor d;
  d.media_type = oci::kMediaTypeOciManifest;
  d.digest = "sha256:" + std::string(64, fill);
  d.platform_os = "linux";
  d.platform_arch = arch;
  if (!variant.empty()) d.platform_variant = variant;
  return d;
}

TEST(Platform, ChoosesFromAnIndex) {
  oci::Index idx;
  idx.manifests = {entry("amd64", "", 'a'), entry("arm", "v6", 'b'), entry("arm", "v7", 'c'),
                   entry("arm64", "", 'd'), entry("s390x", "", 'e')};
  oci::Descriptor attestation;  // buildkit's attestation entries have platform unknown/unknown
  attestation.platform_os = "unknown";
  attestation.platform_arch = "unknown";
  idx.manifests.insert(idx.manifests.begin(), attestation);
  EXPECT_EQ(choose_platform(idx, *parse_platform("linux/amd64"))->digest.back(), 'a');
  EXPECT_EQ(choose_platform(idx, *parse_platform("linux/arm/v6"))->digest.back(), 'b');
  EXPECT_EQ(choose_platform(idx, *parse_platform("linux/arm"))->digest.back(), 'c');
  // arm64 asked as v8 matches an entry without variant.
  EXPECT_EQ(choose_platform(idx, *parse_platform("linux/arm64"))->digest.back(), 'd');
  EXPECT_FALSE(choose_platform(idx, *parse_platform("linux/ppc64le")).has_value());
  EXPECT_FALSE(choose_platform(idx, *parse_platform("windows/amd64")).has_value());
  EXPECT_FALSE(choose_platform(idx, *parse_platform("linux/arm/v5")).has_value());
}

TEST(Platform, NativeIsLinux) {
  auto n = native_platform();
  EXPECT_EQ(n.os, "linux");
  EXPECT_EQ(n.architecture, oci::native_arch());
}

}  // namespace
}  // namespace berth::registry

#include "registry/config.h"

namespace berth::registry {
namespace {

TEST(RegistriesConf, InsecureMirrorsAndBlocked) {
  auto c = parse_registries_conf(R"(
unqualified-search-registries = ["docker.io"]
[[registry]]
location = "secure.example"
[[registry]]
location = "myreg.example:5000"   # a comment
insecure = true
[[registry]]
location = "docker.io"
blocked = true
[[registry.mirror]]
location = "mirror.example"
[[registry.mirror]]
location = "127.0.0.1:5000"
insecure = true
[registries.insecure]
registries = ["a.example", 'b.example:5000']
)");
  EXPECT_EQ(c.insecure, (std::vector<std::string>{"myreg.example:5000", "127.0.0.1:5000",
                                                  "a.example", "b.example:5000"}));
  EXPECT_EQ(c.mirrors["docker.io"],
            (std::vector<std::string>{"mirror.example", "127.0.0.1:5000"}));
  EXPECT_EQ(c.mirrors.count("secure.example"), 0u);
  EXPECT_EQ(c.blocked, (std::set<std::string>{"docker.io"}));
  auto empty = parse_registries_conf("");
  EXPECT_TRUE(empty.insecure.empty() && empty.mirrors.empty() && empty.blocked.empty());
}

}  // namespace
}  // namespace berth::registry
