#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include "archive/archive.h"
#include "archive/decompress.h"
#include "archive/parallel_gzip.h"
#include "archive/tar.h"
#include "archive/test_util.h"

namespace berth::archive {
namespace {

using namespace std::string_view_literals;
using testing::MemFile;

TEST(DetectCompression, RecognizesMagics) {
  EXPECT_EQ(detect_compression("\x1f\x8b\x08\x00\x00\x00"sv), Compression::kGzip);
  EXPECT_EQ(detect_compression("\x28\xb5\x2f\xfd\x04\x00"sv), Compression::kZstd);
  EXPECT_EQ(detect_compression("\xfd"
                               "7zXZ\x00\x00"sv),
            Compression::kXz);
  EXPECT_EQ(detect_compression("BZh91AY&SY"sv), Compression::kBzip2);
  EXPECT_EQ(detect_compression("BZh9\x17\x72\x45\x38\x50\x90"sv), Compression::kBzip2);
}

TEST(DetectCompression, PlainAndShortInputsAreNone) {
  EXPECT_EQ(detect_compression(""), Compression::kNone);
  EXPECT_EQ(detect_compression("\x1f"sv), Compression::kNone);
  EXPECT_EQ(detect_compression("\x1f\x8b"sv), Compression::kNone);  // no deflate method byte
  // A plain tar whose first name starts with "BZh" is not bzip2.
  EXPECT_EQ(detect_compression("BZh-readme.txt\0\0"sv), Compression::kNone);
  std::string tar = testing::make_tar([](TarWriter& w) { ASSERT_TRUE(w.add_file("a", "x").ok()); });
  EXPECT_EQ(detect_compression(tar), Compression::kNone);
}

TEST(CompressionName, Names) {
  EXPECT_EQ(compression_name(Compression::kNone), "none");
  EXPECT_EQ(compression_name(Compression::kGzip), "gzip");
  EXPECT_EQ(compression_name(Compression::kZstd), "zstd");
  EXPECT_EQ(compression_name(Compression::kXz), "xz");
  EXPECT_EQ(compression_name(Compression::kBzip2), "bzip2");
}

std::string sample_tar() {
  return testing::make_tar([](TarWriter& w) {
    ASSERT_TRUE(w.add_dir("d").ok());
    ASSERT_TRUE(w.add_file("d/f", std::string(100000, 'q') + "tail", 0600, 1700000000).ok());
  });
}

// Compresses `data` with one of libarchive's write filters (the "raw" format: one entry).
std::string libarchive_compress(const std::string& data, int (*add_filter)(struct archive*)) {
  MemFile out;
  struct archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  add_filter(a);
  EXPECT_EQ(archive_write_open_fd(a, out.fd()), ARCHIVE_OK);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK);
  EXPECT_EQ(archive_write_data(a, data.data(), data.size()), static_cast<la_ssize_t>(data.size()));
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return out.contents();
}

struct Read {
  std::vector<std::string> names;
  std::string data;
  StreamInfo info;
};

Result<Read> read_all(const std::string& stream) {
  MemFile in(stream);
  BERTH_ASSIGN_OR_RETURN(TarReader reader, TarReader::open(in.fd()));
  Read out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(auto e, reader.next());
    if (!e) break;
    out.names.push_back(e->name);
    if (e->type == EntryType::kFile) {
      BERTH_ASSIGN_OR_RETURN(std::string d, reader.read_data_string());
      out.data += d;
    }
  }
  BERTH_ASSIGN_OR_RETURN(out.info, reader.finish());
  return out;
}

TEST(Decompression, ReadsEveryCompression) {
  std::string tar = sample_tar();
  std::vector<std::pair<Compression, std::string>> cases = {
      {Compression::kNone, tar},
      {Compression::kGzip, testing::gzip(tar)},
      {Compression::kZstd,
       testing::make_tar(
           [](TarWriter& w) {
             ASSERT_TRUE(w.add_dir("d").ok());
             ASSERT_TRUE(
                 w.add_file("d/f", std::string(100000, 'q') + "tail", 0600, 1700000000).ok());
           },
           Compression::kZstd)},
      {Compression::kXz, libarchive_compress(tar, archive_write_add_filter_xz)},
      {Compression::kBzip2, libarchive_compress(tar, archive_write_add_filter_bzip2)},
  };
  for (const auto& [c, stream] : cases) {
    SCOPED_TRACE(compression_name(c));
    EXPECT_EQ(detect_compression(stream), c);
    auto r = read_all(stream);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->names, (std::vector<std::string>{"d/", "d/f"}));
    EXPECT_EQ(r->data, std::string(100000, 'q') + "tail");
    EXPECT_EQ(r->info.compression, c);
    EXPECT_EQ(r->info.diff_id, testing::sha256(tar));
    EXPECT_EQ(r->info.uncompressed_size, tar.size());
  }
}

TEST(Decompression, ConcatenatedGzipMembersAreOneStream) {
  std::string tar = sample_tar();
  std::string two = testing::gzip(tar.substr(0, 1000)) + testing::gzip(tar.substr(1000));
  auto r = read_all(two);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->info.diff_id, testing::sha256(tar));
}

TEST(Decompression, TruncatedGzipIsAnError) {
  std::string gz = testing::gzip(sample_tar());
  for (size_t cut : {gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
    SCOPED_TRACE(cut);
    auto r = read_all(gz.substr(0, cut));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), "reading tar: gzip: truncated input");
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  }
}

