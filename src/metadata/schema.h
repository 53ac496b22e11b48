// The metadata schema as an ordered list of migrations. Migration i (1-based) brings the database
// from user_version i-1 to i. Append new migrations at the end; never edit a released one.
//
// Migration 1 creates:
//   images(id, manifest_digest, config, top_layer, size, created, loaded_at, parent, labels)
//   tags(name -> image_id), repo_digests(name, image_id)
//   layers(chain_id, diff_id, parent, dir, size, refs, compressed_digest, created)
//   sequences(name, value): monotonic counters (the layer store's dir numbers, never reused)
// Column meanings are documented beside each column in schema.cc.
#pragma once

#include <span>
#include <string_view>

#include "base/error.h"

namespace berth::metadata {

struct Migration {
  std::string_view description;
  std::string_view sql;
};

std::span<const Migration> migrations();

class Db;
// Applies the migrations missing from `db` in one IMMEDIATE transaction. Called by Db::open.
// kFailedPrecondition when the database is newer than this binary.
Status migrate(Db& db);

}  // namespace berth::metadata
