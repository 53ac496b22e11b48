#include "metadata/db.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "metadata/schema.h"

namespace berth::metadata {

namespace internal {

struct Hook {
  int level;  // the transaction level that registered it (0 = outermost)
  bool on_commit;
  std::function<void()> fn;
};

struct Conn {
  sqlite3* db = nullptr;
  int open_levels = 0;  // BEGIN plus nested SAVEPOINTs currently open
  std::vector<Hook> hooks;

  ~Conn() {
    // close_v2 defers the close until outstanding statements are finalized.
    if (db) sqlite3_close_v2(db);
  }
};

}  // namespace internal

namespace {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  Code code = Code::kInternal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = Code::kUnavailable;
      break;
    case SQLITE_CONSTRAINT:
      code = (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
                 ? Code::kAlreadyExists
                 : Code::kConflict;
      break;
    default:
      break;
  }
  std::string msg(what);
  if (!msg.empty()) msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error(code, std::move(msg));
}

Error stmt_error(sqlite3_stmt* s, int rc) { return sqlite_error(sqlite3_db_handle(s), rc, ""); }

std::string savepoint_name(int level) { return "berth_sp_" + std::to_string(level); }

Status exec_raw(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return {};
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  Error e = sqlite_error(nullptr, rc, "");
  return Error(e.code(), msg);
}

// Runs the rollback hooks registered at `level` or deeper (newest first) and drops every hook of
// those levels.
void unwind_hooks(internal::Conn* c, int level) {
  for (auto it = c->hooks.rbegin(); it != c->hooks.rend(); ++it) {
    if (it->level >= level && !it->on_commit) it->fn();
  }
  std::erase_if(c->hooks, [&](const internal::Hook& h) { return h.level >= level; });
}

}  // namespace

// ---- Stmt ----

Stmt::Stmt(Stmt&& o) noexcept
    : stmt_(std::exchange(o.stmt_, nullptr)), bind_error_(std::move(o.bind_error_)) {}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(o.stmt_, nullptr);
    bind_error_ = std::move(o.bind_error_);
  }
  return *this;
}

Stmt::~Stmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Stmt& Stmt::record_bind(int rc, int idx) {
  if (rc != SQLITE_OK && !bind_error_) {
    bind_error_ = stmt_error(stmt_, rc).context("binding parameter " + std::to_string(idx));
  }
  return *this;
}

Stmt& Stmt::bind(int idx, int v) { return bind(idx, static_cast<int64_t>(v)); }
Stmt& Stmt::bind(int idx, int64_t v) { return record_bind(sqlite3_bind_int64(stmt_, idx, v), idx); }
Stmt& Stmt::bind(int idx, uint64_t v) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    if (!bind_error_) {
      bind_error_ =
          invalid_argument("binding parameter " + std::to_string(idx) + ": value " +
                           std::to_string(v) + " does not fit in a signed 64-bit integer");
    }
    return *this;
  }
  return bind(idx, static_cast<int64_t>(v));
}
Stmt& Stmt::bind(int idx, double v) { return record_bind(sqlite3_bind_double(stmt_, idx, v), idx); }
Stmt& Stmt::bind(int idx, std::string_view v) {
  return record_bind(
      sqlite3_bind_text64(stmt_, idx, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8), idx);
}
Stmt& Stmt::bind(int idx, const char* v) {
  return v ? bind(idx, std::string_view(v)) : bind(idx, nullptr);
}
Stmt& Stmt::bind(int idx, const std::string& v) { return bind(idx, std::string_view(v)); }
Stmt& Stmt::bind(int idx, std::nullptr_t) {
  return record_bind(sqlite3_bind_null(stmt_, idx), idx);
}
Stmt& Stmt::bind(int idx, const std::optional<std::string>& v) {
  return v ? bind(idx, std::string_view(*v)) : bind(idx, nullptr);
}
Stmt& Stmt::bind(int idx, std::optional<int64_t> v) {
  return v ? bind(idx, *v) : bind(idx, nullptr);
}

Result<bool> Stmt::step() {
  if (bind_error_) return *bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return stmt_error(stmt_, rc);
}

Status Stmt::run() {
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return {};
  }
}

Status Stmt::reset() {
  bind_error_.reset();
  int rc = sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (rc != SQLITE_OK) return stmt_error(stmt_, rc);
  return {};
}

int Stmt::col_count() const { return sqlite3_column_count(stmt_); }
bool Stmt::col_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
int64_t Stmt::col_int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Stmt::col_double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Stmt::col_text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

// ---- Tx ----

Tx::Tx(Tx&& o) noexcept : conn_(std::exchange(o.conn_, nullptr)), depth_(o.depth_) {}

Tx::~Tx() {
  if (conn_) {
    Status st = rollback();
    if (!st.ok()) spdlog::warn("rolling back transaction: {}", st.error().message());
  }
}

Status Tx::commit() {
  if (!conn_) return failed_precondition("commit: transaction is not active");
  if (conn_->open_levels != depth_ + 1) {
    return failed_precondition("commit: a nested transaction is still open");
  }
  sqlite3* db = conn_->db;
  if (depth_ > 0) {
    BERTH_TRY_CTX(exec_raw(db, "RELEASE " + savepoint_name(depth_)), "release savepoint");
    for (auto& h : conn_->hooks) {
      if (h.level == depth_) h.level = depth_ - 1;
    }
  } else {
    Status st = exec_raw(db, "COMMIT");
    if (!st.ok()) {
      // sqlite rolls back by itself on some errors (full disk, I/O); otherwise the transaction
      // stays open and the destructor rolls it back.
      if (sqlite3_get_autocommit(db)) {
        conn_->open_levels = 0;
        unwind_hooks(std::exchange(conn_, nullptr), 0);
      }
      return std::move(st).error().context("commit");
    }
    internal::Conn* c = std::exchange(conn_, nullptr);
    c->open_levels = 0;
    std::vector<internal::Hook> hooks = std::exchange(c->hooks, {});
    for (auto& h : hooks) {
      if (h.on_commit) h.fn();
    }
    return {};
  }
  conn_->open_levels = depth_;
  conn_ = nullptr;
  return {};
}

