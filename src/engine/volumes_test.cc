#include "engine/volumes.h"

#include <gtest/gtest.h>

#include "base/fs.h"

namespace berth::engine {
namespace {

TEST(ParseVolumeFlag, BindNamedAndAnonymous) {
  auto b = parse_volume_flag("/host/dir:/ctr:ro");
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(b->type, "bind");
  EXPECT_EQ(b->source, "/host/dir");
  EXPECT_EQ(b->target, "/ctr");
  EXPECT_TRUE(b->readonly);
  auto n = parse_volume_flag("models:/models:nocopy");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->type, "volume");
  EXPECT_EQ(n->source, "models");
  EXPECT_TRUE(n->nocopy);
  EXPECT_FALSE(n->readonly);
  auto a = parse_volume_flag("/data");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->type, "volume");
  EXPECT_TRUE(a->source.empty());
  auto p = parse_volume_flag("/h:/c:rshared");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->propagation, "rshared");
  auto i = parse_volume_flag("/h:/c:ro,idmap");
  ASSERT_TRUE(i.ok());
  EXPECT_TRUE(i->idmap);
  EXPECT_TRUE(i->readonly);
  EXPECT_FALSE(parse_volume_flag("/h:/c:rw")->idmap);
}

TEST(ParseVolumeFlag, DockerErrors) {
  auto rel = parse_volume_flag("/h:relative");
  ASSERT_FALSE(rel.ok());
  EXPECT_EQ(rel.error().message(),
            "invalid mount config for type \"bind\": invalid mount path: 'relative' mount path "
            "must be absolute");
  EXPECT_EQ(parse_volume_flag("a:b:c:d").error().message(), "invalid volume specification: 'a:b:c:d'");
  EXPECT_EQ(parse_volume_flag("/h:/c:bogus").error().message(), "invalid mode: bogus");
  EXPECT_EQ(parse_volume_flag("/h:/c:ro,rw").error().message(), "invalid mode: ro,rw");
  EXPECT_FALSE(parse_volume_flag("/h:/").ok());
  auto bad = parse_volume_flag("bad name:/x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("includes invalid characters for a local volume name"),
            std::string::npos);
  EXPECT_FALSE(parse_volume_flag(":/x").ok());
}

TEST(ParseMountFlag, Kinds) {
  auto v = parse_mount_flag("type=volume,src=cache,dst=/cache,volume-label=a=b,readonly");
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->source, "cache");
  EXPECT_EQ(v->target, "/cache");
  EXPECT_TRUE(v->readonly);
  EXPECT_EQ(v->volume_labels.at("a"), "b");
  auto t = parse_mount_flag("type=tmpfs,destination=/scratch,tmpfs-size=1m,tmpfs-mode=1770");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->tmpfs_options, "size=1048576,mode=1770");
  auto ro_false = parse_mount_flag("type=bind,source=/,target=/host,ro=false");
  ASSERT_TRUE(ro_false.ok());
  EXPECT_FALSE(ro_false->readonly);
  auto defaults_to_volume = parse_mount_flag("target=/anon");
  ASSERT_TRUE(defaults_to_volume.ok());
  EXPECT_EQ(defaults_to_volume->type, "volume");
}

TEST(ParseMountFlag, Errors) {
  EXPECT_EQ(parse_mount_flag("type=bind,src=/").error().message(),
            "invalid argument \"type=bind,src=/\" for \"--mount\" flag: target is required");
  EXPECT_EQ(parse_mount_flag("type=bind,src=/nonexistent-berth,dst=/x").error().message(),
            "invalid mount config for type \"bind\": bind source path does not exist: "
            "/nonexistent-berth");
  EXPECT_NE(parse_mount_flag("type=bind,bogus=1,dst=/x").error().message().find("unexpected key 'bogus'"),
            std::string::npos);
  EXPECT_NE(parse_mount_flag("type=nfs,dst=/x").error().message().find("invalid mount type"),
            std::string::npos);
  EXPECT_NE(parse_mount_flag("type=tmpfs,src=x,dst=/x").error().message().find("Source must be empty"),
            std::string::npos);
  EXPECT_NE(parse_mount_flag("dst=/x,readonly=maybe").error().message().find("invalid value"),
            std::string::npos);
}

TEST(VolumeStore, CreateGetListRemove) {
  auto tmp_or = TempDir::create("/tmp", "berth-vol-test-");
  ASSERT_TRUE(tmp_or.ok());
  TempDir tmp = std::move(*tmp_or);
  VolumeStore vs(path_join(tmp.path(), "volumes"));
  bool fresh = false;
  auto v = vs.create("data", {{"k", "v"}}, {}, &fresh);
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_TRUE(fresh);
  EXPECT_TRUE(path_exists(v->mountpoint));
  auto again = vs.create("data", {}, {}, &fresh);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(fresh);  // creating an existing volume returns it, as Docker does
  EXPECT_EQ(again->labels.at("k"), "v");
  auto anon = vs.create("", {}, {});
  ASSERT_TRUE(anon.ok());
  EXPECT_EQ(anon->name.size(), 64u);
  EXPECT_TRUE(anon->anonymous());
  auto all = vs.list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  ASSERT_TRUE(vs.remove("data").ok());
  EXPECT_EQ(vs.get("data").error().code(), Code::kNotFound);
  EXPECT_EQ(vs.get("data").error().message(), "get data: no such volume");
  EXPECT_EQ(vs.get("../etc").error().code(), Code::kNotFound);
  EXPECT_FALSE(vs.create("x", {}, {{"type", "nfs"}}).ok());
}

TEST(VolumeStore, CleansCrashLeftovers) {
  auto tmp_or = TempDir::create("/tmp", "berth-vol-test-");
  ASSERT_TRUE(tmp_or.ok());
  TempDir tmp = std::move(*tmp_or);
  std::string dir = path_join(tmp.path(), "volumes");
  ASSERT_TRUE(mkdir_all(path_join(dir, ".tmp-deadbeef/_data")).ok());
  ASSERT_TRUE(mkdir_all(path_join(dir, ".rm-cafe/_data")).ok());
  VolumeStore vs(dir);
  auto list = vs.list();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());  // half-made volumes are never listed
  auto cleaned = vs.clean_temp();
  ASSERT_TRUE(cleaned.ok());
  EXPECT_EQ(cleaned->size(), 2u);
  EXPECT_FALSE(path_exists(path_join(dir, ".tmp-deadbeef")));
}

}  // namespace
}  // namespace berth::engine
