#include "base/fs.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Fs, AtomicWriteReplacesAndLeavesNoTemp) {
  auto dir = TempDir::create("/tmp", "berth-fs-test-");
  ASSERT_TRUE(dir.ok());
  std::string f = path_join(dir->path(), "file");
  ASSERT_TRUE(atomic_write_file(f, "one").ok());
  ASSERT_TRUE(atomic_write_file(f, "two").ok());
  auto got = read_file(f);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "two");
  auto usage = disk_usage(dir->path());
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(*usage, 3u);  // only "file": no temp file left behind
}

TEST(Fs, UnsyncedWritesThenOneSync) {
  auto dir = TempDir::create("/tmp", "berth-fs-test-");
  ASSERT_TRUE(dir.ok());
  std::string f = path_join(dir->path(), "hosts");
  ASSERT_TRUE(write_file_unsynced(f, "a longer first text").ok());
  ASSERT_TRUE(write_file_unsynced(f, "short", 0600).ok());
  EXPECT_EQ(*read_file(f), "short");  // truncated, not overwritten in place
  // A name that does not exist is skipped; a path that is not a directory is an error.
  EXPECT_TRUE(sync_files(dir->path(), {"hosts", "absent"}).ok());
  EXPECT_FALSE(sync_files(f, {}).ok());
  EXPECT_FALSE(write_file_unsynced(path_join(dir->path(), "no/such/dir"), "x").ok());
}

TEST(Fs, MkdirAllAndRemoveAll) {
  auto dir = TempDir::create("/tmp", "berth-fs-test-");
  ASSERT_TRUE(dir.ok());
  std::string deep = path_join(dir->path(), "a/b/c");
  ASSERT_TRUE(mkdir_all(deep).ok());
  EXPECT_TRUE(path_exists(deep));
  ASSERT_TRUE(atomic_write_file(path_join(deep, "f"), "x").ok());
  ASSERT_TRUE(symlink("/etc", path_join(deep, "link").c_str()) == 0);
  ASSERT_TRUE(remove_all(path_join(dir->path(), "a")).ok());
  EXPECT_FALSE(path_exists(path_join(dir->path(), "a")));
  EXPECT_TRUE(path_exists("/etc/passwd"));  // the symlink was removed, not followed
}

TEST(Fs, TempDirRemovedOnDestruction) {
  std::string p;
  {
    auto dir = TempDir::create("/tmp", "berth-fs-test-");
    ASSERT_TRUE(dir.ok());
    p = dir->path();
    EXPECT_TRUE(path_exists(p));
  }
  EXPECT_FALSE(path_exists(p));
}

TEST(Fs, PathHelpers) {
  EXPECT_EQ(path_join("/a/", "/b"), "/a/b");
  EXPECT_EQ(path_join("/a", "b"), "/a/b");
  EXPECT_EQ(dirname("/a/b/c"), "/a/b");
  EXPECT_EQ(dirname("c"), ".");
  EXPECT_EQ(basename("/a/b/c/"), "c");
  EXPECT_FALSE(remove_all("/").ok());
}

}  // namespace
}  // namespace berth