Status Tx::rollback() {
  if (!conn_) return failed_precondition("rollback: transaction is not active");
  internal::Conn* c = std::exchange(conn_, nullptr);
  Status st;
  if (depth_ > 0) {
    std::string sp = savepoint_name(depth_);
    st = exec_raw(c->db, "ROLLBACK TO " + sp + "; RELEASE " + sp);
  } else if (!sqlite3_get_autocommit(c->db)) {  // sqlite may already have rolled back
    st = exec_raw(c->db, "ROLLBACK");
  }
  c->open_levels = depth_;
  unwind_hooks(c, depth_);
  if (!st.ok()) return std::move(st).error().context("rollback");
  return {};
}

// ---- Db ----

Db::Db(std::unique_ptr<internal::Conn> c) : conn_(std::move(c)) {}
Db::Db(Db&&) noexcept = default;
Db& Db::operator=(Db&&) noexcept = default;
Db::~Db() = default;

namespace {
constexpr int kWalPages = 64;  // 256 KiB at SQLite's 4 KiB pages (see Db::open)
}  // namespace

Result<Db> Db::open(const std::string& path, const DbOptions& opts) {
  auto conn = std::make_unique<internal::Conn>();
  int rc =
      sqlite3_open_v2(path.c_str(), &conn->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(conn->db, rc, "open database " + path);
  sqlite3_extended_result_codes(conn->db, 1);
  // Each berth command is a short process: checkpointing the WAL when it closes the database
  // would cost every command a checkpoint and an fsync of the main file. The WAL stays (it is
  // as durable), and is checkpointed every kWalPages pages instead (wal_autocheckpoint below):
  // small, because the next process to open the database, finding no other connection, rebuilds
  // the WAL index by reading every frame written since the last checkpoint.
  sqlite3_db_config(conn->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_busy_timeout(conn->db, static_cast<int>(opts.busy_timeout.count()));
  Db db(std::move(conn));

  auto ctx = "open database " + path;
  BERTH_TRY_CTX(db.enable_wal(), ctx);
  BERTH_TRY_CTX(db.exec(opts.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"),
                ctx);
  BERTH_TRY_CTX(db.exec("PRAGMA foreign_keys=ON"), ctx);
  BERTH_TRY_CTX(db.exec("PRAGMA wal_autocheckpoint=" + std::to_string(kWalPages)), ctx);
  BERTH_TRY_CTX(migrate(db), ctx);
  return db;
}

Status Db::enable_wal() {
  BERTH_ASSIGN_OR_RETURN(Stmt st, prepare("PRAGMA journal_mode=WAL"));
  BERTH_ASSIGN_OR_RETURN(bool row, st.step());
  std::string mode = row ? to_lower(st.col_text(0)) : "unknown";
  if (mode != "wal") {
    return failed_precondition("cannot use WAL journaling (journal_mode is " + mode + ")");
  }
  return {};
}

Status Db::exec(std::string_view sql) { return exec_raw(conn_->db, std::string(sql)); }

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(conn_->db, sql.data(), static_cast<int>(sql.size()), &s, &tail);
  if (rc != SQLITE_OK) return sqlite_error(conn_->db, rc, "prepare");
  Stmt st(s);
  if (!s) return invalid_argument("prepare: empty statement");
  std::string_view rest(tail, static_cast<size_t>(sql.data() + sql.size() - tail));
  if (std::any_of(rest.begin(), rest.end(),
                  [](char ch) { return !std::isspace(ch) && ch != ';'; })) {
    return invalid_argument("prepare: more than one statement");
  }
  return st;
}

Result<Tx> Db::begin() {
  internal::Conn* c = conn_.get();
  int level = c->open_levels;
  if (level == 0 && !sqlite3_get_autocommit(c->db)) {
    return failed_precondition("begin: a transaction was opened outside Db::begin");
  }
  std::string sql = level == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT " + savepoint_name(level);
  BERTH_TRY_CTX(exec_raw(c->db, sql), "begin transaction");
  c->open_levels = level + 1;
  return Tx(c, level);
}

bool Db::in_transaction() const { return conn_->open_levels > 0; }

void Db::on_commit(std::function<void()> fn) {
  if (conn_->open_levels == 0) {
    fn();
    return;
  }
  conn_->hooks.push_back({conn_->open_levels - 1, true, std::move(fn)});
}

void Db::on_rollback(std::function<void()> fn) {
  if (conn_->open_levels == 0) return;
  conn_->hooks.push_back({conn_->open_levels - 1, false, std::move(fn)});
}

int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(conn_->db); }
int Db::changes() const { return sqlite3_changes(conn_->db); }

Result<int> Db::schema_version() {
  BERTH_ASSIGN_OR_RETURN(Stmt st, prepare("PRAGMA user_version"));
  BERTH_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return internal_error("PRAGMA user_version returned no row");
  return static_cast<int>(st.col_int(0));
}

}  // namespace berth::metadata
