#include "build/cache_key.h"

#include <sys/stat.h>
#include <utime.h>

#include <gtest/gtest.h>

#include "base/fs.h"

namespace berth::build {
namespace {

TEST(CacheKey, EveryPartCounts) {
  CacheKeyInput a{"sha256:p", "RUN echo", {"sha256:x"}};
  auto k = cache_key(a);
  EXPECT_EQ(k.rfind("sha256:", 0), 0u);
  EXPECT_EQ(cache_key(a), k);
  auto b = a;
  b.parent = "sha256:q";
  EXPECT_NE(cache_key(b), k);
  b = a;
  b.instruction = "RUN echo ";
  EXPECT_NE(cache_key(b), k);
  b = a;
  b.inputs = {};
  EXPECT_NE(cache_key(b), k);
  // No ambiguity between fields.
  EXPECT_NE(cache_key({"ab", "c", {}}), cache_key({"a", "bc", {}}));
}

TEST(CacheKey, ContentAndModeButNotMtime) {
  auto tmp = TempDir::create("/tmp", "cachekey-");
  ASSERT_TRUE(tmp.ok());
  std::string d = path_join(tmp->path(), "ctx");
  ASSERT_TRUE(mkdir_all(d).ok());
  std::string f = path_join(d, "f.txt");
  ASSERT_TRUE(atomic_write_file(f, "hello").ok());
  auto h1 = hash_path(d, "ctx");
  ASSERT_TRUE(h1.ok());
  struct utimbuf t{1000, 1000};
  ASSERT_EQ(::utime(f.c_str(), &t), 0);
  EXPECT_EQ(*hash_path(d, "ctx"), *h1);  // mtime only: same
  ASSERT_TRUE(atomic_write_file(f, "hellp").ok());
  auto h2 = hash_path(d, "ctx");
  EXPECT_NE(*h2, *h1);  // one byte: different
  ASSERT_EQ(::chmod(f.c_str(), 0755), 0);
  EXPECT_NE(*hash_path(d, "ctx"), *h2);  // mode: different
  EXPECT_NE(*hash_path(d, "other"), *hash_path(d, "ctx"));  // name: different
  ASSERT_TRUE(atomic_write_file(path_join(d, "ignored"), "x").ok());
  auto ignore = IgnoreMatcher::parse("ctx/ignored\n");
  ASSERT_TRUE(ignore.ok());
  auto with_skip = hash_path(d, "ctx", &*ignore);
  ASSERT_TRUE(remove_all(path_join(d, "ignored")).ok());
  EXPECT_EQ(*with_skip, *hash_path(d, "ctx"));
}

TEST(CacheKey, FileDigestCacheSkipsUnchangedFilesAndNoticesChanges) {
  auto tmp = TempDir::create("/tmp", "cachekey-");
  ASSERT_TRUE(tmp.ok());
  std::string f = path_join(tmp->path(), "f");
  std::string db = path_join(tmp->path(), "digests");
  ASSERT_TRUE(atomic_write_file(f, "one").ok());
  auto c = FileDigestCache::load(db);
  auto h1 = hash_path(f, "f", nullptr, &c);
  ASSERT_TRUE(h1.ok());
  EXPECT_EQ(c.size(), 1u);
  ASSERT_TRUE(c.save().ok());
  auto c2 = FileDigestCache::load(db);
  struct stat st;
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  ASSERT_TRUE(c2.get(f, st).has_value());
  EXPECT_EQ(*hash_path(f, "f", nullptr, &c2), *h1);
  // Same size, new content: ctime moved, so the cache does not answer.
  ASSERT_TRUE(atomic_write_file(f, "two").ok());
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  EXPECT_FALSE(c2.get(f, st).has_value());
  EXPECT_NE(*hash_path(f, "f", nullptr, &c2), *h1);
}

}  // namespace
}  // namespace berth::build
