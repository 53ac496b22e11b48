#include "engine/build_link.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "build/cache_key.h"
#include "engine/build_internal.h"

namespace berth::engine::buildimpl {
namespace {

class BuildLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::create("/tmp", "build-link-test-");
    ASSERT_TRUE(t.ok());
    tmp_.emplace(std::move(*t));
    ctx_ = tmp_->path() + "/ctx";
    ASSERT_TRUE(mkdir_all(ctx_ + "/src/d").ok());
  }
  void write(const std::string& rel, const std::string& data) {
    ASSERT_TRUE(atomic_write_file(ctx_ + "/" + rel, data, 0644).ok());
  }
  static ino_t inode(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  }
  // COPY src/ into <tmp>/<name>/app, as copy_step does: the digests first (hash_path), then the
  // copy, linking from `donor` (a layer dir and its manifest) where it can.
  CopyLinks copy(const std::string& name, const std::string& donor_dir = "",
                 const CopyManifest* donor = nullptr) {
    EXPECT_TRUE(build::hash_path(ctx_ + "/src", "src", nullptr, &digests_).ok());
    CopyLinks links;
    links.digests = &digests_;
    if (donor) {
      links.donor = UniqueFd(::open(donor_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      links.donor_manifest = donor;
    }
    CopyOptions co;
    co.link = &links;
    std::string layer = tmp_->path() + "/" + name;
    EXPECT_TRUE(mkdir_all(layer + "/app").ok());
    Status s = copy_tree(LayerView({ctx_}), "src", layer + "/app", co, "app");
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message());
    return links;
  }

  std::optional<TempDir> tmp_;
  std::string ctx_;
  build::FileDigestCache digests_;
};

TEST_F(BuildLinkTest, LinksOnlyFilesWhoseContentAndMetadataMatchExactly) {
  for (int i = 1; i <= 4; ++i) write("src/d/f" + std::to_string(i), "content " + std::to_string(i));
  write("src/touched", "same");
  write("src/samesize", "aaaa");
  ASSERT_EQ(::chmod((ctx_ + "/src/d/f4").c_str(), 0750), 0);
  ASSERT_EQ(::symlink("d/f1", (ctx_ + "/src/link").c_str()), 0);

  CopyLinks first = copy("l1");
  EXPECT_EQ(first.linked, 0u);
  EXPECT_EQ(first.written.size(), 6u);  // regular files only
  CopyManifest m1{"sha256:l1", first.written};
  EXPECT_EQ(m1.digests.count("app/d/f1"), 1u);

  // One changed file; one whose mtime alone moved; one rewritten to the same size and given its
  // old mtime back (only its digest tells it apart).
  write("src/d/f1", "changed");
  struct timespec old_times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (ctx_ + "/src/touched").c_str(), old_times, 0), 0);
  struct stat ss;
  ASSERT_EQ(::stat((ctx_ + "/src/samesize").c_str(), &ss), 0);
  write("src/samesize", "bbbb");
  struct timespec keep[2] = {ss.st_atim, ss.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, (ctx_ + "/src/samesize").c_str(), keep, 0), 0);

  std::string l1 = tmp_->path() + "/l1", l2 = tmp_->path() + "/l2";
  CopyLinks second = copy("l2", l1, &m1);
  EXPECT_EQ(second.linked, 3u);  // f2, f3 and f4
  for (const char* f : {"app/d/f2", "app/d/f3", "app/d/f4"})
    EXPECT_EQ(inode(l1 + "/" + f), inode(l2 + "/" + f)) << f;
  for (const char* f : {"app/d/f1", "app/touched", "app/samesize", "app/link"})
    EXPECT_NE(inode(l1 + "/" + f), inode(l2 + "/" + f)) << f;
  auto f1 = read_file(l2 + "/app/d/f1");
  EXPECT_EQ(f1.ok() ? *f1 : "", "changed");
  auto same = read_file(l2 + "/app/samesize");
  EXPECT_EQ(same.ok() ? *same : "", "bbbb");
  struct stat st;
  ASSERT_EQ(::stat((l2 + "/app/touched").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
  ASSERT_EQ(::stat((l2 + "/app/d/f4").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_nlink, 2u);
  // The new manifest describes the new layer, changed files included.
  EXPECT_EQ(second.written.size(), 6u);
  EXPECT_NE(second.written.at("app/d/f1"), m1.digests.at("app/d/f1"));
  EXPECT_EQ(second.written.at("app/d/f2"), m1.digests.at("app/d/f2"));

  // A manifest that lies about a file's digest links nothing for it.
  CopyManifest wrong = m1;
  wrong.digests["app/d/f2"] = "sha256:" + std::string(64, '0');
  CopyLinks third = copy("l3", l1, &wrong);
  EXPECT_EQ(third.linked, 2u);
  EXPECT_NE(inode(l1 + "/app/d/f2"), inode(tmp_->path() + "/l3/app/d/f2"));
}

TEST_F(BuildLinkTest, ManifestRoundTripsAndATornOneIsRefused) {
  CopyManifest m{"sha256:abc", {{"app/a b", "sha256:1111"}, {"app/c", "sha256:2222"}}};
  std::string file = tmp_->path() + "/manifests/m";
  ASSERT_TRUE(m.save(file).ok());
  auto back = CopyManifest::load(file);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->chain, "sha256:abc");
  EXPECT_EQ(back->digests, m.digests);
  auto text = read_file(file);
  ASSERT_TRUE(text.ok());
  ASSERT_TRUE(atomic_write_file(file, text->substr(0, text->size() - 3)).ok());
  EXPECT_FALSE(CopyManifest::load(file).has_value());
  EXPECT_FALSE(CopyManifest::load(tmp_->path() + "/none").has_value());
}

TEST_F(BuildLinkTest, DonorDirectoriesAreNeverReachedThroughASymlink) {
  std::string root = tmp_->path() + "/layer";
  ASSERT_TRUE(mkdir_all(root + "/a/b").ok());
  ASSERT_EQ(::symlink("/etc", (root + "/a/etc").c_str()), 0);
  UniqueFd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  int ok = open_dir_beneath(fd.get(), "a/b");
  EXPECT_GE(ok, 0);
  if (ok >= 0) ::close(ok);
  EXPECT_EQ(open_dir_beneath(fd.get(), "a/etc"), -1);
  EXPECT_EQ(open_dir_beneath(fd.get(), "a/../a/b"), -1);
}

}  // namespace
}  // namespace berth::engine::buildimpl
