#include "archive/tar.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>

#include "archive/test_util.h"

namespace berth::archive {
namespace {

using testing::MemFile;

TEST(TarWriter, EntriesReadBackAsWritten) {
  std::string long_name = "dir/" + std::string(150, 'n') + "/file";
  TarEntry dev;
  dev.name = "dev/tty0";
  dev.type = EntryType::kCharDevice;
  dev.dev_major = 4;
  dev.dev_minor = 1;
  dev.mode = 0620;
  dev.uid = 3000000;  // beyond ustar's 7 octal digits: needs a pax record
  dev.gid = 5;
  TarEntry with_xattr;
  with_xattr.name = "cap";
  with_xattr.size = 3;
  with_xattr.mode = 04755;
  with_xattr.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02", 4)},
                       {"user.x", "1"}};
  std::string tar = testing::make_tar([&](TarWriter& w) {
    ASSERT_TRUE(w.add_dir("dir", 0750, 1600000000).ok());
    ASSERT_TRUE(w.add_file(long_name, "long", 0644, 1600000001).ok());
    ASSERT_TRUE(w.add_symlink("sym", "/abs/target").ok());
    ASSERT_TRUE(w.add_hardlink("hard", long_name).ok());
    ASSERT_TRUE(w.add(dev).ok());
    ASSERT_TRUE(w.add(with_xattr, "bin").ok());
    ASSERT_TRUE(w.add_file("caf\xc3\xa9", "utf8").ok());
    ASSERT_TRUE(w.add_file("lat\xe9n", "latin1").ok());
  });
  std::vector<TarEntry> got = testing::entries(tar);
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(got[0].name, "dir/");
  EXPECT_EQ(got[0].type, EntryType::kDir);
  EXPECT_EQ(got[0].mode, 0750u);
  EXPECT_EQ(got[0].mtime, 1600000000);
  EXPECT_EQ(got[1].name, long_name);
  EXPECT_EQ(got[1].size, 4u);
  EXPECT_EQ(got[2].type, EntryType::kSymlink);
  EXPECT_EQ(got[2].linkname, "/abs/target");
  EXPECT_EQ(got[3].type, EntryType::kHardlink);
  EXPECT_EQ(got[3].linkname, long_name);
  EXPECT_EQ(got[4].type, EntryType::kCharDevice);
  EXPECT_EQ(got[4].dev_major, 4u);
  EXPECT_EQ(got[4].dev_minor, 1u);
  EXPECT_EQ(got[4].uid, 3000000u);
  EXPECT_EQ(got[4].mode, 0620u);
  EXPECT_EQ(got[5].mode, 04755u);
  EXPECT_EQ(got[5].xattrs, with_xattr.xattrs);
  EXPECT_EQ(got[6].name, "caf\xc3\xa9");  // names are bytes, UTF-8 or not
  EXPECT_EQ(got[7].name, "lat\xe9n");
}

TEST(TarWriter, DigestsDescribeTheBytesWritten) {
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    SCOPED_TRACE(compression_name(c));
    MemFile out;
    auto w = TarWriter::open(out.fd(), c);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->add_file("a", "hello").ok());
    auto r = w->finish();
    ASSERT_TRUE(r.ok()) << r.error().message();
    std::string bytes = out.contents();
    EXPECT_EQ(r->digest, testing::sha256(bytes));
    EXPECT_EQ(r->compressed_size, bytes.size());
    std::string plain =
        testing::make_tar([](TarWriter& p) { ASSERT_TRUE(p.add_file("a", "hello").ok()); });
    EXPECT_EQ(r->diff_id, testing::sha256(plain));
    EXPECT_EQ(r->uncompressed_size, plain.size());
    // 512 header + 512 data + 1024 end marker, no padding to a 10240-byte record.
    EXPECT_EQ(plain.size(), 2048u);
  }
}

TEST(TarWriter, FromFdAndSizeChecks) {
  MemFile src("0123456789");
  std::string tar = testing::make_tar([&](TarWriter& w) {
    ASSERT_TRUE(w.add_file_from_fd("ten", src.fd(), 10).ok());
    MemFile shorter("abc");
    // A file that shrank is padded with zeros to its declared size.
    ASSERT_TRUE(w.add_file_from_fd("padded", shorter.fd(), 5).ok());
    TarEntry x;
    x.name = "x";
    x.size = 4;
    Status bad = w.add(x, "abc");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message(), "writing tar: entry \"x\" declares 4 bytes but has 3");
  });
  MemFile in(tar);
  auto ten = read_member(in.fd(), "ten");
  ASSERT_TRUE(ten.ok());
  EXPECT_EQ(*ten, "0123456789");
  in.rewind();
  auto padded = read_member(in.fd(), "padded");
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(*padded, std::string("abc\0\0", 5));
}

TEST(TarWriter, NoAddAfterFinish) {
  MemFile out;
  auto w = TarWriter::open(out.fd());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->finish().ok());
  Status s = w->add_file("late", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "writing tar: already finished");
}

