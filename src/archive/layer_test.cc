// export_layer / apply_layer together: round trips, determinism, whiteouts both ways, ownership
// and devices (with the root / non-root split the tests run under).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "archive/archive.h"
#include "archive/tar.h"
#include "archive/test_util.h"

namespace berth::archive {
namespace {

using testing::exists;
using testing::MemFile;
using testing::read_whole;
using testing::set_mtime;
using testing::snapshot;
using testing::write_file;

bool is_root() { return ::geteuid() == 0; }

// Hand-made tars are owned by uid 0: keep ownership only where chown to 0 can work.
ApplyOptions user_opts() {
  ApplyOptions opts;
  opts.keep_ownership = is_root();
  return opts;
}

// Linux 5.8+ lets anyone create 0/0 whiteout devices; before, it takes CAP_MKNOD.
bool can_make_whiteouts() {
  TempDir t = testing::temp_dir();
  return ::mknod((t.path() + "/w").c_str(), S_IFCHR, makedev(0, 0)) == 0;
}

Result<ApplyResult> apply_bytes(const std::string& tar, const std::string& dest,
                                const ApplyOptions& opts = user_opts()) {
  MemFile in(tar);
  return apply_layer(in.fd(), dest, opts);
}

struct Exported {
  ExportResult result;
  std::string bytes;
};

Exported export_dir(const std::string& dir, ExportOptions opts = {}) {
  MemFile out;
  auto r = export_layer(dir, out.fd(), opts);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return {r.ok() ? *r : ExportResult{}, out.contents()};
}

// files, dirs, an empty dir, symlinks, a hard link pair, setuid/sticky modes, a fifo, xattrs and
// fixed mtimes. `reverse` creates the same tree in another order (another readdir order).
void build_tree(const std::string& root, bool reverse = false) {
  auto mk = [&](const std::string& rel, mode_t mode) {
    ASSERT_EQ(::mkdir((root + "/" + rel).c_str(), mode), 0) << rel;
    ASSERT_EQ(::chmod((root + "/" + rel).c_str(), mode), 0);
  };
  std::vector<std::function<void()>> steps = {
      [&] { write_file(root + "/zz-last", "last\n"); },
      [&] { write_file(root + "/a-first", std::string(70000, 'a'), 0600); },
      [&] { ASSERT_EQ(::symlink("/etc/os-release", (root + "/abs-link").c_str()), 0); },
      [&] { ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0640), 0); },
  };
  if (reverse) std::reverse(steps.begin(), steps.end());
  for (auto& s : steps) s();
  mk("bin", 0755);
  write_file(root + "/bin/suid", "#!/bin/sh\n", 04755);
  write_file(root + "/bin/tool", "tool", 0755);
  ASSERT_EQ(::link((root + "/bin/tool").c_str(), (root + "/bin/tool-hardlink").c_str()), 0);
  ASSERT_EQ(::symlink("tool", (root + "/bin/rel-link").c_str()), 0);
  mk("tmp", 01777);
  mk("empty", 0700);
  mk("etc", 0755);
  mk("etc/deep", 0555);
  write_file(root + "/etc/conf", "k=v\n", 0644);
  ASSERT_EQ(::setxattr((root + "/etc/conf").c_str(), "user.x", "xv", 2, 0), 0);
  ASSERT_EQ(::setxattr((root + "/etc").c_str(), "user.dir", "dv", 2, 0), 0);
  if (::geteuid() == 0) {
    // Other owners, and a file capability (cap_net_bind_service, effective), which chown would
    // clear if apply set it before the owner.
    ASSERT_EQ(::lchown((root + "/bin/tool").c_str(), 1000, 2000), 0);
    ASSERT_EQ(::lchown((root + "/bin/rel-link").c_str(), 1001, 2001), 0);
    ASSERT_EQ(::lchown((root + "/etc/deep").c_str(), 1002, 2002), 0);
    const uint32_t cap[5] = {0x02000001, 1u << 10, 0, 0, 0};
    ASSERT_EQ(::setxattr((root + "/bin/tool").c_str(), "security.capability", cap, sizeof(cap), 0),
              0);
  }
  for (const char* p : {"zz-last", "a-first", "abs-link", "fifo", "bin/suid", "bin/tool",
                        "bin/rel-link", "etc/conf", "etc/deep", "etc", "bin", "tmp", "empty"}) {
    set_mtime(root + "/" + p, 1500000000 + static_cast<int64_t>(std::string(p).size()));
  }
}

