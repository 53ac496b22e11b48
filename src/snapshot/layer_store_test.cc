#include "snapshot/layer_store.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "base/fs.h"

namespace berth::snapshot {
namespace {

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');
const std::string kD3 = "sha256:" + std::string(64, '3');
// printf '%s %s' $D1 $D2 | sha256sum, then the same with C2 and D3.
const std::string kC2 = "sha256:9932074217c35353d2e03a3f5a86549f7c67bfeb0ba53e23d69f4d4c8f7958f5";
const std::string kC3 = "sha256:50127c0d6b338be78246434b4bce23ecf75e505158ea0bbd15effeb162fbf3ec";

using Layer = LayerStore::Layer;

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class LayerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("/tmp", "berth-snapshot-test-");
    ASSERT_TRUE(d.ok()) << d.error().message();
    dir_.emplace(std::move(*d));
    db_.emplace(open_db());
    store_.emplace(dir_->path(), *db_);
  }

  metadata::Db open_db() {
    auto db = metadata::Db::open(path_join(dir_->path(), "berth.db"));
    EXPECT_TRUE(db.ok()) << db.error().message();
    return std::move(db).value();
  }

  std::string layers() const { return path_join(dir_->path(), "layers"); }

  // A fill that writes <name> containing <content> and reports `diff_id`.
  LayerStore::Fill writes(std::string name, std::string content, std::string diff_id) {
    return [=, this](const std::string& diff) -> Result<std::string> {
      ++fills_;
      BERTH_TRY(atomic_write_file(path_join(diff, name), content));
      return diff_id;
    };
  }

  Layer must_create(const std::string& parent, const std::string& diff_id) {
    auto l = store_->create(parent, diff_id, writes("f" + diff_id.substr(7, 1), "x", diff_id));
    EXPECT_TRUE(l.ok()) << l.error().message();
    return l.ok() ? std::move(l).value() : Layer{};
  }

  int64_t refs(const std::string& chain) {
    auto l = store_->get(chain);
    EXPECT_TRUE(l.ok());
    return l.ok() && *l ? (*l)->refs : -1;
  }

  std::optional<TempDir> dir_;
  std::optional<metadata::Db> db_;
  std::optional<LayerStore> store_;
  int fills_ = 0;
};

TEST(ChainId, KnownValues) {
  EXPECT_EQ(chain_id("", kD1), kD1);
  EXPECT_EQ(chain_id(kD1, kD2), kC2);
  EXPECT_EQ(chain_id(kC2, kD3), kC3);
}

TEST_F(LayerStoreTest, CreateBaseLayer) {
  auto l = store_->create("", kD1, writes("hello", "hello", kD1), "sha256:" + std::string(64, 'c'));
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(fills_, 1);
  EXPECT_EQ(l->chain_id, kD1);
  EXPECT_EQ(l->diff_id, kD1);
  EXPECT_EQ(l->parent, "");
  EXPECT_EQ(l->dir, 1);
  EXPECT_EQ(l->size, 5u);
  EXPECT_EQ(l->refs, 1);  // the caller's reference
  EXPECT_EQ(l->compressed_digest, "sha256:" + std::string(64, 'c'));
  EXPECT_EQ(l->path, layers() + "/1/diff");
  EXPECT_EQ(*read_file(l->path + "/hello"), "hello");
  EXPECT_EQ(names_in(layers()), std::vector<std::string>{"1"});  // no temp dir left

  auto got = store_->get(kD1);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->path, l->path);
  EXPECT_EQ((*got)->created, l->created);
  EXPECT_EQ((*got)->size, 5u);
  auto none = store_->get(kD2);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

