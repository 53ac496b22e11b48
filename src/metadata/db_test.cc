#include "metadata/db.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "metadata/schema.h"

namespace berth::metadata {
namespace {

using namespace std::chrono_literals;

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("/tmp", "berth-metadata-test-");
    ASSERT_TRUE(d.ok()) << d.error().message();
    dir_.emplace(std::move(*d));
    path_ = path_join(dir_->path(), "berth.db");
  }

  Db open(DbOptions opts = {}) {
    auto db = Db::open(path_, opts);
    EXPECT_TRUE(db.ok()) << db.error().message();
    return std::move(db).value();
  }

  int64_t count(Db& db, const std::string& table) {
    auto st = db.prepare("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(st.ok()) << st.error().message();
    auto row = st->step();
    EXPECT_TRUE(row.ok() && *row);
    return st->col_int(0);
  }

  static Status insert_image(Db& db, const std::string& id) {
    return db.run(
        "INSERT INTO images(id, config, size, created, loaded_at) VALUES(?1, '{}', 0, 1, 2)", id);
  }

  std::optional<TempDir> dir_;
  std::string path_;
};

TEST_F(DbTest, OpenCreatesSchemaWithWalAndForeignKeys) {
  Db db = open();
  auto v = db.schema_version();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, static_cast<int>(migrations().size()));

  auto st = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name");
  ASSERT_TRUE(st.ok()) << st.error().message();
  std::vector<std::string> tables;
  while (true) {
    auto row = st->step();
    ASSERT_TRUE(row.ok());
    if (!*row) break;
    tables.push_back(st->col_text(0));
  }
  EXPECT_EQ(tables,
            (std::vector<std::string>{"build_cache", "containers", "images", "layers", "repo_digests",
                                      "sequences", "tags"}));

  auto jm = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(jm.ok() && *jm->step());
  EXPECT_EQ(jm->col_text(0), "wal");
  auto fk = db.prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(fk.ok() && *fk->step());
  EXPECT_EQ(fk->col_int(0), 1);
  auto sync = db.prepare("PRAGMA synchronous");
  ASSERT_TRUE(sync.ok() && *sync->step());
  EXPECT_EQ(sync->col_int(0), 1);  // NORMAL
}

TEST_F(DbTest, DurableOptionSetsSynchronousFull) {
  Db db = open({.durable = true});
  auto sync = db.prepare("PRAGMA synchronous");
  ASSERT_TRUE(sync.ok() && *sync->step());
  EXPECT_EQ(sync->col_int(0), 2);  // FULL
}

TEST_F(DbTest, MigrationsAreIdempotentOnReopen) {
  {
    Db db = open();
    ASSERT_TRUE(insert_image(db, "sha256:aa").ok());
  }
  Db db = open();
  EXPECT_EQ(*db.schema_version(), static_cast<int>(migrations().size()));
  EXPECT_EQ(count(db, "images"), 1);
  // Running the migrations again is a no-op, not "table images already exists".
  EXPECT_TRUE(migrate(db).ok());
}

TEST_F(DbTest, NewerSchemaIsRefused) {
  {
    Db db = open();
    ASSERT_TRUE(db.exec("PRAGMA user_version = 99").ok());
  }
  auto db = Db::open(path_);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(db.error().message(), "open database " + path_ +
                                      ": database schema version 99 is newer than this berth "
                                      "supports (3)");
}

