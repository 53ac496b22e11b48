#include "archive/internal/safe_path.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "archive/test_util.h"

namespace berth::archive::internal {
namespace {

using testing::exists;
using testing::write_file;

TEST(CleanPath, Cleans) {
  EXPECT_EQ(clean_path("a/b"), "a/b");
  EXPECT_EQ(clean_path("./a//b/"), "a/b");
  EXPECT_EQ(clean_path("/etc/passwd"), "etc/passwd");
  EXPECT_EQ(clean_path("a/../b"), "b");
  EXPECT_EQ(clean_path("a/./b/.."), "a");
  EXPECT_EQ(clean_path("."), "");
  EXPECT_EQ(clean_path("/"), "");
  EXPECT_EQ(clean_path("./"), "");
  EXPECT_EQ(clean_path("...."), "....");
}

TEST(CleanPath, RefusesClimbingAboveTheRoot) {
  EXPECT_EQ(clean_path(".."), std::nullopt);
  EXPECT_EQ(clean_path("../evil"), std::nullopt);
  EXPECT_EQ(clean_path("a/../../evil"), std::nullopt);
  EXPECT_EQ(clean_path("/../x"), std::nullopt);
  EXPECT_EQ(clean_path("a/b/../../.."), std::nullopt);
}

TEST(SplitParent, Splits) {
  EXPECT_EQ(split_parent("a/b/c"), std::make_pair(std::string("a/b"), std::string("c")));
  EXPECT_EQ(split_parent("c"), std::make_pair(std::string(""), std::string("c")));
}

TEST(Openat2, DetectionMatchesTheKernel) {
  struct open_how how {};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT;
  long fd = ::syscall(SYS_openat2, AT_FDCWD, "/tmp", &how, sizeof(how));
  bool kernel_has_it = fd >= 0 || errno != ENOSYS;
  if (fd >= 0) ::close(static_cast<int>(fd));
  EXPECT_EQ(openat2_supported(), kernel_has_it);
  std::printf("openat2 %s on this kernel\n", kernel_has_it ? "is available" : "is missing");
}

std::vector<Resolver> resolvers() {
  std::vector<Resolver> out = {Resolver::kWalk};
  if (openat2_supported()) out.push_back(Resolver::kOpenat2);
  return out;
}

std::string resolver_name(const ::testing::TestParamInfo<Resolver>& info) {
  return info.param == Resolver::kWalk ? "Walk" : "Openat2";
}

// Both resolvers must agree on every case.
class InRoot : public ::testing::TestWithParam<Resolver> {
 protected:
  void SetUp() override {
    root_ = base_.path() + "/root";
    outside_ = base_.path() + "/outside";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(outside_.c_str(), 0755), 0);
    root_fd_.reset(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_.valid());
  }
  // Where the fd points, relative to the root ("" for the root itself).
  std::string where(const UniqueFd& fd) {
    char buf[4096];
    std::string link = "/proc/self/fd/" + std::to_string(fd.get());
    ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf));
    std::string path(buf, static_cast<size_t>(n));
    if (path.rfind(root_, 0) != 0) return "OUTSIDE:" + path;
    path = path.substr(root_.size());
    return path.empty() ? path : path.substr(1);
  }
  void mkdir(const std::string& rel) { ASSERT_EQ(::mkdir((root_ + "/" + rel).c_str(), 0755), 0); }
  void symlink(const std::string& target, const std::string& rel) {
    ASSERT_EQ(::symlink(target.c_str(), (root_ + "/" + rel).c_str()), 0);
  }

  TempDir base_ = testing::temp_dir();
  std::string root_, outside_;
  UniqueFd root_fd_;
};