// A fill that reports its size and entry count: the store takes the size as given (no walk) and,
// for a small layer, fsyncs its files instead of the file system; a big one is synced as before.
TEST_F(LayerStoreTest, SizedFillReportsSizeAndEntries) {
  auto small = store_->create_sized("", std::nullopt,
                                    [](const std::string& diff) -> Result<LayerStore::Filled> {
                                      BERTH_TRY(mkdir_all(path_join(diff, "etc/conf.d")));
                                      BERTH_TRY(atomic_write_file(path_join(diff, "etc/conf.d/a"), "abc"));
                                      if (::symlink("conf.d/a", path_join(diff, "etc/link").c_str()) != 0)
                                        return sys_error("symlink");
                                      return LayerStore::Filled{kD1, 1234, 4};
                                    });
  ASSERT_TRUE(small.ok()) << small.error().message();
  EXPECT_EQ(small->size, 1234u);  // as reported, not measured
  EXPECT_EQ(*read_file(small->path + "/etc/conf.d/a"), "abc");
  EXPECT_EQ(names_in(layers()), std::vector<std::string>{"1"});

  auto big = store_->create_sized(kD1, std::nullopt,
                                  [](const std::string& diff) -> Result<LayerStore::Filled> {
                                    BERTH_TRY(atomic_write_file(path_join(diff, "x"), "hello"));
                                    return LayerStore::Filled{kD2, std::nullopt,
                                                              LayerStore::kFsyncEntries + 1};
                                  });
  ASSERT_TRUE(big.ok()) << big.error().message();
  EXPECT_EQ(big->size, 5u);  // measured: the fill did not say
  EXPECT_EQ(big->chain_id, kC2);
  EXPECT_EQ(big->parent, kD1);

  // A failing sized fill leaves nothing behind.
  auto bad = store_->create_sized("", std::nullopt,
                                  [](const std::string&) -> Result<LayerStore::Filled> {
                                    return LayerStore::Filled{"not-a-digest", 1, 1};
                                  });
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(names_in(layers()), (std::vector<std::string>{"1", "2"}));
}

