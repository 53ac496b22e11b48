// berth's metadata database: a thin RAII wrapper over one sqlite connection, and the schema.
//
// Contract
// - Db::open opens (creating if needed) the database file, sets WAL journaling, synchronous=NORMAL
//   (or FULL with DbOptions::durable), a busy timeout (10 s by default), foreign_keys=ON, and runs
//   the schema migrations of metadata/schema.h (tracked in PRAGMA user_version). A database whose
//   user_version is newer than this binary knows is refused (kFailedPrecondition).
// - Why synchronous=NORMAL: in WAL mode NORMAL never corrupts the database; a process crash loses
//   nothing; only an OS crash or power loss can roll back the last few commits. berth writes files
//   before the row that makes them visible, so a lost commit reads as "the operation never
//   happened" plus leftover files that reconcile/GC removes. FULL would add an fsync to every
//   commit on the container-start hot path.
// - Errors from sqlite become berth::Error with the sqlite message: SQLITE_BUSY/LOCKED ->
//   kUnavailable (after the busy timeout), PRIMARY KEY/UNIQUE constraint -> kAlreadyExists, other
//   constraints (FOREIGN KEY, NOT NULL, CHECK) -> kConflict, everything else -> kInternal.
// - Transactions: begin() starts BEGIN IMMEDIATE (takes the write lock up front, so a transaction
//   never fails half-way with SQLITE_BUSY when it upgrades from read to write). Called while a
//   transaction is already open on this connection it opens a SAVEPOINT instead, so library code
//   can use begin() whether or not its caller has a transaction. A Tx rolls back on destruction
//   unless commit() succeeded. Finish, reset or destroy statements before committing.
// - on_commit/on_rollback register file-system follow-ups (remove a directory once the row that
//   owned it is gone; remove a directory renamed into place if its row never commits). They run
//   when the outermost transaction ends; rolling back a savepoint runs the rollback hooks
//   registered inside it and drops its commit hooks.
//
// Thread safety: a Db (and its Stmts and Txs) is one connection, to be used by one thread at a
// time. Other threads and processes open their own Db on the same file; sqlite serializes them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace berth::metadata {

namespace internal {
struct Conn;  // the connection and its transaction state; stable across moves of Db
}

// A prepared statement. Bind errors are remembered and returned by the next step()/run(), so
// binds chain: `stmt.bind(1, id).bind(2, name)`. Indexes are 1-based for bind (as sqlite) and
// 0-based for col_* (as sqlite).
class Stmt {
 public:
  Stmt(Stmt&& o) noexcept;
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int idx, int v);
  Stmt& bind(int idx, int64_t v);
  Stmt& bind(int idx, uint64_t v);  // values above INT64_MAX are a bind error
  Stmt& bind(int idx, double v);
  Stmt& bind(int idx, std::string_view v);
  Stmt& bind(int idx, const char* v);
  Stmt& bind(int idx, const std::string& v);
  Stmt& bind(int idx, std::nullptr_t);
  Stmt& bind(int idx, const std::optional<std::string>& v);  // nullopt binds NULL
  Stmt& bind(int idx, std::optional<int64_t> v);             // nullopt binds NULL

  // true: a row is available through col_*; false: the statement is done.
  Result<bool> step();
  // Steps until done, ignoring rows: for INSERT/UPDATE/DELETE.
  Status run();
  // Makes the statement ready to run again and clears its bindings. Returns the error of the last
  // step, if it failed (sqlite's semantics).
  Status reset();

  int col_count() const;
  bool col_null(int col) const;
  int64_t col_int(int col) const;
  double col_double(int col) const;
  std::string col_text(int col) const;  // "" for NULL

 private:
  friend class Db;
  explicit Stmt(sqlite3_stmt* s) : stmt_(s) {}
  Stmt& record_bind(int rc, int idx);

  sqlite3_stmt* stmt_ = nullptr;
  std::optional<Error> bind_error_;
};

class Db;

// A transaction (or a savepoint when nested). Move-only; rolls back on destruction unless
// committed.
class Tx {
 public:
  Tx(Tx&& o) noexcept;
  Tx& operator=(Tx&&) = delete;
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  ~Tx();

  Status commit();
  Status rollback();
  bool active() const { return conn_ != nullptr; }

 private:
  friend class Db;
  Tx(internal::Conn* c, int depth) : conn_(c), depth_(depth) {}

  internal::Conn* conn_;
  int depth_;  // 0 for the outermost transaction, n for savepoint n
};

struct DbOptions {
  std::chrono::milliseconds busy_timeout{10000};
  bool durable = false;  // synchronous=FULL: fsync the WAL on every commit
};

class Db {
 public:
  static Result<Db> open(const std::string& path, const DbOptions& opts = {});

  Db(Db&&) noexcept;
  Db& operator=(Db&&) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Runs one or more ';'-separated statements that return no rows of interest.
  Status exec(std::string_view sql);
  // Prepares exactly one statement (trailing text other than whitespace is kInvalidArgument).
  Result<Stmt> prepare(std::string_view sql);
  // Prepares `sql` and binds args to ?1, ?2, ...
  template <typename... Args>
  Result<Stmt> query(std::string_view sql, const Args&... args) {
    BERTH_ASSIGN_OR_RETURN(Stmt st, prepare(sql));
    int i = 0;
    (st.bind(++i, args), ...);
    return st;
  }
  // query() then run(): for INSERT/UPDATE/DELETE.
  template <typename... Args>
  Status run(std::string_view sql, const Args&... args) {
    BERTH_ASSIGN_OR_RETURN(Stmt st, query(sql, args...));
    return st.run();
  }

  Result<Tx> begin();
  bool in_transaction() const;
  void on_commit(std::function<void()> fn);    // runs at once when no transaction is open
  void on_rollback(std::function<void()> fn);  // ignored when no transaction is open

  int64_t last_insert_rowid() const;
  int changes() const;
  // PRAGMA user_version: the number of migrations applied.
  Result<int> schema_version();

 private:
  explicit Db(std::unique_ptr<internal::Conn> c);
  Status enable_wal();
  std::unique_ptr<internal::Conn> conn_;
};

}  // namespace berth::metadata
