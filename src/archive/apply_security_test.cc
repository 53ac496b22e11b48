// Hostile tars: nothing may be created or changed outside the destination. Every case runs
// through both path resolvers (openat2 and the user-space walk).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/internal/apply.h"
#include "archive/tar.h"
#include "archive/test_util.h"

namespace berth::archive {
namespace {

using internal::Resolver;
using testing::exists;
using testing::read_whole;
using testing::snapshot;
using testing::write_file;

std::vector<Resolver> resolvers() {
  std::vector<Resolver> out = {Resolver::kWalk};
  if (internal::openat2_supported()) out.push_back(Resolver::kOpenat2);
  return out;
}

std::string resolver_name(const ::testing::TestParamInfo<Resolver>& info) {
  return info.param == Resolver::kWalk ? "Walk" : "Openat2";
}

// base/
//   outside/secret      a file an attacker wants to overwrite
//   work/dest/          the destination
class HostileTar : public ::testing::TestWithParam<Resolver> {
 protected:
  void SetUp() override {
    outside_ = base_.path() + "/outside";
    dest_ = base_.path() + "/work/dest";
    ASSERT_TRUE(mkdir_all(outside_).ok());
    ASSERT_TRUE(mkdir_all(dest_).ok());
    write_file(outside_ + "/secret", "secret");
    before_ = snapshot(base_.path());
    before_.erase("work/dest");
  }

  // Everything outside dest is as it was.
  void TearDown() override {
    auto after = snapshot(base_.path());
    for (auto it = after.begin(); it != after.end();) {
      it = it->first == "work/dest" || it->first.rfind("work/dest/", 0) == 0 ? after.erase(it)
                                                                             : std::next(it);
    }
    EXPECT_EQ(after, before_) << "something outside the destination changed";
  }

  // Hand-made tars are owned by uid 0: keep ownership only where chown to 0 can work.
  static ApplyOptions user_opts() {
    ApplyOptions opts;
    opts.keep_ownership = ::geteuid() == 0;
    return opts;
  }

  Result<ApplyResult> apply(const std::string& tar, ApplyOptions opts = user_opts()) {
    testing::MemFile in(tar);
    return internal::apply_layer_with(in.fd(), dest_, opts, GetParam());
  }

  void expect_error(const Result<ApplyResult>& r, const std::string& message,
                    Code code = Code::kInvalidArgument) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), message);
    EXPECT_EQ(r.error().code(), code);
  }

  TempDir base_ = testing::temp_dir();
  std::string outside_, dest_;
  std::map<std::string, std::string> before_;
};

TEST_P(HostileTar, DotDotEscapesAreRefused) {
  for (const char* name : {"../evil", "a/../../evil", "../../evil", "./../work/evil", "/../evil"}) {
    SCOPED_TRACE(name);
    std::string tar =
        testing::make_tar([&](TarWriter& w) { ASSERT_TRUE(w.add_file(name, "x").ok()); });
    expect_error(apply(tar),
                 "invalid tar entry \"" + std::string(name) + "\": path escapes the layer root");
  }
  std::string dir =
      testing::make_tar([](TarWriter& w) { ASSERT_TRUE(w.add_dir("../evil-dir").ok()); });
  expect_error(apply(dir), "invalid tar entry \"../evil-dir/\": path escapes the layer root");
  EXPECT_FALSE(exists(base_.path() + "/work/evil"));
  EXPECT_FALSE(exists(base_.path() + "/evil"));
}

TEST_P(HostileTar, DotDotInsideTheRootIsFine) {
  std::string tar =
      testing::make_tar([](TarWriter& w) { ASSERT_TRUE(w.add_file("a/b/../c", "x").ok()); });
  auto r = apply(tar);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(read_whole(dest_ + "/a/c"), "x");
}

TEST_P(HostileTar, AbsoluteNamesLandInsideTheRoot) {
  std::string target = outside_ + "/secret";
  std::string tar = testing::make_tar([&](TarWriter& w) {
    ASSERT_TRUE(w.add_file("/abs/path", "abs").ok());
    ASSERT_TRUE(w.add_file(target, "pwned").ok());
  });
  auto r = apply(tar);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(read_whole(dest_ + "/abs/path"), "abs");
  EXPECT_EQ(read_whole(dest_ + target), "pwned");
  EXPECT_EQ(read_whole(target), "secret");
}