TEST_F(LayerStoreTest, ExistingLayerIsReturnedWithoutFilling) {
  must_create("", kD1);
  EXPECT_EQ(fills_, 1);
  auto again = store_->create("", kD1, writes("other", "y", kD1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(fills_, 1);  // known diff id: no extraction
  EXPECT_EQ(again->refs, 2);
  EXPECT_EQ(again->dir, 1);

  // Without an expected diff id the fill runs, then the existing layer wins and the temp goes.
  auto blind = store_->create("", std::nullopt, writes("other", "y", kD1));
  ASSERT_TRUE(blind.ok()) << blind.error().message();
  EXPECT_EQ(fills_, 2);
  EXPECT_EQ(blind->refs, 3);
  EXPECT_EQ(blind->dir, 1);
  EXPECT_EQ(names_in(layers()), std::vector<std::string>{"1"});
  EXPECT_FALSE(path_exists(layers() + "/1/diff/other"));
}

TEST_F(LayerStoreTest, RefcountsAndReleaseCascade) {
  Layer l1 = must_create("", kD1);
  Layer l2 = must_create(kD1, kD2);
  Layer l3 = must_create(kC2, kD3);
  EXPECT_EQ(l2.chain_id, kC2);
  EXPECT_EQ(l3.chain_id, kC3);
  EXPECT_EQ(l3.parent, kC2);
  // Keep only the top's caller reference, as an image store would.
  ASSERT_TRUE(store_->release(kD1).ok());
  ASSERT_TRUE(store_->release(kC2).ok());
  EXPECT_EQ(refs(kD1), 1);  // held by l2
  EXPECT_EQ(refs(kC2), 1);  // held by l3
  EXPECT_EQ(refs(kC3), 1);  // held by "the image"

  auto lower = store_->lowerdirs(kC3);
  ASSERT_TRUE(lower.ok()) << lower.error().message();
  EXPECT_EQ(*lower, (std::vector<std::string>{l3.path, l2.path, l1.path}));
  EXPECT_EQ(*store_->lowerdirs(kD1), std::vector<std::string>{l1.path});

  ASSERT_TRUE(store_->acquire(kC3).ok());  // a container
  EXPECT_EQ(refs(kC3), 2);
  ASSERT_TRUE(store_->release(kC3).ok());
  EXPECT_EQ(store_->list()->size(), 3u);

  ASSERT_TRUE(store_->release(kC3).ok());  // the last holder: the whole chain goes
  EXPECT_TRUE(store_->list()->empty());
  EXPECT_TRUE(names_in(layers()).empty());
  EXPECT_EQ(store_->release(kC3).error().message(), "layer " + kC3 + " not found");
  EXPECT_EQ(store_->acquire(kC3).error().code(), Code::kNotFound);
  EXPECT_EQ(store_->lowerdirs(kC3).error().message(), "layer " + kC3 + " not found");
}

TEST_F(LayerStoreTest, ReleaseStopsAtASharedParent) {
  must_create("", kD1);
  must_create(kD1, kD2);                   // chain kC2
  Layer sibling = must_create(kD1, kD3);   // another child of kD1
  ASSERT_TRUE(store_->release(kD1).ok());  // drop the caller's ref; two children hold it
  EXPECT_EQ(refs(kD1), 2);
  ASSERT_TRUE(store_->release(kC2).ok());
  EXPECT_EQ(refs(kD1), 1);
  EXPECT_FALSE(store_->get(kC2)->has_value());
  EXPECT_TRUE(path_exists(sibling.path));
  EXPECT_EQ(store_->list()->size(), 2u);
}

TEST_F(LayerStoreTest, ReleaseWithoutReferencesIsRefused) {
  must_create("", kD1);
  must_create(kD1, kD2);
  ASSERT_TRUE(db_->run("UPDATE layers SET refs = 0 WHERE chain_id = ?1", kD1).ok());
  Status st = store_->release(kD1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.error().message(), "layer " + kD1 + " has no references to release");
}

TEST_F(LayerStoreTest, FillErrorLeavesNothing) {
  auto l = store_->create("", kD1, [](const std::string& diff) -> Result<std::string> {
    BERTH_TRY(atomic_write_file(path_join(diff, "half"), "x"));
    return internal_error("truncated tar stream");
  });
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code(), Code::kInternal);
  EXPECT_EQ(l.error().message(), "extracting layer: truncated tar stream");
  EXPECT_TRUE(names_in(layers()).empty());
  EXPECT_TRUE(store_->list()->empty());

  auto bad = store_->create("", std::nullopt, writes("f", "x", "sha256:short"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "extracting layer: invalid diff id \"sha256:short\": expected sha256:<64 lowercase "
            "hex digits>");
  EXPECT_TRUE(names_in(layers()).empty());
}

TEST_F(LayerStoreTest, DiffIdMismatchIsRefused) {
  auto l = store_->create("", kD2, writes("f", "x", kD1));
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(l.error().message(), "diff id mismatch: expected " + kD2 + ", got " + kD1);
  EXPECT_TRUE(names_in(layers()).empty());
  EXPECT_TRUE(store_->list()->empty());
}

TEST_F(LayerStoreTest, MissingParentAndMalformedIds) {
  auto l = store_->create(kC2, kD3, writes("f", "x", kD3));
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code(), Code::kNotFound);
  EXPECT_EQ(l.error().message(), "parent layer " + kC2 + " not found");
  EXPECT_EQ(fills_, 0);

  auto g = store_->get("sha256:ABC");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(g.error().message(),
            "invalid chain id \"sha256:ABC\": expected sha256:<64 lowercase hex digits>");
  EXPECT_EQ(store_->create("", "md5:x", writes("f", "x", kD1)).error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(fills_, 0);
}

TEST_F(LayerStoreTest, DirNumbersAreNeverReused) {
  EXPECT_EQ(must_create("", kD1).dir, 1);
  ASSERT_TRUE(store_->release(kD1).ok());
  EXPECT_TRUE(store_->list()->empty());
  EXPECT_EQ(must_create("", kD1).dir, 2);
  EXPECT_EQ(must_create("", kD2).dir, 3);
}

TEST_F(LayerStoreTest, CreateReplacesADirLeftByACrashBeforeCommit) {
  must_create("", kD1);
  // A creator died after renaming into layers/2 but before its row (and sequence bump) committed.
  ASSERT_TRUE(mkdir_all(layers() + "/2/diff").ok());
  ASSERT_TRUE(atomic_write_file(layers() + "/2/diff/junk", "j").ok());
  Layer l2 = must_create(kD1, kD2);
  EXPECT_EQ(l2.dir, 2);
  EXPECT_FALSE(path_exists(l2.path + "/junk"));
  EXPECT_TRUE(path_exists(l2.path + "/f2"));
}

TEST_F(LayerStoreTest, ReconcileRemovesLeftoversButNotLiveCreators) {
  must_create("", kD1);
  ASSERT_TRUE(mkdir_all(layers() + "/.tmp-dead/diff").ok());
  ASSERT_TRUE(atomic_write_file(layers() + "/.tmp-dead/diff/x", "x").ok());
  ASSERT_TRUE(mkdir_all(layers() + "/77/diff").ok());
  ASSERT_TRUE(mkdir_all(layers() + "/not-ours").ok());

  // Another process reconciles while this one is extracting: the live temp dir must survive.
  metadata::Db other_db = open_db();
  LayerStore other(dir_->path(), other_db);
  Result<LayerStore::Reconciled> seen = internal_error("unset");
  auto l2 = store_->create(kD1, kD2, [&](const std::string& diff) -> Result<std::string> {
    seen = other.reconcile();
    BERTH_TRY(atomic_write_file(path_join(diff, "f"), "x"));
    return kD2;
  });
  ASSERT_TRUE(l2.ok()) << l2.error().message();
  ASSERT_TRUE(seen.ok()) << seen.error().message();
  EXPECT_EQ(seen->temp_dirs, 1u);
  EXPECT_EQ(seen->orphan_dirs, 1u);
  EXPECT_EQ(seen->missing_layers, 0u);
  EXPECT_EQ(names_in(layers()), (std::vector<std::string>{"1", "2", "not-ours"}));

  auto again = store_->reconcile();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->total(), 0u);
}

TEST_F(LayerStoreTest, ReconcileRemovesLayersWhoseDirIsGone) {
  must_create("", kD1);
  Layer l2 = must_create(kD1, kD2);
  Layer l3 = must_create(kC2, kD3);
  Layer other = must_create("", kD3);
  ASSERT_TRUE(remove_all(l2.path).ok());  // someone deleted layers/2/diff

  auto r = store_->reconcile();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->missing_layers, 2u);  // l2 and l3, which sits on it
  EXPECT_EQ(r->orphan_dirs, 0u);
  auto left = store_->list();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].chain_id, kD1);
  EXPECT_EQ((*left)[0].refs, 1);  // the caller's; l2's reference is gone with it
  EXPECT_EQ((*left)[1].chain_id, kD3);
  EXPECT_FALSE(path_exists(layers() + "/2"));
  EXPECT_FALSE(path_exists(l3.path));
  EXPECT_TRUE(path_exists(other.path));
}