TEST(Decompression, GzipChecksumIsVerified) {
  // libarchive alone would accept this: its gzip reader skips the CRC-32 trailer.
  std::string gz = testing::gzip(sample_tar());
  gz[gz.size() - 6] ^= 0x55;
  auto r = read_all(gz);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "reading tar: gzip: incorrect data check");
}

TEST(Decompression, GarbageAfterGzipIsAnError) {
  auto r = read_all(testing::gzip(sample_tar()) + "garbage");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "reading tar: gzip: incorrect header check");
}

TEST(Decompression, TruncatedAndCorruptZstdAreErrors) {
  std::string zst = testing::make_tar(
      [](TarWriter& w) { ASSERT_TRUE(w.add_file("f", std::string(300000, 'z')).ok()); },
      Compression::kZstd);
  auto truncated = read_all(zst.substr(0, zst.size() - 3));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().message(), "reading tar: zstd: truncated input");
  std::string corrupt = zst;
  corrupt[corrupt.size() - 2] ^= 0x55;  // the content checksum
  auto bad = read_all(corrupt);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "reading tar: zstd: Restored data doesn't match checksum");
}

TEST(Decompression, TruncatedXzIsAnError) {
  std::string xz = libarchive_compress(sample_tar(), archive_write_add_filter_xz);
  auto r = read_all(xz.substr(0, xz.size() - 10));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.error().message().rfind("reading tar: ", 0), 0u) << r.error().message();
}

TEST(Compression, GzipOutputIsDeterministicAndHasNoTimestamp) {
  auto build = [](TarWriter& w) { ASSERT_TRUE(w.add_file("a", "hello").ok()); };
  std::string a = testing::make_tar(build, Compression::kGzip);
  std::string b = testing::make_tar(build, Compression::kGzip);
  EXPECT_EQ(a, b);
  // magic, deflate, no flags, mtime 0, xfl 0, OS 3 (Unix)
  EXPECT_EQ(a.substr(0, 10), "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"sv);
}

TEST(Compression, ZstdOutputDoesNotDependOnThreads) {
  std::string big;
  for (int i = 0; i < 400000; ++i) big += std::to_string(i % 9973) + ",";
  std::string outputs[3];
  int threads[3] = {1, 2, 0};
  for (int i = 0; i < 3; ++i) {
    MemFile out;
    auto w = TarWriter::open(out.fd(), Compression::kZstd, threads[i]);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->add_file("big", big).ok());
    ASSERT_TRUE(w->finish().ok());
    outputs[i] = out.contents();
  }
  EXPECT_EQ(outputs[0], outputs[1]);
  EXPECT_EQ(outputs[0], outputs[2]);
}

TEST(Compression, XzAndBzip2AreNotWritten) {
  MemFile out;
  auto w = TarWriter::open(out.fd(), Compression::kXz);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), Code::kUnimplemented);
  EXPECT_EQ(w.error().message(), "writing tar: writing xz is not supported");
}

std::string decompress_all(const std::string& stream, Status* status) {
  MemFile in(stream);
  std::string out;
  *status = decompress(in.fd(), [&](std::string_view chunk) {
    out.append(chunk);
    return ok_status();
  });
  return out;
}

TEST(Decompress, GivesTheUncompressedBytes) {
  std::string tar = sample_tar();
  for (const std::string& stream :
       {tar, testing::gzip(tar), libarchive_compress(tar, archive_write_add_filter_xz)}) {
    Status s;
    EXPECT_EQ(decompress_all(stream, &s), tar);
    EXPECT_TRUE(s.ok());
  }
  Status empty;
  EXPECT_EQ(decompress_all("", &empty), "");
  EXPECT_TRUE(empty.ok());
}

TEST(Decompress, Errors) {
  std::string gz = testing::gzip(sample_tar());
  Status s;
  decompress_all(gz.substr(0, gz.size() - 2), &s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "decompressing: gzip: truncated input");
  MemFile in(gz);
  Status stop = decompress(in.fd(), [](std::string_view) { return conflict("sink full"); });
  ASSERT_FALSE(stop.ok());
  EXPECT_EQ(stop.error().message(), "sink full");
}


std::string pgzip(const std::string& data, int threads, size_t chunk, int level = 6) {
  std::string out;
  ParallelGzipWriter w([&](std::string_view s) { out.append(s); return Status(); }, level, threads);
  for (size_t i = 0; i < data.size(); i += chunk)
    EXPECT_TRUE(w.write(std::string_view(data).substr(i, chunk)).ok());
  EXPECT_TRUE(w.finish().ok());
  return out;
}

TEST(ParallelGzip, OneGzipStreamWhateverTheThreadsAndWrites) {
  const size_t B = ParallelGzipWriter::kBlockSize;
  std::string text;  // compressible, with repeats across block boundaries
  for (int i = 0; text.size() < 5 * B + B / 2; ++i) text += "line " + std::to_string(i % 5000) + "\n";
  for (size_t size : {size_t{0}, size_t{1}, B - 1, B, B + 1, 2 * B, 5 * B + B / 2}) {
    std::string data = text.substr(0, size);
    std::string a = pgzip(data, 1, size + 1);
    EXPECT_EQ(a.substr(0, 10), "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"sv);
    EXPECT_EQ(pgzip(data, 2, 7777), a) << size;
    EXPECT_EQ(pgzip(data, 3, 1 << 16), a) << size;
    Status s;
    EXPECT_EQ(decompress_all(a, &s), data) << size;  // zlib's inflate checks CRC and length
    EXPECT_TRUE(s.ok()) << size;
    if (size == 5 * B + B / 2) {
      EXPECT_LT(a.size(), data.size() / 4);
    }
  }
}

}  // namespace
}  // namespace berth::archive