TEST(Layer, RoundTripKeepsTheTree) {
  TempDir src = testing::temp_dir(), dst = testing::temp_dir();
  build_tree(src.path());
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    SCOPED_TRACE(compression_name(c));
    TempDir out = testing::temp_dir();
    ExportOptions opts;
    opts.compression = c;
    Exported ex = export_dir(src.path(), opts);
    auto applied = apply_bytes(ex.bytes, out.path());
    ASSERT_TRUE(applied.ok()) << applied.error().message();
    EXPECT_EQ(snapshot(out.path()), snapshot(src.path()));
    EXPECT_EQ(applied->diff_id, ex.result.diff_id);
    // Content bytes: 5 + 70000 + 10 + 4 + 4 ("tool" once: the hard link has no data).
    EXPECT_EQ(applied->size, 70023u);
  }
}

TEST(Layer, ExportIsDeterministic) {
  TempDir a = testing::temp_dir(), b = testing::temp_dir();
  build_tree(a.path());
  build_tree(b.path(), /*reverse=*/true);
  Exported first = export_dir(a.path());
  Exported again = export_dir(a.path());
  Exported other = export_dir(b.path());
  EXPECT_EQ(first.result.digest, again.result.digest);
  EXPECT_EQ(first.bytes, again.bytes);
  EXPECT_EQ(first.result.digest, other.result.digest);
  EXPECT_EQ(first.result.digest, testing::sha256(first.bytes));
  EXPECT_EQ(first.result.compressed_size, first.bytes.size());
  // The diff_id is the sha256 of the uncompressed tar: the same tree exported plain.
  ExportOptions plain;
  plain.compression = Compression::kNone;
  Exported uncompressed = export_dir(a.path(), plain);
  EXPECT_EQ(first.result.diff_id, testing::sha256(uncompressed.bytes));
  EXPECT_EQ(first.result.uncompressed_size, uncompressed.bytes.size());
  EXPECT_EQ(uncompressed.result.digest, uncompressed.result.diff_id);
}

TEST(Layer, ExportOrderAndEntryShapes) {
  TempDir src = testing::temp_dir();
  build_tree(src.path());
  ExportOptions plain;
  plain.compression = Compression::kNone;
  std::vector<TarEntry> es = testing::entries(export_dir(src.path(), plain).bytes);
  std::vector<std::string> names;
  for (const auto& e : es) names.push_back(e.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"a-first", "abs-link", "bin/", "bin/rel-link", "bin/suid",
                                      "bin/tool", "bin/tool-hardlink", "empty/", "etc/", "etc/conf",
                                      "etc/deep/", "fifo", "tmp/", "zz-last"}));
  EXPECT_EQ(es[6].type, EntryType::kHardlink);
  EXPECT_EQ(es[6].linkname, "bin/tool");
  EXPECT_EQ(es[4].mode, 04755u);
  EXPECT_EQ(es[12].mode, 01777u);
  EXPECT_EQ(es[11].type, EntryType::kFifo);
  EXPECT_EQ(es[9].xattrs, (std::vector<std::pair<std::string, std::string>>{{"user.x", "xv"}}));
}

TEST(Layer, ClampMtime) {
  TempDir src = testing::temp_dir();
  write_file(src.path() + "/new", "n");
  write_file(src.path() + "/old", "o");
  set_mtime(src.path() + "/new", 2000000000);
  set_mtime(src.path() + "/old", 1000000000);
  ExportOptions opts;
  opts.compression = Compression::kNone;
  opts.clamp_mtime = 1500000000;
  std::vector<TarEntry> es = testing::entries(export_dir(src.path(), opts).bytes);
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].mtime, 1500000000);
  EXPECT_EQ(es[1].mtime, 1000000000);
}