TEST_F(LayerStoreTest, PruneUnreferencedCascades) {
  must_create("", kD1);
  must_create(kD1, kD2);
  Layer keep = must_create("", kD3);
  ASSERT_TRUE(store_->release(kD1).ok());
  // The holder of kC2 vanished without releasing it (e.g. an image row removed by hand).
  ASSERT_TRUE(db_->run("UPDATE layers SET refs = 0 WHERE chain_id = ?1", kC2).ok());
  auto n = store_->prune_unreferenced();
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(*n, 2u);
  auto left = store_->list();
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].chain_id, kD3);
  EXPECT_EQ(names_in(layers()), std::vector<std::string>{std::to_string(keep.dir)});
  EXPECT_EQ(*store_->prune_unreferenced(), 0u);
}

TEST_F(LayerStoreTest, InsideACallersTransactionFilesFollowTheOutcome) {
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx.ok());
    must_create("", kD1);
    EXPECT_TRUE(path_exists(layers() + "/1/diff"));
  }  // rolled back: the row never existed, so neither does the dir
  EXPECT_TRUE(store_->list()->empty());
  EXPECT_FALSE(path_exists(layers() + "/1"));

  Layer l = must_create("", kD1);
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(store_->release(kD1).ok());
    EXPECT_TRUE(path_exists(l.path));  // removed only once the deletion commits
  }                                    // rolled back: the layer is still there, with its files
  EXPECT_EQ(refs(kD1), 1);
  EXPECT_TRUE(path_exists(l.path));
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(store_->release(kD1).ok());
    ASSERT_TRUE(tx->commit().ok());
  }
  EXPECT_FALSE(path_exists(l.path));
}

TEST_F(LayerStoreTest, ConcurrentCreatesOfTheSameLayerEndWithOne) {
  std::atomic<int> in_fill{0};
  Result<Layer> results[2] = {internal_error("unset"), internal_error("unset")};
  auto work = [&](int i) {
    auto db = metadata::Db::open(path_join(dir_->path(), "berth.db"));
    if (!db.ok()) {
      results[i] = db.error();
      return;
    }
    LayerStore store(dir_->path(), *db);
    results[i] = store.create("", kD1, [&](const std::string& diff) -> Result<std::string> {
      BERTH_TRY(atomic_write_file(path_join(diff, "f"), "x"));
      in_fill.fetch_add(1);
      // Both extract at once; give up after a while rather than hang if the other never comes.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (in_fill.load() < 2 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
      return kD1;
    });
  };
  std::thread t0(work, 0), t1(work, 1);
  t0.join();
  t1.join();
  ASSERT_TRUE(results[0].ok()) << results[0].error().message();
  ASSERT_TRUE(results[1].ok()) << results[1].error().message();
  EXPECT_EQ(results[0]->dir, results[1]->dir);
  EXPECT_EQ(refs(kD1), 2);  // one reference per caller
  EXPECT_EQ(store_->list()->size(), 1u);
  EXPECT_EQ(names_in(layers()), std::vector<std::string>{std::to_string(results[0]->dir)});
}

}  // namespace
}  // namespace berth::snapshot