TEST_P(HostileTar, SymlinkToAnOutsideDirectoryIsNotFollowedOut) {
  std::string tar = testing::make_tar([&](TarWriter& w) {
    ASSERT_TRUE(w.add_symlink("link", outside_).ok());
    ASSERT_TRUE(w.add_file("link/pwned", "pwned").ok());
  });
  expect_error(apply(tar),
               "invalid tar entry \"link/pwned\": parent \"link\" is a symlink to a "
               "missing directory");
  EXPECT_FALSE(exists(outside_ + "/pwned"));
  // The link itself was created verbatim: absolute targets are legal in images.
  char buf[4096];
  ssize_t n = ::readlink((dest_ + "/link").c_str(), buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))), outside_);
}

TEST_P(HostileTar, SymlinkTargetsResolveInsideTheRoot) {
  // The same link, once the target path exists inside dest, leads there.
  std::string tar = testing::make_tar([&](TarWriter& w) {
    ASSERT_TRUE(w.add_dir(outside_).ok());
    ASSERT_TRUE(w.add_symlink("link", outside_).ok());
    ASSERT_TRUE(w.add_file("link/secret", "inside").ok());
  });
  auto r = apply(tar);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(read_whole(dest_ + outside_ + "/secret"), "inside");
}

TEST_P(HostileTar, DotDotSymlinkStopsAtTheRoot) {
  std::string tar = testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_symlink("link", "../..").ok());
    ASSERT_TRUE(w.add_file("link/x", "x").ok());
    ASSERT_TRUE(w.add_dir("sub").ok());
    ASSERT_TRUE(w.add_symlink("sub/up", "../../../../../..").ok());
    ASSERT_TRUE(w.add_file("sub/up/outside/secret", "y").ok());
  });
  auto r = apply(tar);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(read_whole(dest_ + "/x"), "x");
  EXPECT_EQ(read_whole(dest_ + "/outside/secret"), "y");
  EXPECT_FALSE(exists(base_.path() + "/work/x"));
}

TEST_P(HostileTar, ChainedSymlinksStayInside) {
  std::string tar = testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_symlink("a", "b").ok());
    ASSERT_TRUE(w.add_symlink("b", "/").ok());
    ASSERT_TRUE(w.add_file("a/x", "x").ok());
  });
  ASSERT_TRUE(apply(tar).ok());
  EXPECT_EQ(read_whole(dest_ + "/x"), "x");
}

TEST_P(HostileTar, SymlinkLoop) {
  std::string tar = testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_symlink("l1", "l2").ok());
    ASSERT_TRUE(w.add_symlink("l2", "l1").ok());
    ASSERT_TRUE(w.add_file("l1/x", "x").ok());
  });
  auto r = apply(tar);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "extracting \"l1/x\": resolving \"l1\": Too many levels of symbolic links");
}

TEST_P(HostileTar, EntryReplacingASymlinkDoesNotWriteThroughIt) {
  std::string secret = outside_ + "/secret";
  std::string tar = testing::make_tar([&](TarWriter& w) {
    ASSERT_TRUE(w.add_symlink("f", secret).ok());
    ASSERT_TRUE(w.add_file("f", "replaced").ok());
    ASSERT_TRUE(w.add_symlink("d", outside_).ok());
    ASSERT_TRUE(w.add_dir("d").ok());
    ASSERT_TRUE(w.add_file("d/secret", "inside").ok());
  });
  auto r = apply(tar);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(read_whole(dest_ + "/f"), "replaced");
  EXPECT_EQ(read_whole(dest_ + "/d/secret"), "inside");
  struct stat st;
  ASSERT_EQ(::lstat((dest_ + "/d").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_P(HostileTar, HardLinkEscapesAreRefused) {
  std::string tar = testing::make_tar(
      [](TarWriter& w) { ASSERT_TRUE(w.add_hardlink("evil", "../../etc/passwd").ok()); });
  expect_error(apply(tar),
               "invalid tar entry \"evil\": hard link target \"../../etc/passwd\" "
               "escapes the layer root");
  EXPECT_FALSE(exists(dest_ + "/evil"));
}

TEST_P(HostileTar, HardLinkTargetsResolveInsideTheRoot) {
  std::string abs = testing::make_tar(
      [&](TarWriter& w) { ASSERT_TRUE(w.add_hardlink("evil", outside_ + "/secret").ok()); });
  expect_error(apply(abs),
               "extracting \"evil\": hard link target \"" + outside_ + "/secret\": resolving \"" +
                   outside_.substr(1) + "\": No such file or directory",
               Code::kNotFound);
  // Through a symlinked parent, the link points at the copy inside dest, not the real one.
  std::string via_link = testing::make_tar([&](TarWriter& w) {
    ASSERT_TRUE(w.add_file("etc/passwd", "fake").ok());
    ASSERT_TRUE(w.add_symlink("link", "/etc").ok());
    ASSERT_TRUE(w.add_hardlink("h", "link/passwd").ok());
    ASSERT_TRUE(w.add_symlink("sym", outside_ + "/secret").ok());
    ASSERT_TRUE(w.add_hardlink("h2", "sym").ok());  // links the symlink, does not follow it
  });
  auto r = apply(via_link);
  ASSERT_TRUE(r.ok()) << r.error().message();
  struct stat h, fake, h2;
  ASSERT_EQ(::lstat((dest_ + "/h").c_str(), &h), 0);
  ASSERT_EQ(::lstat((dest_ + "/etc/passwd").c_str(), &fake), 0);
  EXPECT_EQ(h.st_ino, fake.st_ino);
  ASSERT_EQ(::lstat((dest_ + "/h2").c_str(), &h2), 0);
  EXPECT_TRUE(S_ISLNK(h2.st_mode));
}

TEST_P(HostileTar, HardLinkToItselfOrTheRoot) {
  std::string self =
      testing::make_tar([](TarWriter& w) { ASSERT_TRUE(w.add_hardlink("a", "./a").ok()); });
  expect_error(apply(self), "invalid tar entry \"a\": hard link to itself");
  std::string root =
      testing::make_tar([](TarWriter& w) { ASSERT_TRUE(w.add_hardlink("a", "/").ok()); });
  expect_error(apply(root), "invalid tar entry \"a\": hard link target \"/\" is the layer root");
}

TEST_P(HostileTar, FileInTheWayOfAParent) {
  std::string tar = testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_file("f", "x").ok());
    ASSERT_TRUE(w.add_file("f/g", "y").ok());
  });
  expect_error(apply(tar), "invalid tar entry \"f/g\": parent \"f\" is not a directory");
}

