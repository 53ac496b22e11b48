#include "oci/image.h"

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

TEST(Oci, ConfigRoundTrip) {
  ImageConfig c;
  c.created = "2026-11-27T11:00:00Z";
  c.architecture = "amd64";
  c.os = "linux";
  c.config.env = {"PATH=/usr/bin"};
  c.config.cmd = std::vector<std::string>{"sh"};
  c.config.exposed_ports = {"8000/tcp"};
  c.config.labels = {{"a", "b"}};
  c.diff_ids = {"sha256:" + std::string(64, 'a')};
  c.history.push_back({"2026-11-27T11:00:00Z", "", "", "Imported from -", false});
  std::string bytes = serialize_image_config(c);
  auto parsed = parse_image_config(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->config.env, c.config.env);
  EXPECT_EQ(*parsed->config.cmd, *c.config.cmd);
  EXPECT_EQ(parsed->config.exposed_ports, c.config.exposed_ports);
  EXPECT_EQ(parsed->config.labels.at("a"), "b");
  EXPECT_EQ(parsed->diff_ids, c.diff_ids);
  EXPECT_EQ(parsed->history[0].comment, "Imported from -");
  EXPECT_FALSE(parsed->config.entrypoint.has_value());
  EXPECT_EQ(serialize_image_config(*parsed), bytes);  // stable: same config, same id
}

TEST(Oci, DockerInspectShapeHasNullsLikeDocker) {
  RunConfig rc;
  auto j = run_config_to_docker_json(rc);
  EXPECT_TRUE(j["Cmd"].is_null());
  EXPECT_TRUE(j["Entrypoint"].is_null());
  EXPECT_TRUE(j["Labels"].is_null());
  EXPECT_EQ(j.begin().key(), "Hostname");
}

TEST(Oci, BadInputIsInvalidArgument) {
  auto r = parse_image_config("not json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "invalid image config: not a JSON object");
  auto t = parse_image_config(R"({"config":{"Env":"x"}})");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code(), Code::kInvalidArgument);
  auto m = parse_manifest(R"({"schemaVersion":1})");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(), "unsupported manifest schema version 1");
}

TEST(Oci, ManifestAndIndex) {
  Manifest m;
  m.media_type = kMediaTypeOciManifest;
  m.config = {kMediaTypeOciConfig, "sha256:" + std::string(64, 'b'), 10, {}, {}, {}, {}};
  m.layers.push_back({kMediaTypeOciLayer, "sha256:" + std::string(64, 'c'), 20, {}, {}, {}, {}});
  auto back = parse_manifest(serialize_manifest(m));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->layers.size(), 1u);
  EXPECT_EQ(back->layers[0].size, 20);
  Index idx;
  Descriptor d{kMediaTypeOciManifest, "sha256:" + std::string(64, 'd'), 30, {}, {}, {}, {}};
  d.annotations["org.opencontainers.image.ref.name"] = "latest";
  d.platform_os = "linux";
  d.platform_arch = "amd64";
  idx.manifests.push_back(d);
  auto ib = parse_index(serialize_index(idx));
  ASSERT_TRUE(ib.ok());
  EXPECT_EQ(ib->manifests[0].annotations.at("org.opencontainers.image.ref.name"), "latest");
  EXPECT_EQ(*ib->manifests[0].platform_arch, "amd64");
}

}  // namespace
}  // namespace berth::oci
