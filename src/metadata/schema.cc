#include "metadata/schema.h"

#include <string>

#include "metadata/db.h"

namespace berth::metadata {

namespace {

constexpr std::string_view kV1 = R"sql(
CREATE TABLE images (
  id TEXT PRIMARY KEY,          -- config digest, sha256:<hex>
  manifest_digest TEXT,         -- may be NULL (built or loaded without a manifest)
  config TEXT NOT NULL,         -- raw config JSON
  top_layer TEXT,               -- chain id of the top layer; NULL for an image without layers
  size INTEGER NOT NULL,
  created INTEGER NOT NULL,     -- unix nanos, from the config
  loaded_at INTEGER NOT NULL,   -- unix nanos, when stored
  parent TEXT,                  -- parent image id (images -a, build cache)
  labels TEXT                   -- unused for now, NULL
);
CREATE INDEX images_parent ON images(parent);
CREATE INDEX images_top_layer ON images(top_layer);

CREATE TABLE tags (
  name TEXT PRIMARY KEY,        -- full normalized reference: docker.io/library/busybox:latest
  image_id TEXT NOT NULL REFERENCES images(id)
);
CREATE INDEX tags_image_id ON tags(image_id);

CREATE TABLE repo_digests (
  name TEXT NOT NULL,           -- docker.io/library/busybox@sha256:<hex>
  image_id TEXT NOT NULL REFERENCES images(id),
  PRIMARY KEY (name, image_id)
);
CREATE INDEX repo_digests_image_id ON repo_digests(image_id);

CREATE TABLE layers (
  chain_id TEXT PRIMARY KEY,
  diff_id TEXT NOT NULL,
  parent TEXT REFERENCES layers(chain_id),  -- NULL for a base layer
  dir INTEGER UNIQUE NOT NULL,              -- layers/<dir>/diff
  size INTEGER NOT NULL,                    -- bytes of the extracted diff
  refs INTEGER NOT NULL DEFAULT 0,          -- see snapshot/layer_store.h for the model
  compressed_digest TEXT,                   -- blob that produced it, if known
  created INTEGER NOT NULL                  -- unix nanos
);
CREATE INDEX layers_parent ON layers(parent);

CREATE TABLE sequences (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
)sql";

// Containers. image_id is not a foreign key: `rmi -f` may delete an image a stopped container
// still runs on (the container keeps its layers through top_layer's reference, as Docker does).
constexpr std::string_view kV2 = R"sql(
CREATE TABLE containers (
  id TEXT PRIMARY KEY,            -- 64 hex
  name TEXT UNIQUE NOT NULL,      -- without Docker's leading '/'
  image_id TEXT NOT NULL,
  image_ref TEXT NOT NULL,        -- as the user typed it: "busybox"
  top_layer TEXT,                 -- chain id the container holds a reference on
  created INTEGER NOT NULL,       -- unix nanos
  config TEXT NOT NULL,           -- JSON: Config, HostConfig, spec inputs
  state TEXT NOT NULL,            -- created|running|paused|restarting|removing|exited|dead
  pid INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER NOT NULL DEFAULT 0,
  oom_killed INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX containers_image_id ON containers(image_id);
)sql";

// The build cache: one row per cached step. A row with a top_layer holds one reference on it
// (snapshot/layer_store.h), given back when the row is deleted (`builder prune`).
constexpr std::string_view kV3 = R"sql(
CREATE TABLE build_cache (
  key TEXT PRIMARY KEY,           -- build/cache_key.h: parent key + instruction + input digests
  top_layer TEXT,                 -- chain id after the step; NULL for a state without layers
  diff_id TEXT NOT NULL,          -- the layer the step made; '' when its diff was empty
  created INTEGER NOT NULL,       -- unix nanos, the history entry's time
  size INTEGER NOT NULL,          -- bytes of the layer the step made
  last_used INTEGER NOT NULL
);
CREATE INDEX build_cache_top_layer ON build_cache(top_layer);
)sql";

constexpr Migration kMigrations[] = {
    {"images, tags, repo_digests, layers, sequences", kV1},
    {"containers", kV2},
    {"build cache", kV3},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

Status migrate(Db& db) {
  const int target = static_cast<int>(migrations().size());
  auto too_new = [&](int v) {
    return failed_precondition("database schema version " + std::to_string(v) +
                               " is newer than this berth supports (" + std::to_string(target) +
                               ")");
  };
  // Read first without the write lock: the common case (up to date) must not serialize opens.
  BERTH_ASSIGN_OR_RETURN(int v, db.schema_version());
  if (v == target) return {};
  if (v > target) return too_new(v);

  BERTH_ASSIGN_OR_RETURN(Tx tx, db.begin());
  // Another process may have migrated between the read above and taking the lock.
  BERTH_ASSIGN_OR_RETURN(v, db.schema_version());
  if (v > target) return too_new(v);
  for (int i = v; i < target; ++i) {
    const Migration& m = migrations()[static_cast<size_t>(i)];
    BERTH_TRY_CTX(db.exec(m.sql),
                  "migration " + std::to_string(i + 1) + " (" + std::string(m.description) + ")");
  }
  BERTH_TRY(db.exec("PRAGMA user_version = " + std::to_string(target)));
  return tx.commit();
}

}  // namespace berth::metadata
