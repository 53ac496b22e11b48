#include "snapshot/layer_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <utility>

#include "base/fs.h"
#include "base/log.h"
#include "snapshot/internal/util.h"

namespace berth::snapshot {

using metadata::Stmt;
using metadata::Tx;

namespace {

constexpr std::string_view kSelectCols =
    "SELECT chain_id, diff_id, parent, dir, size, refs, compressed_digest, created FROM layers";

int64_t now_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Error layer_not_found(const std::string& chain_id) {
  return not_found("layer " + chain_id + " not found");
}

// A fresh layers/.tmp-* directory, locked so that reconcile() in another process leaves it alone.
struct LockedTemp {
  UniqueFd lock;
  TempDir dir;  // declared last so it is removed while the lock is still held
};

Result<LockedTemp> make_locked_temp(const std::string& layers_dir) {
  while (true) {
    BERTH_ASSIGN_OR_RETURN(TempDir dir, TempDir::create(layers_dir, ".tmp-"));
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(dir.path(), O_RDONLY | O_DIRECTORY));
    if (::flock(fd.get(), LOCK_EX) < 0) return sys_error("lock " + dir.path());
    // reconcile() may have removed the dir between mkdtemp and flock: then start over.
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return sys_error("stat " + dir.path());
    if (st.st_nlink > 0) return LockedTemp{std::move(fd), std::move(dir)};
    dir.release();
  }
}

// fsyncs every regular file and directory under dir_fd (and dir_fd itself): the durable form of a
// small layer, without syncfs's wait for the rest of the file system's dirty data. Symlinks,
// devices and fifos have no data; their inodes are in the journal commit of the directory fsyncs.
Status fsync_tree(int dir_fd, const std::string& path) {
  int dup = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return sys_error("open " + path);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return sys_error("opendir " + path);
  }
  std::vector<std::pair<std::string, unsigned char>> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n, e->d_type);
  }
  ::closedir(d);
  for (const auto& [n, type] : names) {
    unsigned char t = type;
    if (t == DT_UNKNOWN) {
      struct stat st;
      if (::fstatat(dir_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return sys_error("stat " + n);
      t = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if (t != DT_DIR && t != DT_REG) continue;
    int fd = ::openat(dir_fd, n.c_str(),
                      O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (t == DT_DIR ? O_DIRECTORY : O_NONBLOCK));
    if (fd < 0) return sys_error("open " + path + "/" + n);
    UniqueFd f(fd);
    if (t == DT_DIR) BERTH_TRY(fsync_tree(f.get(), path + "/" + n));
    else if (::fsync(f.get()) != 0) return sys_error("fsync " + path + "/" + n);
  }
  if (::fsync(dir_fd) != 0) return sys_error("fsync " + path);
  return {};
}

}  // namespace

std::string chain_id(const std::string& parent_chain, const std::string& diff_id) {
  if (parent_chain.empty()) return diff_id;
  return internal::sha256_digest(parent_chain + " " + diff_id);
}

LayerStore::LayerStore(std::string root, metadata::Db& db)
    : root_(std::move(root)), layers_dir_(path_join(root_, "layers")), db_(db) {}

std::string LayerStore::dir_path(int64_t dir) const {
  return path_join(layers_dir_, std::to_string(dir));
}

LayerStore::Layer LayerStore::read_row(const Stmt& st) const {
  Layer l;
  l.chain_id = st.col_text(0);
  l.diff_id = st.col_text(1);
  l.parent = st.col_text(2);
  l.dir = st.col_int(3);
  l.size = static_cast<uint64_t>(st.col_int(4));
  l.refs = st.col_int(5);
  l.compressed_digest = st.col_text(6);
  l.created = st.col_int(7);
  l.path = path_join(dir_path(l.dir), "diff");
  return l;
}

Result<std::optional<LayerStore::Layer>> LayerStore::find(const std::string& chain_id) {
  BERTH_ASSIGN_OR_RETURN(Stmt st,
                         db_.query(std::string(kSelectCols) + " WHERE chain_id = ?1", chain_id));
  BERTH_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return std::optional<Layer>();
  return std::optional<Layer>(read_row(st));
}

Result<std::optional<LayerStore::Layer>> LayerStore::get(const std::string& chain_id) {
  BERTH_TRY(internal::check_digest(chain_id, "chain id"));
  return find(chain_id);
}

// Inside a transaction: when the layer exists, takes the caller's reference on it (and records
// the compressed digest if it was unknown).
Result<std::optional<LayerStore::Layer>> LayerStore::take_existing(
    const std::string& chain_id, const std::optional<std::string>& compressed_digest) {
  BERTH_ASSIGN_OR_RETURN(auto layer, find(chain_id));
  if (!layer) return layer;
  BERTH_TRY(db_.run(
      "UPDATE layers SET refs = refs + 1, compressed_digest = COALESCE(compressed_digest, ?2) "
      "WHERE chain_id = ?1",
      chain_id, compressed_digest));
  layer->refs++;
  if (layer->compressed_digest.empty() && compressed_digest) {
    layer->compressed_digest = *compressed_digest;
  }
  return layer;
}

Result<LayerStore::Layer> LayerStore::create(const std::string& parent_chain,
                                             std::optional<std::string> expected_diff_id,
                                             const Fill& fill,
                                             std::optional<std::string> compressed_digest) {
  return create_sized(
      parent_chain, std::move(expected_diff_id),
      [&](const std::string& diff_dir) -> Result<Filled> {
        BERTH_ASSIGN_OR_RETURN(std::string id, fill(diff_dir));
        return Filled{std::move(id), std::nullopt, std::nullopt};
      },
      std::move(compressed_digest));
}

Result<LayerStore::Layer> LayerStore::create_sized(const std::string& parent_chain,
                                                   std::optional<std::string> expected_diff_id,
                                                   const FillSized& fill,
                                                   std::optional<std::string> compressed_digest) {
  if (!parent_chain.empty()) BERTH_TRY(internal::check_digest(parent_chain, "parent chain id"));
  if (expected_diff_id) BERTH_TRY(internal::check_digest(*expected_diff_id, "diff id"));
  if (compressed_digest) BERTH_TRY(internal::check_digest(*compressed_digest, "compressed digest"));

  if (expected_diff_id) {  // present already: no extraction at all
    BERTH_ASSIGN_OR_RETURN(Tx tx, db_.begin());
    BERTH_ASSIGN_OR_RETURN(
        auto existing, take_existing(chain_id(parent_chain, *expected_diff_id), compressed_digest));
    if (existing) {
      BERTH_TRY(tx.commit());
      return std::move(*existing);
    }
  }
  if (!parent_chain.empty()) {  // fail before a long extraction
    BERTH_ASSIGN_OR_RETURN(auto parent, find(parent_chain));
    if (!parent) return not_found("parent layer " + parent_chain + " not found");
  }

  BERTH_TRY(mkdir_all(layers_dir_));
  BERTH_ASSIGN_OR_RETURN(LockedTemp tmp, make_locked_temp(layers_dir_));
  std::string diff_dir = path_join(tmp.dir.path(), "diff");
  if (::mkdir(diff_dir.c_str(), 0755) < 0) return sys_error("mkdir " + diff_dir);

  Result<Filled> filled = fill(diff_dir);
  if (!filled.ok()) return std::move(filled).error().context("extracting layer");
  std::string diff_id = std::move(filled->diff_id);
  BERTH_TRY_CTX(internal::check_digest(diff_id, "diff id"), "extracting layer");
  if (expected_diff_id && *expected_diff_id != diff_id) {
    return invalid_argument("diff id mismatch: expected " + *expected_diff_id + ", got " + diff_id);
  }
  uint64_t size = 0;
  if (filled->size) {
    size = *filled->size;
  } else {
    BERTH_ASSIGN_OR_RETURN(size, disk_usage(diff_dir));
  }
  // The row must not commit before the files are durable (DESIGN.md §3). For a big layer one
  // syncfs is far cheaper than an fsync per extracted file; a small one (a COPY of a config file,
  // a RUN that wrote a few files) fsyncs its own files rather than wait for the whole file
  // system's dirty data, other processes' included.
  if (filled->entries && *filled->entries <= kFsyncEntries) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd diff_fd, open_file(diff_dir, O_RDONLY | O_DIRECTORY));
    BERTH_TRY(fsync_tree(diff_fd.get(), diff_dir));
    BERTH_TRY(fsync_dir(tmp.dir.path()));
  } else if (::syncfs(tmp.lock.get()) < 0) {
    return sys_error("syncfs " + tmp.dir.path());
  }
  return insert_layer(parent_chain, diff_id, tmp.dir, size, compressed_digest);
}