TEST_F(DbTest, TxRollsBackOnDestructionAndCommitKeeps) {
  Db db = open();
  {
    auto tx = db.begin();
    ASSERT_TRUE(tx.ok()) << tx.error().message();
    ASSERT_TRUE(insert_image(db, "sha256:aa").ok());
    EXPECT_TRUE(db.in_transaction());
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(count(db, "images"), 0);
  {
    auto tx = db.begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(insert_image(db, "sha256:bb").ok());
    ASSERT_TRUE(tx->commit().ok());
    EXPECT_FALSE(tx->active());
    EXPECT_EQ(tx->commit().error().code(), Code::kFailedPrecondition);
  }
  EXPECT_EQ(count(db, "images"), 1);
}

TEST_F(DbTest, NestedBeginIsASavepoint) {
  Db db = open();
  auto outer = db.begin();
  ASSERT_TRUE(outer.ok());
  ASSERT_TRUE(insert_image(db, "sha256:aa").ok());
  {
    auto inner = db.begin();
    ASSERT_TRUE(inner.ok()) << inner.error().message();
    ASSERT_TRUE(insert_image(db, "sha256:bb").ok());
    // The outer transaction cannot commit while the savepoint is open.
    EXPECT_EQ(outer->commit().error().message(), "commit: a nested transaction is still open");
  }  // inner rolls back: bb is gone, aa stays
  {
    auto inner = db.begin();
    ASSERT_TRUE(inner.ok());
    ASSERT_TRUE(insert_image(db, "sha256:cc").ok());
    ASSERT_TRUE(inner->commit().ok());
  }
  ASSERT_TRUE(outer->commit().ok());
  auto st = db.prepare("SELECT group_concat(id, ',') FROM (SELECT id FROM images ORDER BY id)");
  ASSERT_TRUE(st.ok() && *st->step());
  EXPECT_EQ(st->col_text(0), "sha256:aa,sha256:cc");
}

TEST_F(DbTest, HooksRunWhenTheOutermostTransactionEnds) {
  Db db = open();
  std::vector<std::string> log;
  auto note = [&](std::string s) { return [&log, s] { log.push_back(s); }; };

  db.on_commit(note("no-tx"));  // runs at once
  db.on_rollback(note("ignored"));
  EXPECT_EQ(log, std::vector<std::string>{"no-tx"});
  log.clear();

  {
    auto outer = db.begin();
    ASSERT_TRUE(outer.ok());
    db.on_commit(note("outer-commit"));
    db.on_rollback(note("outer-rollback"));
    {
      auto inner = db.begin();
      ASSERT_TRUE(inner.ok());
      db.on_commit(note("inner1-commit"));
      db.on_rollback(note("inner1-rollback"));
    }  // rolled back: runs its rollback hook, drops its commit hook
    EXPECT_EQ(log, std::vector<std::string>{"inner1-rollback"});
    {
      auto inner = db.begin();
      ASSERT_TRUE(inner.ok());
      db.on_commit(note("inner2-commit"));
      db.on_rollback(note("inner2-rollback"));
      ASSERT_TRUE(inner->commit().ok());
    }
    EXPECT_EQ(log.size(), 1u);  // nothing runs until the outer transaction ends
    ASSERT_TRUE(outer->commit().ok());
  }
  EXPECT_EQ(log, (std::vector<std::string>{"inner1-rollback", "outer-commit", "inner2-commit"}));
  log.clear();

  {
    auto tx = db.begin();
    ASSERT_TRUE(tx.ok());
    db.on_commit(note("c"));
    db.on_rollback(note("r1"));
    db.on_rollback(note("r2"));
  }
  EXPECT_EQ(log, (std::vector<std::string>{"r2", "r1"}));  // newest first
}

TEST_F(DbTest, BusyBetweenTwoConnectionsIsUnavailable) {
  Db a = open();
  Db b = open({.busy_timeout = 100ms});
  auto tx = a.begin();
  ASSERT_TRUE(tx.ok());

  auto start = std::chrono::steady_clock::now();
  auto blocked = b.begin();
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code(), Code::kUnavailable);
  EXPECT_EQ(blocked.error().message(), "begin transaction: database is locked");
  EXPECT_GE(waited, 90ms);  // it waited for the busy timeout first
  EXPECT_FALSE(b.in_transaction());

  // Readers are not blocked by the writer (WAL).
  EXPECT_EQ(count(b, "images"), 0);

  ASSERT_TRUE(tx->commit().ok());
  auto now_free = b.begin();
  EXPECT_TRUE(now_free.ok()) << now_free.error().message();
}

