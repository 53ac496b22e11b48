// The builder's layers and cache: a directory becomes a layer; cache rows in sqlite (build_cache,
// metadata/schema.cc) map a step's key to the layer it made. Each row holds one reference on its
// top layer, so cached layers survive `rmi` of the images that used them until `builder prune`.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <dirent.h>

#include <thread>

#include "archive/archive.h"
#include "base/fs.h"
#include "engine/build_steps.h"
#include "image/import.h"
#include "snapshot/layer_store.h"

namespace berth::engine {
namespace buildimpl {
namespace {

bool dir_empty(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return true;
  bool empty = true;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  return empty;
}

}  // namespace

Status Builder::pin(const std::string& chain) {
  if (chain.empty() || safe_.count(chain)) return {};
  auto taken = eng_.store().layers().acquire(chain);
  if (!taken.ok() && taken.error().code() == Code::kNotFound)
    return not_found("layer " + chain + " of a base image was removed during the build");
  BERTH_TRY(taken);
  held_.push_back(chain);
  safe_.insert(chain);
  return {};
}

Result<std::vector<std::string>> Builder::lowers(const State& st) {
  if (st.top_layer.empty()) return std::vector<std::string>{};
  BERTH_TRY(pin(st.top_layer));
  return eng_.store().layers().lowerdirs(st.top_layer);
}

// A hit only reads: the row's reference keeps its layer (see pin), so a rebuild that changed
// nothing makes no write at all (a write costs sqlite a WAL header sync and a checkpoint with two
// more fsyncs when the process ends: 10-250 ms on a busy disk). last_used is refreshed like a
// relatime atime, when it is more than an hour old.
Result<std::optional<Builder::CacheHit>> Builder::cache_get(const std::string& key) {
  if (req_.no_cache) return std::optional<CacheHit>();
  auto& db = eng_.store().db();
  CacheHit h;
  int64_t last_used = 0;
  {
    BERTH_ASSIGN_OR_RETURN(auto stmt, db.prepare(
        "SELECT coalesce(top_layer,''), diff_id, created, last_used FROM build_cache WHERE key = ?1"));
    stmt.bind(1, key);
    BERTH_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return std::optional<CacheHit>();
    h = CacheHit{stmt.col_text(0), stmt.col_text(1), stmt.col_int(2)};
    last_used = stmt.col_int(3);
  }
  if (!h.top_layer.empty()) {
    // The layer may have been lost (system check): then it is a miss.
    auto layer = eng_.store().layers().get(h.top_layer);
    if (!layer.ok() || !*layer) return std::optional<CacheHit>();
    safe_.insert(h.top_layer);
  }
  int64_t now = image::now_nanos();
  if (now - last_used > 3600LL * 1000000000LL)
    BERTH_TRY(db.run("UPDATE build_cache SET last_used = ?1 WHERE key = ?2", now, key));
  return std::optional<CacheHit>(h);
}

Status Builder::cache_put(const std::string& key, const CacheHit& v) {
  auto& db = eng_.store().db();
  BERTH_ASSIGN_OR_RETURN(auto tx, db.begin());
  BERTH_ASSIGN_OR_RETURN(auto stmt, db.prepare("SELECT 1 FROM build_cache WHERE key = ?1"));
  stmt.bind(1, key);
  BERTH_ASSIGN_OR_RETURN(bool exists, stmt.step());
  if (exists) {
    // --no-cache rebuilt it: keep the row (and its layer) that is there.
    return tx.commit();
  }
  BERTH_TRY(db.run(
      "INSERT INTO build_cache(key, top_layer, diff_id, created, size, last_used) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
      key, v.top_layer.empty() ? std::optional<std::string>() : std::optional<std::string>(v.top_layer),
      v.diff_id, v.created, static_cast<int64_t>(v.size), image::now_nanos()));
  if (!v.top_layer.empty()) BERTH_TRY(eng_.store().layers().acquire(v.top_layer));
  return tx.commit();
}

namespace {

// Moves the entries of `from` into `to` (the same file system).
Status move_entries(const std::string& from, const std::string& to) {
  DIR* d = ::opendir(from.c_str());
  if (!d) return sys_error("open " + from);
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  for (const auto& n : names)
    if (::rename(path_join(from, n).c_str(), path_join(to, n).c_str()) != 0)
      return sys_error("moving " + n + " into the layer");
  return {};
}

}  // namespace

Result<Builder::CacheHit> Builder::commit_dir(const State& st, const std::string& dir,
                                              bool movable) {
  CacheHit out{st.top_layer, "", image::now_nanos()};
  if (req_.source_date_epoch) out.created = build_time_;
  if (dir_empty(dir)) return out;
  auto& store = eng_.store();
  archive::ExportOptions eo;
  eo.compression = archive::Compression::kNone;
  eo.overlay_whiteouts = true;
  if (req_.source_date_epoch) eo.clamp_mtime = *req_.source_date_epoch;
  Result<snapshot::LayerStore::Layer> made = internal_error("layer commit did not run");
  if (movable && !req_.source_date_epoch) {
    // A COPY's staging dir is already in berth's canonical form: its entries are moved into the
    // layer and the diff id is the digest of the layer dir's tar, which is not stored. As
    // BuildKit, the tar is made only when something needs it (save, push, --output):
    // image::Store::uncompressed_layer_blob makes it again from the layer dir (same tree, same
    // bytes: export_layer is deterministic) and checks it against the diff id. So the files are
    // written once, not twice. (With SOURCE_DATE_EPOCH the tar's mtimes are clamped, which the
    // dir does not record: that tar is stored as below.)
    BERTH_ASSIGN_OR_RETURN(auto devnull, open_file("/dev/null", O_WRONLY));
    made = store.layers().create_sized(
        st.top_layer, std::nullopt,
        [&](const std::string& diff_dir) -> Result<snapshot::LayerStore::Filled> {
          // Only this step's own files: the store uses no statement or transaction meanwhile.
          Unlocked unlocked(*this);
          BERTH_TRY(move_entries(dir, diff_dir));
          BERTH_ASSIGN_OR_RETURN(auto ex, archive::export_layer(diff_dir, devnull.get(), eo));
          return snapshot::LayerStore::Filled{ex.diff_id, ex.file_bytes, ex.entries};
        });
  } else {
    // The tar streams through a pipe into the content store (one write, hashed on the way; its
    // digest is the diff id) while export_layer computes the same digest, then a RUN's upper dir
    // is extracted again from that blob into the layer store, so the layer dir is always in
    // berth's canonical form (overlay xattrs other than opaque markers are never carried over).
    // A COPY's staging dir (`movable`) is already canonical: its entries are moved.
    Result<archive::ExportResult> exported = internal_error("layer export did not run");
    Result<std::string> ingested = internal_error("layer ingest did not run");
    {
      // The tar and the blob are this step's own files: written without the builder lock.
      Unlocked unlocked(*this);
      int p[2];
      if (::pipe2(p, O_CLOEXEC) != 0) return sys_error("pipe");
      UniqueFd rd(p[0]), wr(p[1]);
      (void)::fcntl(wr.get(), F_SETPIPE_SZ, 1 << 20);
      std::thread reader([&] {
        ingested = store.content().import_fd(rd.get());
        // A failed ingest still drains the pipe, so the export ends instead of blocking.
        char buf[1 << 16];
        while (!ingested.ok() && ::read(rd.get(), buf, sizeof buf) > 0) {
        }
      });
      exported = archive::export_layer(dir, wr.get(), eo);
      wr.reset();  // end of the stream (or, on an error, of what was written)
      reader.join();
    }
    if (!exported.ok()) return std::move(exported).error();
    auto& ex = *exported;
    if (!ingested.ok()) return std::move(ingested).error();
    auto& blob = *ingested;
    if (blob != ex.diff_id) return internal_error("layer digest changed while storing it");
    made = store.layers().create_sized(
        st.top_layer, ex.diff_id,
        [&](const std::string& diff_dir) -> Result<snapshot::LayerStore::Filled> {
          if (movable) {
            BERTH_TRY(move_entries(dir, diff_dir));
            return snapshot::LayerStore::Filled{ex.diff_id, ex.file_bytes, ex.entries};
          }
          BERTH_ASSIGN_OR_RETURN(auto in, store.content().open_blob(blob));
          BERTH_ASSIGN_OR_RETURN(auto r, archive::apply_layer(in.get(), diff_dir));
          // The same tree as the upper dir, entry for entry: its count decides how it is synced.
          return snapshot::LayerStore::Filled{r.diff_id, r.size, ex.entries};
        },
        blob);
  }
  if (!made.ok()) return std::move(made).error();
  auto& layer = *made;
  held_.push_back(layer.chain_id);
  safe_.insert(layer.chain_id);
  out.top_layer = layer.chain_id;
  out.diff_id = layer.diff_id;
  out.size = layer.size;
  return out;
}

void Builder::apply(State& st, const std::string& key, const CacheHit& hit,
                    const std::string& created_by) {
  if (!hit.diff_id.empty()) st.cfg.diff_ids.push_back(hit.diff_id);
  st.top_layer = hit.top_layer;
  // SOURCE_DATE_EPOCH fixes every time, also of steps a build without it cached.
  st.time = req_.source_date_epoch ? build_time_ : hit.created;
  oci::HistoryEntry h;
  h.created = image::rfc3339(st.time);
  h.created_by = created_by;
  h.comment = "buildkit.dockerfile.v0";
  h.empty_layer = hit.diff_id.empty();
  st.cfg.history.push_back(h);
  st.key = key;
}

}  // namespace buildimpl

Result<uint64_t> prune_build_cache(Engine& engine, bool all) {
  auto& store = engine.store();
  uint64_t freed = 0;
  {
    // Cache rows go only under the exclusive store lock: a running build (which holds it shared)
    // reads the layers of the rows it hit without references of its own (Builder::pin).
    BERTH_ASSIGN_OR_RETURN(UniqueFd lock, open_file(path_join(engine.options().root, "store.lock"),
                                                    O_RDWR | O_CREAT, 0600));
    while (::flock(lock.get(), LOCK_EX) < 0)
      if (errno != EINTR) return sys_error("locking the store");
    BERTH_ASSIGN_OR_RETURN(auto tx, store.db().begin());
    BERTH_ASSIGN_OR_RETURN(auto stmt, store.db().prepare(
        "SELECT coalesce(top_layer,''), size FROM build_cache"));
    std::vector<std::string> tops;
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (!row) break;
      tops.push_back(stmt.col_text(0));
      freed += static_cast<uint64_t>(stmt.col_int(1));
    }
    BERTH_TRY(store.db().exec("DELETE FROM build_cache"));
    for (const auto& t : tops)
      if (!t.empty()) BERTH_TRY(store.layers().release(t));
    BERTH_TRY(tx.commit());
  }
  BERTH_TRY(remove_all(path_join(engine.options().root, "build-file-digests")));
  BERTH_TRY(remove_all(path_join(engine.options().root, "build-copy-manifests")));
  if (all) {
    std::string mounts = path_join(engine.options().root, "build-cache-mounts");
    auto du = disk_usage(mounts);
    if (du.ok()) freed += *du;
    BERTH_TRY(remove_all(mounts));
  }
  // Layers only the cache held are gone now; their blobs are garbage.
  BERTH_TRY(engine.collect_garbage());
  return freed;
}

Result<DfRow> build_cache_usage(Engine& engine) {
  auto& store = engine.store();
  DfRow row{"Build Cache", 0, 0, 0, 0};
  BERTH_ASSIGN_OR_RETURN(auto stmt, store.db().prepare(
      "SELECT b.size, (SELECT count(*) FROM images i WHERE i.top_layer = b.top_layer) "
      "FROM build_cache b"));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool r, stmt.step());
    if (!r) break;
    ++row.total;
    uint64_t sz = static_cast<uint64_t>(stmt.col_int(0));
    row.size += sz;
    if (stmt.col_int(1) > 0) ++row.active;
    else row.reclaimable += sz;
  }
  auto du = disk_usage(path_join(engine.options().root, "build-cache-mounts"));
  if (du.ok()) {
    row.size += *du;
    row.reclaimable += *du;
  }
  return row;
}

}  // namespace berth::engine
