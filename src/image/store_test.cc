#include "image/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "archive/tar.h"
#include "base/fs.h"
#include "image/import.h"
#include "image/save_load.h"

namespace berth::image {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("/tmp", "berth-store-test-");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
    auto s = Store::open(path_join(dir_->path(), "root"));
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_ = std::move(*s);
  }

  // A one-file root file system tarball, written with the archive module's TarWriter.
  std::string make_tar(const std::string& content) {
    std::string path = path_join(dir_->path(), "rootfs-" + content + ".tar");
    auto fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC);
    EXPECT_TRUE(fd.ok());
    auto w = archive::TarWriter::open(fd->get(), archive::Compression::kNone);
    EXPECT_TRUE(w.ok());
    EXPECT_TRUE(w->add_dir("etc", 0755, 0).ok());
    EXPECT_TRUE(w->add_file("etc/hello", content, 0644, 0).ok());
    EXPECT_TRUE(w->finish().ok());
    return path;
  }

  ImageRecord import(const std::string& content, std::vector<std::string> changes = {}) {
    auto fd = open_file(make_tar(content), O_RDONLY);
    EXPECT_TRUE(fd.ok());
    ImportOptions o;
    o.changes = std::move(changes);
    auto img = import_tarball(*store_, fd->get(), o);
    EXPECT_TRUE(img.ok()) << img.error().message();
    return *img;
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, ImportExtractsTheLayerAndRecordsTheImage) {
  auto img = import("one", {"CMD [\"sh\"]"});
  EXPECT_EQ(img.id.substr(0, 7), "sha256:");
  EXPECT_TRUE(img.tags.empty());
  EXPECT_GT(img.size, 0u);
  auto dirs = store_->layers().lowerdirs(img.top_layer);
  ASSERT_TRUE(dirs.ok());
  ASSERT_EQ(dirs->size(), 1u);
  auto content = read_file(path_join(dirs->front(), "etc/hello"));
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "one");
  auto cfg = oci::parse_image_config(img.config_bytes);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(*cfg->config.cmd, std::vector<std::string>{"sh"});
  EXPECT_EQ(cfg->history.at(0).comment, "Imported from -");
  // The layer's uncompressed blob is kept under its diff id.
  EXPECT_TRUE(store_->content().has(cfg->diff_ids.at(0)));
}

TEST_F(StoreTest, ResolveByNameIdAndPrefix) {
  auto img = import("two");
  auto ref = parse_normalized_named("myimage:1.0");
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE(store_->tag(img.id, *ref).ok());
  std::vector<std::string> names{"myimage:1.0", "docker.io/library/myimage:1.0", img.id,
                                 img.id.substr(7), img.id.substr(7, 5)};
  for (const auto& name : names) {
    auto r = store_->resolve(name);
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().message();
    EXPECT_EQ(r->id, img.id);
  }
  auto missing = store_->resolve("myimage");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_EQ(missing.error().message(), "No such image: myimage:latest");
}

TEST_F(StoreTest, TagMovesAndDeleteReleasesEverything) {
  auto a = import("a");
  auto b = import("b");
  auto ref = with_default_tag(*parse_normalized_named("app"));
  auto prev = store_->tag(a.id, ref);
  ASSERT_TRUE(prev.ok());
  EXPECT_FALSE(prev->has_value());
  prev = store_->tag(b.id, ref);
  ASSERT_TRUE(prev.ok());
  EXPECT_EQ(prev->value(), a.id);
  auto got = store_->resolve("app");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, b.id);
  auto layer_dir = store_->layers().lowerdirs(a.top_layer);
  ASSERT_TRUE(layer_dir.ok());
  ASSERT_TRUE(store_->delete_image(a.id).ok());
  EXPECT_FALSE(store_->get(a.id).ok());
  EXPECT_FALSE(path_exists(layer_dir->front()));
  EXPECT_FALSE(store_->content().has(a.id));
}

TEST_F(StoreTest, SaveThenLoadIntoAnotherStoreKeepsIdAndTag) {
  auto img = import("saved", {"ENV A=1"});
  auto ref = with_default_tag(*parse_normalized_named("saved:v1"));
  ASSERT_TRUE(store_->tag(img.id, ref).ok());
  std::string archive_path = path_join(dir_->path(), "out.tar");
  {
    auto fd = open_file(archive_path, O_WRONLY | O_CREAT | O_TRUNC);
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(save_archive(*store_, {{*store_->get(img.id), {ref}}}, fd->get()).ok());
  }
  auto other = Store::open(path_join(dir_->path(), "other"));
  ASSERT_TRUE(other.ok());
  auto fd = open_file(archive_path, O_RDONLY);
  ASSERT_TRUE(fd.ok());
  auto loaded = load_archive(**other, fd->get());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ(loaded->front().image.id, img.id);
  EXPECT_EQ(loaded->front().tags, std::vector<std::string>{"saved:v1"});
  auto r = (*other)->resolve("saved:v1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, img.id);
}

TEST_F(StoreTest, LoadWithoutManifestIsRefusedAndRecordsNothing) {
  auto fd = open_file(make_tar("not-an-image"), O_RDONLY);
  ASSERT_TRUE(fd.ok());
  auto loaded = load_archive(*store_, fd->get());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message(),
            "invalid archive: neither manifest.json (docker-archive) nor index.json (OCI) found");
  auto all = store_->list();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace berth::image
