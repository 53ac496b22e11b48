#include "digest/digest.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

#include "base/fs.h"

namespace berth::digest {
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcSha256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// FIPS 180-2 test vector: one million 'a'.
constexpr char kMillionASha256[] =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
constexpr char kAbcSha512[] =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

std::string parse_error(std::string_view s) {
  auto r = Digest::parse(s);
  EXPECT_FALSE(r.ok()) << s;
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << s;
  return r.error().message();
}

TEST(Digest, ParsesSha256) {
  auto d = Digest::parse(std::string("sha256:") + kAbcSha256);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->algorithm(), "sha256");
  EXPECT_EQ(d->hex(), kAbcSha256);
  EXPECT_EQ(d->str(), std::string("sha256:") + kAbcSha256);
  EXPECT_EQ(d->short_id(), "ba7816bf8f01");
  EXPECT_FALSE(d->empty());
}

TEST(Digest, ParsesSha512AndSha384) {
  auto d = Digest::parse(std::string("sha512:") + kAbcSha512);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->algorithm(), "sha512");
  EXPECT_EQ(d->hex(), kAbcSha512);
  auto d384 = Digest::parse("sha384:" + std::string(96, 'a'));
  ASSERT_TRUE(d384.ok()) << d384.error().message();
  EXPECT_EQ(d384->algorithm(), "sha384");
}

TEST(Digest, RejectsMalformed) {
  EXPECT_EQ(parse_error(""), "invalid checksum digest format");
  EXPECT_EQ(parse_error("sha256"), "invalid checksum digest format");
  EXPECT_EQ(parse_error(":abc"), "invalid checksum digest format");
  EXPECT_EQ(parse_error("sha256:"), "invalid checksum digest format");
  EXPECT_EQ(parse_error("sha256:abc"), "invalid checksum digest length");
  EXPECT_EQ(parse_error("sha256:" + std::string(65, 'a')), "invalid checksum digest length");
  EXPECT_EQ(parse_error("sha512:" + std::string(64, 'a')), "invalid checksum digest length");
  // Uppercase hex is not canonical: Docker rejects it too.
  EXPECT_EQ(parse_error("sha256:" + std::string(64, 'A')), "invalid checksum digest format");
  EXPECT_EQ(parse_error("sha256:" + std::string(63, 'a') + "g"), "invalid checksum digest format");
  EXPECT_EQ(parse_error("md5:" + std::string(32, 'a')), "unsupported digest algorithm: md5");
  EXPECT_EQ(parse_error("sha256+b64:abc="), "unsupported digest algorithm: sha256+b64");
  EXPECT_EQ(parse_error("SHA256:" + std::string(64, 'a')), "invalid checksum digest format");
  EXPECT_EQ(parse_error("md5-:" + std::string(32, 'a')), "invalid checksum digest format");
  EXPECT_EQ(parse_error("md5:a b"), "invalid checksum digest format");
}

TEST(Digest, FromSha256Hex) {
  auto d = Digest::from_sha256_hex(kEmptySha256);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->str(), std::string("sha256:") + kEmptySha256);
  auto bad = Digest::from_sha256_hex("abc");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "invalid checksum digest length");
}

TEST(Digest, EmptyDefault) {
  Digest d;
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.str(), "");
  EXPECT_EQ(d.short_id(), "");
}

TEST(Digest, ComparesAndHashes) {
  Digest a = sha256_of("a");
  Digest a2 = *Digest::parse(a.str());
  Digest b = sha256_of("b");
  EXPECT_EQ(a, a2);
  EXPECT_NE(a, b);
  // Ordered by algorithm, then hex.
  EXPECT_EQ(a < b, a.hex() < b.hex());
  EXPECT_TRUE(sha256_of("x") < *Digest::parse("sha512:" + std::string(128, '0')));
  std::unordered_set<Digest> set{a, a2, b};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(std::hash<Digest>()(a), std::hash<Digest>()(a2));
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_of("").hex(), kEmptySha256);
  EXPECT_EQ(sha256_of("abc").str(), std::string("sha256:") + kAbcSha256);
}

TEST(Sha256, IncrementalMatchesOneShotAndResets) {
  Sha256 h;
  h.update("a");
  h.update(std::string_view());
  const char bc[] = {'b', 'c'};
  h.update(bc, sizeof bc);
  EXPECT_EQ(h.finish().hex(), kAbcSha256);
  // finish() resets, so the same object hashes a new stream from scratch.
  EXPECT_EQ(h.finish().hex(), kEmptySha256);
  Sha256 moved = std::move(h);
  moved.update("abc");
  EXPECT_EQ(moved.finish().hex(), kAbcSha256);
}

TEST(Sha256, FileStreamsLargerThanBuffer) {
  auto dir = TempDir::create("/tmp", "digest-test-");
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  std::string path = path_join(dir->path(), "blob");
  ASSERT_TRUE(atomic_write_file(path, std::string(1000000, 'a')).ok());
  auto d = sha256_file(path);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->hex(), kMillionASha256);

  std::string empty = path_join(dir->path(), "empty");
  ASSERT_TRUE(atomic_write_file(empty, "").ok());
  EXPECT_EQ(sha256_file(empty)->hex(), kEmptySha256);
}

TEST(Sha256, FileMissing) {
  auto d = sha256_file("/nonexistent/berth-digest-test");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), Code::kNotFound);
  EXPECT_EQ(d.error().message().rfind("open /nonexistent/berth-digest-test: ", 0), 0u)
      << d.error().message();
}

}  // namespace
}  // namespace berth::digest