TEST(Layer, OwnershipIsKeptAsRootAndRefusedOtherwise) {
  std::string tar = testing::make_tar([](TarWriter& w) {
    TarEntry e;
    e.name = "owned";
    e.size = 1;
    e.uid = 1234;
    e.gid = 5678;
    e.mode = 02755;
    ASSERT_TRUE(w.add(e, "x").ok());
  });
  TempDir dst = testing::temp_dir();
  ApplyOptions keep;
  keep.keep_ownership = true;
  auto r = apply_bytes(tar, dst.path(), keep);
  struct stat st;
  if (is_root()) {
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(::lstat((dst.path() + "/owned").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 5678u);
    EXPECT_EQ(st.st_mode & 07777, 02755u);  // set after chown, which clears setgid
  } else {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), "extracting \"owned\": chown: Operation not permitted");
    EXPECT_EQ(r.error().code(), Code::kPermissionDenied);
  }
  TempDir mine = testing::temp_dir();
  ApplyOptions keep_mine = user_opts();
  keep_mine.keep_ownership = false;
  ASSERT_TRUE(apply_bytes(tar, mine.path(), keep_mine).ok());
  ASSERT_EQ(::lstat((mine.path() + "/owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid());
}

std::string device_tar() {
  return testing::make_tar([](TarWriter& w) {
    TarEntry e;
    e.name = "dev/null";
    e.type = EntryType::kCharDevice;
    e.dev_major = 1;
    e.dev_minor = 3;
    e.mode = 0666;
    ASSERT_TRUE(w.add(e).ok());
  });
}

TEST(Layer, DevicesNeedRootAndCanBeRefused) {
  TempDir dst = testing::temp_dir();
  auto r = apply_bytes(device_tar(), dst.path());
  if (is_root()) {
    ASSERT_TRUE(r.ok()) << r.error().message();
    struct stat st;
    ASSERT_EQ(::lstat((dst.path() + "/dev/null").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
    EXPECT_EQ(st.st_mode & 07777, 0666u);
  } else {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), "extracting \"dev/null\": mknod: Operation not permitted");
  }
  TempDir refused = testing::temp_dir();
  ApplyOptions no_devices = user_opts();
  no_devices.allow_devices = false;
  auto r2 = apply_bytes(device_tar(), refused.path(), no_devices);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().message(), "invalid tar entry \"dev/null\": device nodes are not allowed");
  EXPECT_EQ(r2.error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(exists(refused.path() + "/dev"));
}

std::string whiteout_tar() {
  return testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_dir("a", 0755, 100).ok());
    ASSERT_TRUE(w.add_file("a/.wh.gone", "", 0600, 100).ok());
    ASSERT_TRUE(w.add_file("a/kept", "k", 0644, 100).ok());
    ASSERT_TRUE(w.add_file(".wh..wh.plnk", "", 0600, 100).ok());  // aufs metadata: ignored
  });
}

std::string opaque_tar() {
  return testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_dir("c", 0750, 100).ok());
    ASSERT_TRUE(w.add_file("c/.wh..wh..opq", "", 0750, 100).ok());
    ASSERT_TRUE(w.add_file("c/new", "n", 0644, 100).ok());
  });
}

TEST(Whiteouts, OverlayWhiteoutOnApply) {
  TempDir dst = testing::temp_dir();
  auto r = apply_bytes(whiteout_tar(), dst.path());
  if (!can_make_whiteouts()) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(),
              "extracting \"a/.wh.gone\": mknod whiteout \"a/gone\": Operation not permitted");
    EXPECT_EQ(r.error().code(), Code::kPermissionDenied);
    return;
  }
  ASSERT_TRUE(r.ok()) << r.error().message();
  struct stat st;
  ASSERT_EQ(::lstat((dst.path() + "/a/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_EQ(st.st_mtim.tv_sec, 100);
  EXPECT_EQ(read_whole(dst.path() + "/a/kept"), "k");
  EXPECT_FALSE(exists(dst.path() + "/a/.wh.gone"));
  EXPECT_FALSE(exists(dst.path() + "/.wh..wh.plnk"));
  EXPECT_FALSE(exists(dst.path() + "/plnk"));
}

TEST(Whiteouts, OverlayOpaqueOnApply) {
  TempDir dst = testing::temp_dir();
  auto r = apply_bytes(opaque_tar(), dst.path());
  if (!is_root()) {  // trusted.* xattrs need CAP_SYS_ADMIN
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(),
              "extracting \"c/.wh..wh..opq\": setxattr "
              "trusted.overlay.opaque: Operation not permitted");
    EXPECT_EQ(r.error().code(), Code::kPermissionDenied);
    return;
  }
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(testing::get_xattr(dst.path() + "/c", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(read_whole(dst.path() + "/c/new"), "n");
  EXPECT_FALSE(exists(dst.path() + "/c/.wh..wh..opq"));
}

TEST(Whiteouts, OverlayFormExportsBackToTheSameTar) {
  TempDir dst = testing::temp_dir();
  auto r1 = apply_bytes(whiteout_tar(), dst.path());
  auto r2 = apply_bytes(opaque_tar(), dst.path());
  if (!is_root()) {
    // Building an overlay-form tree needs privileges; without them apply says so.
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code(), Code::kPermissionDenied);
    return;
  }
  ASSERT_TRUE(r1.ok()) << r1.error().message();
  ASSERT_TRUE(r2.ok()) << r2.error().message();
  ExportOptions opts;
  opts.compression = Compression::kNone;
  Exported ex = export_dir(dst.path(), opts);
  std::vector<TarEntry> es = testing::entries(ex.bytes);
  std::vector<std::string> names;
  for (const auto& e : es) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a/", "a/.wh.gone", "a/kept", "c/", "c/.wh..wh..opq",
                                             "c/new"}));
  EXPECT_EQ(es[1].type, EntryType::kFile);
  EXPECT_EQ(es[1].size, 0u);
  EXPECT_EQ(es[1].mode, 0600u);
  EXPECT_EQ(es[4].mode, 0750u);
  EXPECT_TRUE(es[3].xattrs.empty());  // trusted.overlay.opaque became the marker file
  // And the exported tar applies to the same tree.
  TempDir again = testing::temp_dir();
  ASSERT_TRUE(apply_bytes(ex.bytes, again.path()).ok());
  EXPECT_EQ(snapshot(again.path()), snapshot(dst.path()));
  // Without conversion the whiteout is exported as the device it is.
  opts.overlay_whiteouts = false;
  std::vector<TarEntry> raw = testing::entries(export_dir(dst.path(), opts).bytes);
  ASSERT_EQ(raw.size(), 5u);
  EXPECT_EQ(raw[1].name, "a/gone");
  EXPECT_EQ(raw[1].type, EntryType::kCharDevice);
}

