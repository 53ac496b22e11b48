// The image store: image records, tags and repo digests in sqlite, config and layer blobs in the
// content store, extracted layers in the layer store.
//
// Thread-safety: a Store is used by one thread; several processes may share one root (sqlite and
// the content/layer stores serialize them).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "content/store.h"
#include "image/reference.h"
#include "metadata/db.h"
#include "oci/image.h"
#include "snapshot/layer_store.h"

namespace berth::image {

struct ImageRecord {
  std::string id;               // "sha256:<hex>" of the config bytes
  std::string manifest_digest;  // empty when none is known
  std::string config_bytes;
  std::string top_layer;        // chain id of the last layer; empty for an image without layers
  uint64_t size = 0;            // bytes of all its layers, extracted
  int64_t created = 0;          // unix nanos, from the config ("created")
  int64_t loaded_at = 0;        // unix nanos when it entered this store
  std::string parent;           // parent image id (build history), may be empty
  std::vector<std::string> tags;          // full normalized: docker.io/library/busybox:latest
  std::vector<std::string> repo_digests;  // docker.io/library/busybox@sha256:...

  std::string short_id() const;  // 12 hex chars, as `images` prints
};

// A layer to add to an image, given as a blob already in the content store.
struct LayerBlob {
  std::string digest;     // blob digest (compressed or not)
  std::string diff_id;    // expected uncompressed digest; empty = trust what extraction computes
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::string& root);

  content::ContentStore& content() { return *content_; }
  snapshot::LayerStore& layers() { return *layers_; }
  metadata::Db& db() { return *db_; }
  const std::string& root() const { return root_; }
  // A scratch directory on the same file system as the store (for load/import staging).
  std::string tmp_dir() const;

  Result<ImageRecord> get(const std::string& id);
  Result<std::vector<ImageRecord>> list();
  // Docker's lookup: a full id, then a reference (tag or digest, "latest" added), then a unique
  // id prefix. Not found: "No such image: <ref>".
  Result<ImageRecord> resolve(std::string_view name_or_id);

  // Extracts the blobs (in order) into the layer store and returns the top chain id, holding one
  // reference on it that add() takes over (or the caller releases). Layers that already exist
  // are reused. Each blob's diff_id is checked when given.
  Result<std::string> ensure_layers(const std::vector<LayerBlob>& blobs);

  // Records an image whose layers exist, taking over the caller's reference on top_layer (it is
  // released when the image already existed or on failure). Idempotent: adding an existing id
  // returns the stored record (with the new tags added).
  struct NewImage {
    std::string config_bytes;
    std::string top_layer;
    std::string manifest_digest;
    std::string parent;
    std::vector<Reference> tags;  // recorded in the same transaction as the image
  };
  Result<ImageRecord> add(const NewImage& img);

  // A blob holding the layer's uncompressed tar (its digest is `diff_id`), made from the layer's
  // compressed blob when only that one is stored, or else from a layer dir with that diff id (the
  // builder keeps no tar of a COPY layer): export_layer is deterministic, and the blob commits
  // only when its digest is the diff id. The blob is then recorded on those layers (kept by GC).
  Result<std::string> uncompressed_layer_blob(const std::string& diff_id);

  // Points `ref` (with tag) at the image; returns the id it pointed at before, if another.
  Result<std::optional<std::string>> tag(const std::string& image_id, const Reference& ref);
  Status add_repo_digest(const std::string& image_id, const std::string& name_at_digest);
  // Removes one tag or digest reference. NotFound if absent.
  Status untag(const std::string& full_ref);
  // Deletes the image record, releases its layers and removes its config blob. The caller checks
  // Docker's rules (tags, children, containers) first. Returns the chain ids of layers removed.
  Status delete_image(const std::string& id);
  // Ids of images whose parent is `id`.
  Result<std::vector<std::string>> children(const std::string& id);

  // Sets every layer's refs to what the records say (children + images using it as top). Run
  // under the exclusive store lock: it forgets the references that a crashed writer held.
  Status recount_layer_refs();

  // Chain ids of an image's layers, bottom first.
  Result<std::vector<std::string>> chain(const ImageRecord& img);

 private:
  Store() = default;
  Result<std::vector<ImageRecord>> query(const std::string& where, const std::string& arg);

  std::string root_;
  std::unique_ptr<metadata::Db> db_;
  std::unique_ptr<content::ContentStore> content_;
  std::unique_ptr<snapshot::LayerStore> layers_;
};

// Unix nanos now; and the RFC 3339 "created" value of a config as unix nanos (0 if unparsable).
int64_t now_nanos();
int64_t created_nanos(const oci::ImageConfig& cfg);

}  // namespace berth::image