Result<LayerStore::Layer> LayerStore::insert_layer(
    const std::string& parent_chain, const std::string& diff_id, TempDir& tmp, uint64_t size,
    const std::optional<std::string>& compressed_digest) {
  std::string chain = chain_id(parent_chain, diff_id);
  BERTH_ASSIGN_OR_RETURN(Tx tx, db_.begin());
  // A concurrent creator may have won while we extracted: use its layer, drop our temp dir.
  BERTH_ASSIGN_OR_RETURN(auto existing, take_existing(chain, compressed_digest));
  if (existing) {
    BERTH_TRY(tx.commit());
    return std::move(*existing);
  }
  if (!parent_chain.empty()) {
    BERTH_TRY(db_.run("UPDATE layers SET refs = refs + 1 WHERE chain_id = ?1", parent_chain));
    if (db_.changes() == 0) return not_found("parent layer " + parent_chain + " not found");
  }
  BERTH_ASSIGN_OR_RETURN(int64_t dir, next_dir());
  std::string target = dir_path(dir);
  // We hold the write lock, so no live creator is between its rename and its commit: a dir with
  // this number is the leftover of one that crashed there (its sequence bump rolled back too).
  if (path_exists(target)) BERTH_TRY(remove_all(target));
  if (::rename(tmp.path().c_str(), target.c_str()) < 0) {
    return sys_error("rename " + tmp.path() + " to " + target);
  }
  tmp.release();
  db_.on_rollback([target] {
    if (Status st = remove_all(target); !st.ok()) {
      spdlog::warn("removing layer dir after rollback: {}", st.error().message());
    }
  });
  BERTH_TRY(fsync_dir(layers_dir_));

  Layer l{.chain_id = chain,
          .diff_id = diff_id,
          .parent = parent_chain,
          .dir = dir,
          .size = size,
          .refs = 1,  // the caller's reference
          .compressed_digest = compressed_digest.value_or(""),
          .created = now_nanos(),
          .path = path_join(target, "diff")};
  std::optional<std::string> parent;
  if (!parent_chain.empty()) parent = parent_chain;
  BERTH_TRY(db_.run(
      "INSERT INTO layers(chain_id, diff_id, parent, dir, size, refs, compressed_digest, created) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      l.chain_id, l.diff_id, parent, l.dir, l.size, l.refs, compressed_digest, l.created));
  BERTH_TRY(tx.commit());
  return l;
}

Result<int64_t> LayerStore::next_dir() {
  // A sequence rather than MAX(dir)+1: numbers of deleted layers are never handed out again.
  BERTH_TRY(
      db_.run("INSERT INTO sequences(name, value) VALUES('layer_dir', 1) "
              "ON CONFLICT(name) DO UPDATE SET value = value + 1"));
  BERTH_ASSIGN_OR_RETURN(Stmt st,
                         db_.prepare("SELECT value FROM sequences WHERE name = 'layer_dir'"));
  BERTH_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return internal_error("layer_dir sequence is missing");
  return st.col_int(0);
}

Status LayerStore::acquire(const std::string& chain_id) {
  BERTH_TRY(internal::check_digest(chain_id, "chain id"));
  BERTH_ASSIGN_OR_RETURN(Tx tx, db_.begin());
  BERTH_TRY(db_.run("UPDATE layers SET refs = refs + 1 WHERE chain_id = ?1", chain_id));
  if (db_.changes() == 0) return layer_not_found(chain_id);
  return tx.commit();
}

Status LayerStore::release(const std::string& chain_id) {
  BERTH_TRY(internal::check_digest(chain_id, "chain id"));
  BERTH_ASSIGN_OR_RETURN(Tx tx, db_.begin());
  BERTH_ASSIGN_OR_RETURN(auto layer, find(chain_id));
  if (!layer) return layer_not_found(chain_id);
  if (layer->refs <= 0) {
    return failed_precondition("layer " + chain_id + " has no references to release");
  }
  BERTH_TRY(db_.run("UPDATE layers SET refs = refs - 1 WHERE chain_id = ?1", chain_id));
  BERTH_TRY(collect(chain_id));
  return tx.commit();
}

Result<bool> LayerStore::has_children(const std::string& chain_id) {
  BERTH_ASSIGN_OR_RETURN(Stmt st,
                         db_.query("SELECT 1 FROM layers WHERE parent = ?1 LIMIT 1", chain_id));
  return st.step();
}

// Deletes `chain_id` and then its ancestors for as long as each is left without references and
// children. Returns how many layers were deleted.
Result<uint64_t> LayerStore::collect(std::string chain_id) {
  uint64_t deleted = 0;
  while (!chain_id.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto layer, find(chain_id));
    if (!layer || layer->refs > 0) break;
    BERTH_ASSIGN_OR_RETURN(bool children, has_children(chain_id));
    if (children) break;  // cannot happen in the model (children hold refs); be safe anyway
    BERTH_TRY(drop_layer(*layer));
    ++deleted;
    chain_id = layer->parent;
  }
  return deleted;
}

// Deletes the row, drops its reference on the parent, and removes the dir once committed.
Status LayerStore::drop_layer(const Layer& layer) {
  BERTH_TRY(db_.run("DELETE FROM layers WHERE chain_id = ?1", layer.chain_id));
  if (!layer.parent.empty()) {
    BERTH_TRY(db_.run("UPDATE layers SET refs = refs - 1 WHERE chain_id = ?1 AND refs > 0",
                      layer.parent));
  }
  db_.on_commit([dir = dir_path(layer.dir)] {
    // The row is gone already; a dir left here is removed by the next reconcile().
    if (Status st = remove_all(dir); !st.ok()) {
      spdlog::warn("removing deleted layer dir: {}", st.error().message());
    }
  });
  return {};
}

Result<std::vector<std::string>> LayerStore::lowerdirs(const std::string& chain_id) {
  BERTH_TRY(internal::check_digest(chain_id, "chain id"));
  BERTH_ASSIGN_OR_RETURN(Stmt st, db_.query(R"sql(
      WITH RECURSIVE chain(id, parent, dir, depth) AS (
        SELECT chain_id, parent, dir, 0 FROM layers WHERE chain_id = ?1
        UNION ALL
        SELECT l.chain_id, l.parent, l.dir, c.depth + 1 FROM layers l JOIN chain c ON l.chain_id = c.parent
      )
      SELECT dir FROM chain ORDER BY depth)sql",
                                            chain_id));
  std::vector<std::string> dirs;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    dirs.push_back(path_join(dir_path(st.col_int(0)), "diff"));
  }
  if (dirs.empty()) return layer_not_found(chain_id);
  return dirs;
}

Result<std::vector<LayerStore::Layer>> LayerStore::list() {
  BERTH_ASSIGN_OR_RETURN(Stmt st, db_.prepare(std::string(kSelectCols) + " ORDER BY dir"));
  std::vector<Layer> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(read_row(st));
  }
  return out;
}

Result<uint64_t> LayerStore::prune_unreferenced() {
  BERTH_ASSIGN_OR_RETURN(Tx tx, db_.begin());
  BERTH_ASSIGN_OR_RETURN(
      Stmt st, db_.prepare("SELECT chain_id FROM layers WHERE refs <= 0 AND "
                           "NOT EXISTS (SELECT 1 FROM layers c WHERE c.parent = layers.chain_id)"));
  std::vector<std::string> leaves;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    leaves.push_back(st.col_text(0));
  }
  uint64_t deleted = 0;
  for (const auto& id : leaves) {
    BERTH_ASSIGN_OR_RETURN(uint64_t n, collect(id));
    deleted += n;
  }
  BERTH_TRY(tx.commit());
  return deleted;
}

}  // namespace berth::snapshot