TEST(Whiteouts, SharedWhiteoutInodesAreNotHardLinks) {
  TempDir src = testing::temp_dir();
  if (!can_make_whiteouts()) {
    EXPECT_NE(::mknod((src.path() + "/w1").c_str(), S_IFCHR, makedev(0, 0)), 0);
    EXPECT_EQ(errno, EPERM);
    return;
  }
  // overlayfs links new whiteouts to one shared inode.
  ASSERT_EQ(::mknod((src.path() + "/w1").c_str(), S_IFCHR, makedev(0, 0)), 0);
  ASSERT_EQ(::link((src.path() + "/w1").c_str(), (src.path() + "/w2").c_str()), 0);
  ExportOptions opts;
  opts.compression = Compression::kNone;
  std::vector<TarEntry> es = testing::entries(export_dir(src.path(), opts).bytes);
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].name, ".wh.w1");
  EXPECT_EQ(es[1].name, ".wh.w2");
  EXPECT_EQ(es[1].type, EntryType::kFile);
}

TEST(Whiteouts, FlattenDeletesLowerContent) {
  TempDir dst = testing::temp_dir();
  const std::string& d = dst.path();
  for (const char* dir : {"/a", "/c", "/c/sub", "/c/olddir", "/d"})
    ASSERT_TRUE(mkdir_all(d + dir).ok());
  write_file(d + "/a/gone", "lower");
  write_file(d + "/a/stays", "lower");
  write_file(d + "/c/old", "lower");
  write_file(d + "/c/sub/oldfile", "lower");
  write_file(d + "/c/olddir/f", "lower");
  write_file(d + "/d/lower", "lower");
  std::string tar = testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_file("a/.wh.gone", "").ok());
    ASSERT_TRUE(w.add_file("a/.wh.never-existed", "").ok());
    ASSERT_TRUE(w.add_file("missing-dir/.wh.x", "").ok());
    ASSERT_TRUE(w.add_dir("c").ok());
    ASSERT_TRUE(w.add_file("c/.wh..wh..opq", "").ok());
    ASSERT_TRUE(w.add_file("c/new", "upper").ok());
    ASSERT_TRUE(w.add_file("c/sub/newfile", "upper").ok());
    // The marker after this layer's own entries: they stay.
    ASSERT_TRUE(w.add_file("d/mine", "upper").ok());
    ASSERT_TRUE(w.add_file("d/.wh..wh..opq", "").ok());
  });
  ApplyOptions flatten = user_opts();
  flatten.overlay_whiteouts = false;
  auto r = apply_bytes(tar, d, flatten);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(exists(d + "/a/gone"));
  EXPECT_EQ(read_whole(d + "/a/stays"), "lower");
  EXPECT_FALSE(exists(d + "/c/old"));
  EXPECT_FALSE(exists(d + "/c/olddir"));
  EXPECT_FALSE(exists(d + "/c/sub/oldfile"));
  EXPECT_EQ(read_whole(d + "/c/new"), "upper");
  EXPECT_EQ(read_whole(d + "/c/sub/newfile"), "upper");
  EXPECT_EQ(read_whole(d + "/d/mine"), "upper");
  EXPECT_FALSE(exists(d + "/d/lower"));
  EXPECT_FALSE(exists(d + "/missing-dir"));
  for (const char* marker : {"/a/.wh.gone", "/c/.wh..wh..opq", "/d/.wh..wh..opq"})
    EXPECT_FALSE(exists(d + marker)) << marker;
  EXPECT_EQ(testing::get_xattr(d + "/c", "trusted.overlay.opaque"), "");
}

