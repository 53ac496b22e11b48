#include "image/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "archive/archive.h"
#include "archive/decompress.h"
#include "base/fs.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "digest/digest.h"
#include "format/units.h"

namespace berth::image {

std::string ImageRecord::short_id() const {
  auto pos = id.find(':');
  return id.substr(pos == std::string::npos ? 0 : pos + 1, 12);
}

int64_t now_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t created_nanos(const oci::ImageConfig& cfg) {
  if (cfg.created.empty()) return 0;
  auto r = format::parse_rfc3339_nano(cfg.created);
  return r.ok() ? *r : 0;
}

Result<std::unique_ptr<Store>> Store::open(const std::string& root) {
  std::unique_ptr<Store> s(new Store());
  s->root_ = root;
  BERTH_TRY_CTX(mkdir_all(root, 0711), "creating store root");
  BERTH_TRY(mkdir_all(s->tmp_dir(), 0700));
  BERTH_ASSIGN_OR_RETURN(auto db, metadata::Db::open(path_join(root, "berth.db")));
  s->db_ = std::make_unique<metadata::Db>(std::move(db));
  BERTH_ASSIGN_OR_RETURN(auto cs, content::ContentStore::open(root));
  s->content_ = std::make_unique<content::ContentStore>(std::move(cs));
  s->layers_ = std::make_unique<snapshot::LayerStore>(root, *s->db_);
  return s;
}

std::string Store::tmp_dir() const { return path_join(root_, "tmp"); }

static const char* kImageCols =
    "id, coalesce(manifest_digest,''), config, coalesce(top_layer,''), size, created, loaded_at, "
    "coalesce(parent,'')";

Result<std::vector<ImageRecord>> Store::query(const std::string& where, const std::string& arg) {
  std::string sql = std::string("SELECT ") + kImageCols + " FROM images";
  if (!where.empty()) sql += " WHERE " + where;
  sql += " ORDER BY created DESC, loaded_at DESC";
  BERTH_ASSIGN_OR_RETURN(auto st, db_->prepare(sql));
  if (!where.empty()) st.bind(1, arg);
  std::vector<ImageRecord> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    ImageRecord r;
    r.id = st.col_text(0);
    r.manifest_digest = st.col_text(1);
    r.config_bytes = st.col_text(2);
    r.top_layer = st.col_text(3);
    r.size = static_cast<uint64_t>(st.col_int(4));
    r.created = st.col_int(5);
    r.loaded_at = st.col_int(6);
    r.parent = st.col_text(7);
    out.push_back(std::move(r));
  }
  // Tags and digests in two passes keeps the queries simple; the table sizes are small.
  BERTH_ASSIGN_OR_RETURN(auto tags, db_->prepare("SELECT name, image_id FROM tags ORDER BY name"));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, tags.step());
    if (!row) break;
    std::string name = tags.col_text(0), id = tags.col_text(1);
    for (auto& r : out)
      if (r.id == id) r.tags.push_back(name);
  }
  BERTH_ASSIGN_OR_RETURN(auto dg,
                         db_->prepare("SELECT name, image_id FROM repo_digests ORDER BY name"));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, dg.step());
    if (!row) break;
    std::string name = dg.col_text(0), id = dg.col_text(1);
    for (auto& r : out)
      if (r.id == id) r.repo_digests.push_back(name);
  }
  return out;
}

Result<std::vector<ImageRecord>> Store::list() { return query("", ""); }

Result<ImageRecord> Store::get(const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(auto rows, query("id = ?1", id));
  if (rows.empty()) return not_found("No such image: " + id);
  return std::move(rows.front());
}

static std::string lookup_tag_sql(const char* table) {
  return std::string("SELECT image_id FROM ") + table + " WHERE name = ?1";
}

Result<ImageRecord> Store::resolve(std::string_view name_or_id) {
  std::string s(name_or_id);
  if (is_full_image_id(s)) {
    std::string id = s.rfind("sha256:", 0) == 0 ? s : "sha256:" + s;
    auto r = get(id);
    if (r.ok() || r.error().code() != Code::kNotFound) return r;
  }
  auto ref = parse_docker_ref(s);
  std::string shown = s;
  if (ref.ok()) {
    shown = ref->familiar_string();
    const char* table = ref->has_digest() ? "repo_digests" : "tags";
    std::string key = ref->string();
    if (ref->has_digest()) key = ref->name() + "@" + ref->digest->str();
    BERTH_ASSIGN_OR_RETURN(auto st, db_->prepare(lookup_tag_sql(table)));
    st.bind(1, key);
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (row) return get(st.col_text(0));
  }
  if (could_be_id_prefix(s)) {
    std::string hex = s.rfind("sha256:", 0) == 0 ? s.substr(7) : s;
    BERTH_ASSIGN_OR_RETURN(auto rows, query("id LIKE ?1", "sha256:" + hex + "%"));
    if (rows.size() == 1) return std::move(rows.front());
    if (rows.size() > 1)
      return invalid_argument("multiple IDs found with provided prefix: " + hex);
  }
  if (!ref.ok() && !could_be_id_prefix(s)) return std::move(ref).error();
  return not_found("No such image: " + shown);
}