TEST_P(HostileTar, RootCanOnlyBeADirectory) {
  // (Not "./": libarchive reads a file whose name ends in "/" as a directory, as old tars meant.)
  std::string tar =
      testing::make_tar([](TarWriter& w) { ASSERT_TRUE(w.add_symlink(".", "/x").ok()); });
  expect_error(apply(tar), "invalid tar entry \".\": the layer root can only be a directory");
}

TEST_P(HostileTar, FlattenWhiteoutsDoNotFollowSymlinksOut) {
  ApplyOptions flatten = user_opts();
  flatten.overlay_whiteouts = false;
  std::string tar = testing::make_tar([&](TarWriter& w) {
    ASSERT_TRUE(w.add_symlink("link", outside_).ok());
    ASSERT_TRUE(w.add_file("link/.wh.secret", "").ok());
    ASSERT_TRUE(w.add_file(outside_ + "/.wh.secret", "").ok());
    ASSERT_TRUE(w.add_file("../.wh.outside", "").ok());
  });
  expect_error(apply(tar, flatten),
               "invalid tar entry \"../.wh.outside\": path escapes the layer root");
  EXPECT_EQ(read_whole(outside_ + "/secret"), "secret");
  std::string opaque = testing::make_tar([&](TarWriter& w) {
    ASSERT_TRUE(w.add_symlink("link2", outside_).ok());
    ASSERT_TRUE(w.add_file("link2/.wh..wh..opq", "").ok());
  });
  expect_error(apply(opaque, flatten),
               "invalid tar entry \"link2/.wh..wh..opq\": parent \"link2\" "
               "is a symlink to a missing directory");
}

TEST_P(HostileTar, MalformedWhiteouts) {
  for (const char* name : {"a/.wh.", "a/.wh..", "a/.wh..."}) {
    SCOPED_TRACE(name);
    std::string tar =
        testing::make_tar([&](TarWriter& w) { ASSERT_TRUE(w.add_file(name, "").ok()); });
    expect_error(apply(tar),
                 "invalid tar entry \"" + std::string(name) + "\": whiteout without a name");
  }
}

TEST_P(HostileTar, TruncatedGzipIsAnError) {
  std::string tar = testing::make_tar([](TarWriter& w) {
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE(w.add_file("f" + std::to_string(i), std::string(20000, 'a' + i)).ok());
  });
  std::string gz = testing::gzip(tar);
  auto r = apply(gz.substr(0, gz.size() / 2));
  expect_error(r, "reading tar: gzip: truncated input");
}

TEST_P(HostileTar, TruncatedPlainTarIsAnError) {
  std::string tar = testing::make_tar(
      [](TarWriter& w) { ASSERT_TRUE(w.add_file("f", std::string(5000, 'a')).ok()); });
  auto r = apply(tar.substr(0, 1536));
  expect_error(r, "reading tar: reading data: Truncated tar archive");
}

INSTANTIATE_TEST_SUITE_P(Resolvers, HostileTar, ::testing::ValuesIn(resolvers()), resolver_name);

}  // namespace
}  // namespace berth::archive