TEST(Apply, ReplacesExistingEntries) {
  TempDir dst = testing::temp_dir();
  const std::string& d = dst.path();
  ASSERT_TRUE(mkdir_all(d + "/dir-stays").ok());
  write_file(d + "/dir-stays/lower", "lower");
  ASSERT_TRUE(mkdir_all(d + "/dir-becomes-file/sub").ok());
  write_file(d + "/file-becomes-dir", "x");
  write_file(d + "/overwritten", "old");
  std::string tar = testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_dir("dir-stays", 0700).ok());
    ASSERT_TRUE(w.add_file("dir-becomes-file", "f").ok());
    ASSERT_TRUE(w.add_dir("file-becomes-dir").ok());
    ASSERT_TRUE(w.add_file("overwritten", "new").ok());
  });
  ApplyOptions flatten = user_opts();
  flatten.overlay_whiteouts = false;
  ASSERT_TRUE(apply_bytes(tar, d, flatten).ok());
  EXPECT_EQ(read_whole(d + "/dir-stays/lower"), "lower");
  struct stat st;
  ASSERT_EQ(::lstat((d + "/dir-stays").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(read_whole(d + "/dir-becomes-file"), "f");
  ASSERT_EQ(::lstat((d + "/file-becomes-dir").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(read_whole(d + "/overwritten"), "new");
}

TEST(Apply, RootEntryAndReadOnlyDirectories) {
  TempDir dst = testing::temp_dir();
  std::string tar = testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_dir("./", 0711, 1234).ok());
    ASSERT_TRUE(w.add_dir("./ro", 0555, 99).ok());
    ASSERT_TRUE(w.add_file("./ro/f", "x", 0444, 98).ok());
  });
  ASSERT_TRUE(apply_bytes(tar, dst.path()).ok());
  struct stat st;
  ASSERT_EQ(::stat(dst.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234);
  ASSERT_EQ(::stat((dst.path() + "/ro").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0555u);
  EXPECT_EQ(st.st_mtim.tv_sec, 99);  // set after its content
  EXPECT_EQ(read_whole(dst.path() + "/ro/f"), "x");
  ::chmod((dst.path() + "/ro").c_str(), 0755);  // so that a non-root run can clean up
}

TEST(Apply, OverlayXattrsFromTheTarAreDropped) {
  TempDir dst = testing::temp_dir();
  std::string tar = testing::make_tar([](TarWriter& w) {
    TarEntry e;
    e.name = "f";
    e.size = 1;
    e.xattrs = {{"trusted.overlay.redirect", "/elsewhere"}, {"user.kept", "1"}};
    ASSERT_TRUE(w.add(e, "x").ok());
  });
  ASSERT_TRUE(apply_bytes(tar, dst.path()).ok());
  EXPECT_EQ(testing::get_xattr(dst.path() + "/f", "trusted.overlay.redirect"), "");
  EXPECT_EQ(testing::get_xattr(dst.path() + "/f", "user.kept"), "1");
}

TEST(Apply, SparseFilesKeepTheirSize) {
  TempDir src = testing::temp_dir(), dst = testing::temp_dir();
  {
    UniqueFd fd(::open((src.path() + "/sparse").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    ASSERT_EQ(::pwrite(fd.get(), "end", 3, 10 << 20), 3);
  }
  ExportOptions opts;
  opts.compression = Compression::kZstd;
  Exported ex = export_dir(src.path(), opts);
  auto r = apply_bytes(ex.bytes, dst.path());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(snapshot(dst.path()), snapshot(src.path()));
}

TEST(Apply, MissingDestination) {
  auto r = apply_bytes(testing::make_tar([](TarWriter&) {}), "/nonexistent/berth-dest");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "opening layer root \"/nonexistent/berth-dest\": No such file or directory");
  EXPECT_EQ(r.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth::archive