TEST(TarWriter, AbandonedWriterLeavesAnIncompleteTar) {
  MemFile out;
  {
    auto w = TarWriter::open(out.fd());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->add_file("big", std::string(100000, 'b')).ok());
  }  // no finish()
  MemFile in(out.contents());
  auto r = TarReader::open(in.fd());
  ASSERT_TRUE(r.ok()) << r.error().message();
  auto e = r->next();
  ASSERT_TRUE(e.ok());
  auto data = r->read_data_string();
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.error().message(), "reading tar: reading data: Truncated tar archive");
}

TEST(TarWriter, WriteErrorsAreReported) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[0]);  // the reader is gone: EPIPE
  UniqueFd write_end(fds[1]);
  auto w = TarWriter::open(write_end.get());
  ASSERT_TRUE(w.ok());
  signal(SIGPIPE, SIG_IGN);
  Status s = w->add_file("big", std::string(1 << 20, 'x'));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "writing tar: write: Broken pipe");
}

std::string docker_archive() {
  return testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_dir("abc").ok());
    ASSERT_TRUE(w.add_file("abc/layer.tar", "LAYER").ok());
    ASSERT_TRUE(w.add_file("./manifest.json", "[{\"Config\":\"c.json\"}]").ok());
    ASSERT_TRUE(w.add_symlink("def/layer.tar", "../abc/layer.tar").ok());
  });
}

TEST(ReadMember, FindsByCleanName) {
  MemFile in(docker_archive());
  auto m = read_member(in.fd(), "manifest.json");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(*m, "[{\"Config\":\"c.json\"}]");
  in.rewind();
  auto layer = read_member(in.fd(), "./abc/layer.tar");
  ASSERT_TRUE(layer.ok());
  EXPECT_EQ(*layer, "LAYER");
}

TEST(ReadMember, Errors) {
  MemFile in(docker_archive());
  auto missing = read_member(in.fd(), "repositories");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_EQ(missing.error().message(), "tar member \"repositories\" not found");
  in.rewind();
  auto link = read_member(in.fd(), "def/layer.tar");
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(link.error().message(), "tar member \"def/layer.tar\" is not a regular file");
  in.rewind();
  auto big = read_member(in.fd(), "abc/layer.tar", 3);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message(),
            "tar member \"abc/layer.tar\": reading tar: entry of 5 bytes exceeds the limit of 3");
}

TEST(ForEachEntry, VisitsInOrderAndStopsAtTheFirstError) {
  MemFile in(docker_archive());
  std::vector<std::string> names;
  Status s = for_each_entry(in.fd(), [&](const TarEntry& e, TarReader&) -> Status {
    names.push_back(e.name);
    if (e.type == EntryType::kSymlink) return conflict("stop at " + e.name);
    return ok_status();
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "stop at def/layer.tar");
  EXPECT_EQ(names, (std::vector<std::string>{"abc/", "abc/layer.tar", "./manifest.json",
                                             "def/layer.tar"}));
}

TEST(TarReader, CopiesDataToAnFd) {
  MemFile in(docker_archive());
  auto r = TarReader::open(in.fd());
  ASSERT_TRUE(r.ok());
  MemFile out;
  while (true) {
    auto e = r->next();
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(e->has_value());
    if ((*e)->name == "abc/layer.tar") break;
  }
  ASSERT_TRUE(r->copy_data_to(out.fd()).ok());
  EXPECT_EQ(out.contents(), "LAYER");
  EXPECT_EQ(r->compression(), Compression::kNone);
}

TEST(TarReader, DigestCoversBytesAfterTheEndMarker) {
  std::string stream = docker_archive() + std::string(4096, '\0') + "trailer";
  MemFile in(stream);
  auto r = TarReader::open(in.fd());
  ASSERT_TRUE(r.ok());
  // finish() before the last entry skips the rest, still hashing everything.
  auto info = r->finish();
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->diff_id, testing::sha256(stream));
  EXPECT_EQ(info->uncompressed_size, stream.size());
  auto again = r->finish();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message(), "reading tar: finish() called twice");
}

TEST(TarReader, NotATar) {
  MemFile in(std::string(2000, 'x'));
  auto r = TarReader::open(in.fd());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "reading tar: reading header: Unrecognized archive format");
}

TEST(TarReader, TruncatedTar) {
  std::string tar = testing::make_tar(
      [](TarWriter& w) { ASSERT_TRUE(w.add_file("f", std::string(5000, 'x')).ok()); });
  MemFile in(tar.substr(0, 2048));
  auto r = TarReader::open(in.fd());
  ASSERT_TRUE(r.ok());
  auto e = r->next();
  ASSERT_TRUE(e.ok());
  auto data = r->read_data_string();
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.error().message(), "reading tar: reading data: Truncated tar archive");
}

TEST(TarReader, EmptyInput) {
  MemFile in("");
  auto r = TarReader::open(in.fd());
  ASSERT_TRUE(r.ok()) << r.error().message();
  auto e = r->next();
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_FALSE(e->has_value());
  auto info = r->finish();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->diff_id, testing::sha256(""));
}

}  // namespace
}  // namespace berth::archive