TEST_P(InRoot, FollowsSymlinksInsideTheRoot) {
  mkdir("a");
  mkdir("a/b");
  symlink("a/b", "rel");
  symlink("/a", "abs");
  symlink("../../../..", "a/up");
  auto r1 = open_dir_in_root(root_fd_.get(), "rel", GetParam());
  ASSERT_TRUE(r1.ok()) << r1.error().message();
  EXPECT_EQ(where(*r1), "a/b");
  auto r2 = open_dir_in_root(root_fd_.get(), "abs/b", GetParam());
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(where(*r2), "a/b");
  auto r3 = open_dir_in_root(root_fd_.get(), "a/up", GetParam());
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(where(*r3), "");
  auto r4 = open_dir_in_root(root_fd_.get(), "", GetParam());
  ASSERT_TRUE(r4.ok());
  EXPECT_EQ(where(*r4), "");
}

TEST_P(InRoot, AbsoluteTargetsStayInTheRoot) {
  symlink(outside_, "out");
  auto r = open_dir_in_root(root_fd_.get(), "out", GetParam());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno(), ENOENT);
  EXPECT_EQ(r.error().message(), "resolving \"out\": No such file or directory");
  // Once the same path exists inside the root, that is where it leads.
  ASSERT_TRUE(mkdir_all(root_ + outside_).ok());
  auto inside = open_dir_in_root(root_fd_.get(), "out", GetParam());
  ASSERT_TRUE(inside.ok());
  EXPECT_EQ(where(*inside), outside_.substr(1));
}

TEST_P(InRoot, SymlinkLoopsAndFilesFail) {
  symlink("l2", "l1");
  symlink("l1", "l2");
  write_file(root_ + "/file", "x");
  auto loop = open_dir_in_root(root_fd_.get(), "l1", GetParam());
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(loop.error().message(), "resolving \"l1\": Too many levels of symbolic links");
  auto file = open_dir_in_root(root_fd_.get(), "file/x", GetParam());
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().message(), "resolving \"file/x\": Not a directory");
}

TEST_P(InRoot, MakeDirsCreatesMissingDirectories) {
  symlink("/real", "link");
  mkdir("real");
  auto r = make_dirs_in_root(root_fd_.get(), "link/x/y", GetParam());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(where(*r), "real/x/y");
  struct stat st;
  ASSERT_EQ(::stat((root_ + "/real/x").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_P(InRoot, MakeDirsNamesWhatIsInTheWay) {
  write_file(root_ + "/file", "x");
  symlink(outside_, "dangling");
  auto file = make_dirs_in_root(root_fd_.get(), "file/sub", GetParam());
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().message(), "parent \"file\" is not a directory");
  EXPECT_EQ(file.error().code(), Code::kInvalidArgument);
  auto dangling = make_dirs_in_root(root_fd_.get(), "dangling/sub", GetParam());
  ASSERT_FALSE(dangling.ok());
  EXPECT_EQ(dangling.error().message(), "parent \"dangling\" is a symlink to a missing directory");
  // Nothing was created outside.
  UniqueFd out(::open(outside_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto names = list_dir(out.get());
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
}

INSTANTIATE_TEST_SUITE_P(Resolvers, InRoot, ::testing::ValuesIn(resolvers()), resolver_name);

TEST(RemoveAt, RemovesTreesWithoutFollowingSymlinks) {
  TempDir t = testing::temp_dir();
  std::string outside = t.path() + "/outside";
  ASSERT_TRUE(mkdir_all(outside).ok());
  write_file(outside + "/keep", "keep");
  ASSERT_TRUE(mkdir_all(t.path() + "/victim/sub").ok());
  write_file(t.path() + "/victim/sub/f", "x");
  ASSERT_EQ(::symlink(outside.c_str(), (t.path() + "/victim/link").c_str()), 0);
  UniqueFd dir(::open(t.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(remove_at(dir.get(), "victim").ok());
  EXPECT_FALSE(exists(t.path() + "/victim"));
  EXPECT_EQ(testing::read_whole(outside + "/keep"), "keep");
  EXPECT_TRUE(remove_at(dir.get(), "absent").ok());
}

}  // namespace
}  // namespace berth::archive::internal