TEST_F(DbTest, BusyWaitSucceedsWhenTheOtherWriterFinishes) {
  Db a = open();
  Db b = open({.busy_timeout = 10s});
  auto tx = a.begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(insert_image(a, "sha256:aa").ok());
  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(tx->commit().ok());
  });
  auto waited = b.begin();
  releaser.join();
  ASSERT_TRUE(waited.ok()) << waited.error().message();
  EXPECT_EQ(count(b, "images"), 1);  // b sees a's commit inside its transaction
}

TEST_F(DbTest, ConstraintErrorsMapToCodes) {
  Db db = open();
  ASSERT_TRUE(insert_image(db, "sha256:aa").ok());

  Status dup = insert_image(db, "sha256:aa");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), Code::kAlreadyExists);
  EXPECT_EQ(dup.error().message(), "UNIQUE constraint failed: images.id");

  Status fk = db.run("INSERT INTO tags(name, image_id) VALUES('x', 'sha256:missing')");
  ASSERT_FALSE(fk.ok());
  EXPECT_EQ(fk.error().code(), Code::kConflict);
  EXPECT_EQ(fk.error().message(), "FOREIGN KEY constraint failed");

  ASSERT_TRUE(db.run("INSERT INTO tags(name, image_id) VALUES('x', 'sha256:aa')").ok());
  Status in_use = db.run("DELETE FROM images WHERE id = ?1", "sha256:aa");
  EXPECT_EQ(in_use.error().code(), Code::kConflict);

  Status notnull =
      db.run("INSERT INTO images(id, config, size, created, loaded_at) VALUES('b', NULL, 0, 0, 0)");
  EXPECT_EQ(notnull.error().code(), Code::kConflict);
  EXPECT_EQ(notnull.error().message(), "NOT NULL constraint failed: images.config");
}

TEST_F(DbTest, StatementErrors) {
  Db db = open();
  auto bad = db.prepare("SELEC 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), Code::kInternal);
  EXPECT_EQ(bad.error().message(), "prepare: near \"SELEC\": syntax error");

  auto two = db.prepare("SELECT 1; SELECT 2");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().message(), "prepare: more than one statement");
  EXPECT_TRUE(db.prepare("SELECT 1;  ").ok());

  auto big = db.query("SELECT ?1", uint64_t{1} << 63);
  ASSERT_TRUE(big.ok());
  auto row = big->step();
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(row.error().message(),
            "binding parameter 1: value 9223372036854775808 does not fit in a signed 64-bit "
            "integer");

  auto range = db.query("SELECT ?1", 1, 2);
  ASSERT_TRUE(range.ok());
  row = range->step();
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().message(), "binding parameter 2: column index out of range");
}

TEST_F(DbTest, BindAndReadColumns) {
  Db db = open();
  auto st =
      db.query("SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7", int64_t{-5}, 2.5, "text", std::string("str"),
               nullptr, std::optional<std::string>(), std::optional<int64_t>(7));
  ASSERT_TRUE(st.ok());
  auto row = st->step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(st->col_count(), 7);
  EXPECT_EQ(st->col_int(0), -5);
  EXPECT_DOUBLE_EQ(st->col_double(1), 2.5);
  EXPECT_EQ(st->col_text(2), "text");
  EXPECT_EQ(st->col_text(3), "str");
  EXPECT_TRUE(st->col_null(4));
  EXPECT_EQ(st->col_text(4), "");
  EXPECT_TRUE(st->col_null(5));
  EXPECT_EQ(st->col_int(6), 7);
  row = st->step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);

  ASSERT_TRUE(st->reset().ok());
  st->bind(1, 42);
  row = st->step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(st->col_int(0), 42);
  EXPECT_TRUE(st->col_null(1));  // reset cleared the other bindings
}

TEST_F(DbTest, ChangesAndLastInsertRowid) {
  Db db = open();
  ASSERT_TRUE(insert_image(db, "sha256:aa").ok());
  ASSERT_TRUE(insert_image(db, "sha256:bb").ok());
  EXPECT_EQ(db.last_insert_rowid(), 2);
  ASSERT_TRUE(db.run("UPDATE images SET size = 3").ok());
  EXPECT_EQ(db.changes(), 2);
}

}  // namespace
}  // namespace berth::metadata
