#include "content/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "base/fs.h"

namespace berth::content {
namespace {

// printf 'hello' | sha256sum, and friends.
const std::string kHello =
    "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
const std::string kHellp =
    "sha256:fdd7585e08c4e2afd71dcabdb4636c89d557a3f42db9e2040c8bbd1708aa4ce7";
const std::string kEmpty =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("/tmp", "berth-content-test-");
    ASSERT_TRUE(d.ok()) << d.error().message();
    dir_.emplace(std::move(*d));
    auto s = ContentStore::open(path_join(dir_->path(), "root"));
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_.emplace(std::move(*s));
  }

  std::string ingest() const { return path_join(store_->root(), "ingest"); }

  size_t ingest_count() const {
    size_t n = 0;
    if (DIR* d = opendir(ingest().c_str())) {
      while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
      closedir(d);
    }
    return n;
  }

  std::optional<TempDir> dir_;
  std::optional<ContentStore> store_;
};

TEST_F(ContentStoreTest, PutReadHasSizeList) {
  auto d = store_->put("hello");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, kHello);
  EXPECT_TRUE(store_->has(kHello));
  EXPECT_FALSE(store_->has(kEmpty));
  EXPECT_EQ(*store_->read(kHello), "hello");
  EXPECT_EQ(*store_->size(kHello), 5u);
  EXPECT_EQ(store_->path(kHello), store_->root() + "/blobs/sha256/" + kHello.substr(7));
  struct stat st;
  ASSERT_EQ(stat(store_->path(kHello).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);

  auto fd = store_->open_blob(kHello);
  ASSERT_TRUE(fd.ok());
  char buf[8] = {};
  EXPECT_EQ(::read(fd->get(), buf, sizeof buf), 5);
  EXPECT_STREQ(buf, "hello");

  EXPECT_EQ(*store_->put("hello"), kHello);  // idempotent
  EXPECT_EQ(*store_->put(""), kEmpty);
  EXPECT_EQ(*store_->list(), (std::vector<std::string>{kHello, kEmpty}));
  EXPECT_EQ(ingest_count(), 0u);
  EXPECT_TRUE(store_->verify(kHello).ok());
}

TEST_F(ContentStoreTest, MissingBlobIsNotFound) {
  auto r = store_->read(kHello);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kNotFound);
  EXPECT_EQ(r.error().message(), "blob " + kHello + " not found");
  EXPECT_EQ(store_->size(kHello).error().message(), "blob " + kHello + " not found");
  EXPECT_EQ(store_->open_blob(kHello).error().code(), Code::kNotFound);
  EXPECT_EQ(store_->verify(kHello).error().code(), Code::kNotFound);
  EXPECT_EQ(store_->remove(kHello).error().message(), "blob " + kHello + " not found");
}

TEST_F(ContentStoreTest, MalformedDigestsAreInvalidArguments) {
  const std::string upper =
      "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824";
  EXPECT_EQ(validate_digest(upper).error().message(),
            "invalid digest \"" + upper + "\": expected sha256:<64 lowercase hex digits>");
  EXPECT_EQ(validate_digest("sha256:abc").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(validate_digest("2cf24dba").error().code(), Code::kInvalidArgument);
  EXPECT_EQ(validate_digest("sha512:" + std::string(128, 'a')).error().message(),
            "unsupported digest algorithm \"sha512\" in \"sha512:" + std::string(128, 'a') + "\"");
  EXPECT_TRUE(validate_digest(kHello).ok());

  const std::string traversal = "sha256:../../../etc/passwd";
  EXPECT_FALSE(store_->has(traversal));
  EXPECT_EQ(store_->path(traversal), "");
  EXPECT_EQ(store_->read(traversal).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->remove(upper).error().code(), Code::kInvalidArgument);

  auto w = store_->writer();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->write("hello").ok());
  EXPECT_EQ(w->commit("sha256:nope").error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(store_->has(kHello));
}

TEST_F(ContentStoreTest, WriterCommitWithTheRightDigest) {
  auto w = store_->writer();
  ASSERT_TRUE(w.ok()) << w.error().message();
  ASSERT_TRUE(w->write("hel").ok());
  ASSERT_TRUE(w->write("lo").ok());
  EXPECT_EQ(w->size(), 5u);
  EXPECT_EQ(ingest_count(), 1u);
  EXPECT_FALSE(store_->has(kHello));  // not visible before commit
  auto d = w->commit(kHello, 5);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, kHello);
  EXPECT_EQ(*store_->read(kHello), "hello");
  EXPECT_EQ(ingest_count(), 0u);
  EXPECT_EQ(w->write("x").error().message(), "write: writer is finished");
  EXPECT_EQ(w->commit().error().code(), Code::kFailedPrecondition);
}

TEST_F(ContentStoreTest, WriterCommitWithTheWrongDigestLeavesNothing) {
  auto w = store_->writer();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->write("hello").ok());
  auto d = w->commit(kEmpty);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(d.error().message(), "digest mismatch: expected " + kEmpty + ", got " + kHello);
  EXPECT_FALSE(store_->has(kHello));
  EXPECT_FALSE(store_->has(kEmpty));
  EXPECT_TRUE(store_->list()->empty());
  EXPECT_EQ(ingest_count(), 0u);
}