Result<std::string> Store::ensure_layers(const std::vector<LayerBlob>& blobs) {
  std::string parent;
  for (const auto& b : blobs) {
    std::optional<std::string> expected;
    if (!b.diff_id.empty()) expected = b.diff_id;
    auto fill = [&](const std::string& dir) -> Result<std::string> {
      BERTH_ASSIGN_OR_RETURN(UniqueFd fd, content_->open_blob(b.digest));
      BERTH_ASSIGN_OR_RETURN(auto res, archive::apply_layer(fd.get(), dir));
      return res.diff_id;
    };
    BERTH_ASSIGN_OR_RETURN(auto layer, layers_->create(parent, expected, fill, b.digest));
    // create() gives the caller a reference; the child now holds its parent, so the caller
    // keeps only the top one.
    if (!parent.empty()) BERTH_TRY(layers_->release(parent));
    parent = layer.chain_id;
  }
  return parent;
}

Result<ImageRecord> Store::add(const NewImage& img) {
  // The caller's reference on the top layer passes to the new image row, or is dropped.
  bool keep_ref = false;
  ScopeExit drop_ref([&] {
    if (!keep_ref && !img.top_layer.empty()) (void)layers_->release(img.top_layer);
  });
  std::string id = digest::sha256_of(img.config_bytes).str();
  auto existing = get(id);
  if (existing.ok()) {
    for (const auto& t : img.tags) BERTH_TRY(tag(id, t));
    return img.tags.empty() ? existing : get(id);
  }
  BERTH_ASSIGN_OR_RETURN(auto cfg, oci::parse_image_config(img.config_bytes));
  BERTH_ASSIGN_OR_RETURN(std::string cfg_digest, content_->put(img.config_bytes));
  (void)cfg_digest;
  uint64_t size = 0;
  if (!img.top_layer.empty()) {
    std::string cur = img.top_layer;
    while (!cur.empty()) {
      BERTH_ASSIGN_OR_RETURN(auto layer, layers_->get(cur));
      if (!layer) return not_found("layer " + cur + " is not in the store");
      size += layer->size;
      cur = layer->parent;
    }
  }
  BERTH_ASSIGN_OR_RETURN(auto tx, db_->begin());
  BERTH_ASSIGN_OR_RETURN(auto st, db_->prepare(
      "INSERT OR IGNORE INTO images(id, manifest_digest, config, top_layer, size, created, "
      "loaded_at, parent) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  st.bind(1, id);
  if (img.manifest_digest.empty()) st.bind(2, nullptr); else st.bind(2, img.manifest_digest);
  st.bind(3, img.config_bytes);
  if (img.top_layer.empty()) st.bind(4, nullptr); else st.bind(4, img.top_layer);
  st.bind(5, static_cast<int64_t>(size));
  st.bind(6, created_nanos(cfg));
  st.bind(7, now_nanos());
  if (img.parent.empty()) st.bind(8, nullptr); else st.bind(8, img.parent);
  BERTH_TRY(st.step());
  bool inserted = db_->changes() > 0;
  for (const auto& t : img.tags) BERTH_TRY(tag(id, t));  // nested: a savepoint in this tx
  BERTH_TRY(tx.commit());
  keep_ref = inserted;
  return get(id);
}

Result<std::optional<std::string>> Store::tag(const std::string& image_id, const Reference& ref) {
  std::string name = ref.string();
  BERTH_ASSIGN_OR_RETURN(auto tx, db_->begin());
  std::optional<std::string> previous;
  {
    BERTH_ASSIGN_OR_RETURN(auto q, db_->prepare("SELECT image_id FROM tags WHERE name = ?1"));
    q.bind(1, name);
    BERTH_ASSIGN_OR_RETURN(bool row, q.step());
    if (row && q.col_text(0) != image_id) previous = q.col_text(0);
  }
  BERTH_ASSIGN_OR_RETURN(auto st,
                         db_->prepare("INSERT OR REPLACE INTO tags(name, image_id) VALUES(?1, ?2)"));
  st.bind(1, name).bind(2, image_id);
  BERTH_TRY(st.step());
  BERTH_TRY(tx.commit());
  return previous;
}

Status Store::add_repo_digest(const std::string& image_id, const std::string& name_at_digest) {
  BERTH_ASSIGN_OR_RETURN(auto st, db_->prepare(
      "INSERT OR IGNORE INTO repo_digests(name, image_id) VALUES(?1, ?2)"));
  st.bind(1, name_at_digest).bind(2, image_id);
  BERTH_TRY(st.step());
  return {};
}

Status Store::untag(const std::string& full_ref) {
  const char* table = full_ref.find('@') != std::string::npos ? "repo_digests" : "tags";
  BERTH_ASSIGN_OR_RETURN(auto st, db_->prepare(std::string("DELETE FROM ") + table +
                                               " WHERE name = ?1"));
  st.bind(1, full_ref);
  BERTH_TRY(st.step());
  if (db_->changes() == 0) return not_found("No such image: " + full_ref);
  return {};
}

Result<std::vector<std::string>> Store::children(const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(auto st, db_->prepare("SELECT id FROM images WHERE parent = ?1"));
  st.bind(1, id);
  std::vector<std::string> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(st.col_text(0));
  }
  return out;
}

Status Store::delete_image(const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(auto img, get(id));
  {
    BERTH_ASSIGN_OR_RETURN(auto tx, db_->begin());
    for (const char* sql : {"DELETE FROM tags WHERE image_id = ?1",
                            "DELETE FROM repo_digests WHERE image_id = ?1",
                            "UPDATE images SET parent = NULL WHERE parent = ?1",
                            "DELETE FROM images WHERE id = ?1"}) {
      BERTH_ASSIGN_OR_RETURN(auto st, db_->prepare(sql));
      st.bind(1, id);
      BERTH_TRY(st.step());
    }
    BERTH_TRY(tx.commit());
  }
  // The record is gone first: a crash below leaves only unreferenced data for GC to collect.
  if (!img.top_layer.empty()) BERTH_TRY(layers_->release(img.top_layer));
  if (content_->has(img.id)) BERTH_TRY(content_->remove(img.id));
  return {};
}

Result<std::string> Store::uncompressed_layer_blob(const std::string& diff_id) {
  if (content_->has(diff_id)) return diff_id;
  BERTH_ASSIGN_OR_RETURN(auto st, db_->query(
      "SELECT compressed_digest FROM layers WHERE diff_id = ?1 AND compressed_digest IS NOT NULL",
      diff_id));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    std::string blob = st.col_text(0);
    if (!content_->has(blob)) continue;
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, content_->open_blob(blob));
    BERTH_ASSIGN_OR_RETURN(auto writer, content_->writer());
    BERTH_TRY(archive::decompress(fd.get(), [&](std::string_view c) { return writer.write(c); }));
    return writer.commit(diff_id);
  }
  BERTH_ASSIGN_OR_RETURN(auto dirs, db_->query("SELECT chain_id FROM layers WHERE diff_id = ?1",
                                               diff_id));
  std::vector<std::string> chains;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, dirs.step());
    if (!row) break;
    chains.push_back(dirs.col_text(0));
  }
  BERTH_TRY(dirs.reset());
  for (const auto& chain : chains) {
    BERTH_ASSIGN_OR_RETURN(auto layer, layers_->get(chain));
    if (!layer || !path_exists(layer->path)) continue;
    // The tar streams through a pipe into the content store, which checks its digest.
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return sys_error("pipe");
    UniqueFd rd(p[0]), wr(p[1]);
    Result<std::string> stored = internal_error("layer blob was not stored");
    std::thread reader([&] {
      stored = content_->import_fd(rd.get(), diff_id);
      char buf[1 << 16];  // a failed ingest still drains the pipe, so the export ends
      while (!stored.ok() && ::read(rd.get(), buf, sizeof buf) > 0) {
      }
    });
    archive::ExportOptions eo;
    eo.compression = archive::Compression::kNone;
    eo.overlay_whiteouts = true;
    auto exported = archive::export_layer(layer->path, wr.get(), eo);
    wr.reset();
    reader.join();
    if (!exported.ok()) return std::move(exported).error().context("making the tar of layer " + diff_id);
    if (!stored.ok()) return std::move(stored).error().context("making the tar of layer " + diff_id);
    BERTH_TRY(db_->run("UPDATE layers SET compressed_digest = ?1 WHERE diff_id = ?1 AND "
                       "compressed_digest IS NULL",
                       diff_id));
    return *stored;
  }
  return not_found("no blob holds layer " + diff_id);
}

Status Store::recount_layer_refs() {
  return db_->exec(
      "UPDATE layers SET refs = "
      "(SELECT count(*) FROM layers c WHERE c.parent = layers.chain_id) + "
      "(SELECT count(*) FROM images i WHERE i.top_layer = layers.chain_id) + "
      "(SELECT count(*) FROM containers k WHERE k.top_layer = layers.chain_id) + "
      "(SELECT count(*) FROM build_cache b WHERE b.top_layer = layers.chain_id)");
}

Result<std::vector<std::string>> Store::chain(const ImageRecord& img) {
  std::vector<std::string> out;
  std::string cur = img.top_layer;
  while (!cur.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto layer, layers_->get(cur));
    if (!layer) return not_found("layer " + cur + " is not in the store");
    out.push_back(layer->chain_id);
    cur = layer->parent;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace berth::image