TEST_F(ContentStoreTest, WriterCommitWithTheWrongSizeLeavesNothing) {
  auto w = store_->writer();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->write("hello").ok());
  auto d = w->commit(kHello, 6);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(d.error().message(), "size mismatch: expected 6 bytes, got 5");
  EXPECT_FALSE(store_->has(kHello));
  EXPECT_EQ(ingest_count(), 0u);
}

TEST_F(ContentStoreTest, AbortLeavesNothing) {
  {
    auto w = store_->writer();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->write("hello").ok());
    EXPECT_EQ(ingest_count(), 1u);
  }
  EXPECT_EQ(ingest_count(), 0u);
  auto w = store_->writer();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->write("hello").ok());
  w->abort();
  EXPECT_EQ(ingest_count(), 0u);
  EXPECT_EQ(w->commit().error().message(), "commit: writer is finished");
  EXPECT_FALSE(store_->has(kHello));
}

TEST_F(ContentStoreTest, CleanIngestRemovesLeftoversButNotLiveWriters) {
  auto live = store_->writer();
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(live->write("hel").ok());
  // A writer that crashed: its temp file exists, nobody holds its lock.
  ASSERT_TRUE(atomic_write_file(path_join(ingest(), "crashed"), "partial").ok());
  EXPECT_EQ(ingest_count(), 2u);

  auto n = store_->clean_ingest();
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(*n, 1u);
  EXPECT_FALSE(path_exists(path_join(ingest(), "crashed")));
  EXPECT_EQ(ingest_count(), 1u);

  ASSERT_TRUE(live->write("lo").ok());
  EXPECT_EQ(*live->commit(), kHello);
  EXPECT_EQ(*store_->clean_ingest(), 0u);
}

TEST_F(ContentStoreTest, VerifyDetectsAFlippedByte) {
  ASSERT_TRUE(store_->put("hello").ok());
  std::string p = store_->path(kHello);
  ASSERT_EQ(chmod(p.c_str(), 0644), 0);
  {
    auto fd = open_file(p, O_WRONLY);
    ASSERT_TRUE(fd.ok());
    ASSERT_EQ(pwrite(fd->get(), "p", 1, 4), 1);
  }
  Status st = store_->verify(kHello);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kInternal);
  EXPECT_EQ(st.error().message(), "blob " + kHello + " is corrupt: content hashes to " + kHellp);
}

TEST_F(ContentStoreTest, ImportFdStreamsAndChecksTheDigest) {
  std::string big(3 * 1024 * 1024 + 17, 'x');  // crosses the 1 MiB read buffer
  std::string src = path_join(dir_->path(), "src");
  ASSERT_TRUE(atomic_write_file(src, big).ok());
  {
    auto fd = open_file(src, O_RDONLY);
    ASSERT_TRUE(fd.ok());
    auto d = store_->import_fd(fd->get(), sha256_digest(big));
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(*store_->size(*d), big.size());
  }
  auto fd = open_file(src, O_RDONLY);
  ASSERT_TRUE(fd.ok());
  auto bad = store_->import_fd(fd->get(), kHello);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "digest mismatch: expected " + kHello + ", got " + sha256_digest(big));
  EXPECT_EQ(store_->list()->size(), 1u);
  EXPECT_EQ(ingest_count(), 0u);
}

TEST_F(ContentStoreTest, RemoveDeletesTheBlob) {
  ASSERT_TRUE(store_->put("hello").ok());
  ASSERT_TRUE(store_->remove(kHello).ok());
  EXPECT_FALSE(store_->has(kHello));
  EXPECT_EQ(store_->remove(kHello).error().code(), Code::kNotFound);
}

TEST_F(ContentStoreTest, ConcurrentCommitsOfTheSameBlobBothSucceed) {
  for (int round = 0; round < 20; ++round) {
    std::string data(256 * 1024, static_cast<char>('a' + round));
    std::atomic<int> ready{0};
    Result<std::string> results[2] = {internal_error("unset"), internal_error("unset")};
    auto work = [&](int i) {
      auto w = store_->writer();
      if (!w.ok()) {
        results[i] = w.error();
        return;
      }
      for (size_t off = 0; off < data.size(); off += 4096) {
        if (Status st = w->write(std::string_view(data).substr(off, 4096)); !st.ok()) {
          results[i] = st.error();
          return;
        }
      }
      ready.fetch_add(1);
      // Commit at the same moment; give up waiting rather than hang if the other never comes.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (ready.load() < 2 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
      results[i] = w->commit(sha256_digest(data));
    };
    std::thread t0(work, 0), t1(work, 1);
    t0.join();
    t1.join();
    for (auto& r : results) {
      ASSERT_TRUE(r.ok()) << r.error().message();
      EXPECT_EQ(*r, sha256_digest(data));
    }
    EXPECT_TRUE(store_->verify(sha256_digest(data)).ok());
  }
  EXPECT_EQ(store_->list()->size(), 20u);
  EXPECT_EQ(ingest_count(), 0u);
}

}  // namespace
}  // namespace berth::content
