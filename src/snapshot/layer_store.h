// The layer store: extracted image layers on disk, identified and shared by chain id, recorded
// in the `layers` table of the metadata db.
//
// Layout under the root (DESIGN.md §3):
//   layers/<n>/diff     one extracted layer, an overlay lowerdir. <n> comes from the db sequence
//                       "layer_dir": short (keeps overlay mount options small) and never reused,
//                       so a stale path can never name another layer's files.
//   layers/.tmp-<rand>  a layer being filled; a crash leaves at most this (reconcile removes it).
//
// Chain ids (OCI image spec): chain_id(L1) = diff_id(L1);
//   chain_id(Ln) = sha256(chain_id(Ln-1) + " " + diff_id(Ln)).
//
// Reference model (the `refs` column counts holders of a layer):
// - every child layer holds one reference on its parent, taken when the child is inserted and
//   dropped when it is deleted;
// - create() returns with one reference held by the caller, whether it made the layer or found
//   it. The caller hands that reference to whatever records the layer (an image's top layer:
//   store the image, keep the ref) or gives it back with release(). Holding the reference from
//   the start means a concurrent prune_unreferenced() can never delete a layer between its
//   creation and its first user. To build a chain L1..Ln: create L1, create L2 on L1, release L1
//   (L2 now holds it), ... keep only Ln's reference.
// - acquire()/release() add and drop one reference (an image or container using a chain top);
// - a layer is deleted when its count reaches 0 (then it has no children, since each child holds a
//   reference); deleting it drops its reference on the parent, which may cascade down the chain.
// Rows change in one IMMEDIATE transaction each (a savepoint inside a caller's transaction);
// directories are removed only after the deleting transaction commits (metadata::Db::on_commit),
// and a directory renamed into place by a transaction that rolls back is removed again.
//
// Concurrency: processes and threads each use their own Db connection and LayerStore; sqlite
// serializes the mutations. Two creators of the same layer both extract into temp dirs; the first
// to commit wins, the other removes its temp dir and returns the winner's layer (with a reference
// for its caller). A creator holds flock(LOCK_EX) on its temp dir, so reconcile() in another
// process only removes temp dirs of creators that died.
// A LayerStore is used by one thread at a time (like its Db).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "metadata/db.h"

namespace berth {
class TempDir;
}

namespace berth::snapshot {

// The chain id of `diff_id` on top of `parent_chain` ("" for a base layer). Both are
// "sha256:<hex>"; the result is too.
std::string chain_id(const std::string& parent_chain, const std::string& diff_id);

class LayerStore {
 public:
  struct Layer {
    std::string chain_id;
    std::string diff_id;
    std::string parent;  // chain id of the parent; "" for a base layer
    int64_t dir = 0;     // layers/<dir>
    uint64_t size = 0;   // bytes of regular files in diff/
    int64_t refs = 0;
    std::string compressed_digest;  // "" when unknown
    int64_t created = 0;            // unix nanos
    std::string path;               // <root>/layers/<dir>/diff
  };

  // What reconcile() removed.
  struct Reconciled {
    uint64_t temp_dirs = 0;       // layers/.tmp-* of dead creators
    uint64_t orphan_dirs = 0;     // layers/<n> without a row
    uint64_t missing_layers = 0;  // rows whose diff dir is gone, plus their descendants
    uint64_t total() const { return temp_dirs + orphan_dirs + missing_layers; }
  };

  // Fills `diff_dir` (an empty directory) with the layer's files and returns the diff id it
  // computed ("sha256:<hex>" of the uncompressed tar stream).
  using Fill = std::function<Result<std::string>(const std::string& diff_dir)>;
  // A fill that knows what it wrote: the layer's size (bytes of regular files, each inode once)
  // and how many entries it has. The store then skips its own walk for the size, and makes a
  // small layer (kFsyncEntries entries or fewer) durable by fsyncing its files and directories
  // instead of syncing the whole file system (which waits for every process's dirty data).
  struct Filled {
    std::string diff_id;
    std::optional<uint64_t> size;
    std::optional<uint64_t> entries;
  };
  using FillSized = std::function<Result<Filled>(const std::string& diff_dir)>;
  static constexpr uint64_t kFsyncEntries = 64;

  // `root` is berth's root (layers live in root/layers); `db` must outlive the store.
  LayerStore(std::string root, metadata::Db& db);

  // nullopt when no layer has this chain id.
  Result<std::optional<Layer>> get(const std::string& chain_id);

  // Returns the layer for diff `expected_diff_id` on `parent_chain` ("" for a base layer), with
  // one reference held by the caller (see the model above).
  // - When expected_diff_id is given and the layer exists, fill is not called.
  // - Otherwise fill extracts into a temp dir; its diff id must be well-formed and equal
  //   expected_diff_id when one was given (kInvalidArgument "diff id mismatch: expected
  //   sha256:.., got sha256:.."); then the dir is synced, renamed to layers/<n> and the row is
  //   inserted in one transaction. Any failure (fill's error is returned with the context
  //   "extracting layer") leaves no directory and no row.
  // - kNotFound "parent layer sha256:.. not found" when parent_chain is not a layer.
  Result<Layer> create(const std::string& parent_chain, std::optional<std::string> expected_diff_id,
                       const Fill& fill, std::optional<std::string> compressed_digest = {});
  // The same with a fill that reports its size and entry count (see Filled).
  Result<Layer> create_sized(const std::string& parent_chain,
                             std::optional<std::string> expected_diff_id, const FillSized& fill,
                             std::optional<std::string> compressed_digest = {});

  // One more reference on an existing layer. kNotFound "layer sha256:.. not found".
  Status acquire(const std::string& chain_id);
  // One reference less; at 0 the layer is deleted and its parent released in turn.
  // kFailedPrecondition "layer sha256:.. has no references to release" when already at 0.
  Status release(const std::string& chain_id);

  // The diff paths of the chain ending at `chain_id`, top layer first (overlay lowerdir order).
  Result<std::vector<std::string>> lowerdirs(const std::string& chain_id);
  // All layers, by dir number.
  Result<std::vector<Layer>> list();

  // Removes temp dirs of dead creators, layer dirs without a row, and rows whose dir is missing
  // together with their descendants (a chain with a hole cannot be mounted). Refs held on removed
  // layers by images are lost: the image store must notice top layers that no longer exist.
  // For `system check` and startup.
  Result<Reconciled> reconcile();
  // Deletes every layer with refs == 0 (and so, cascading, parents left without holders).
  // Returns how many layers were deleted. For GC.
  Result<uint64_t> prune_unreferenced();

 private:
  Result<std::optional<Layer>> find(const std::string& chain_id);
  Result<std::optional<Layer>> take_existing(const std::string& chain_id,
                                             const std::optional<std::string>& compressed_digest);
  Result<Layer> insert_layer(const std::string& parent_chain, const std::string& diff_id,
                             TempDir& tmp, uint64_t size,
                             const std::optional<std::string>& compressed_digest);
  Result<int64_t> next_dir();
  Result<bool> has_children(const std::string& chain_id);
  Result<uint64_t> collect(std::string chain_id);
  Status drop_layer(const Layer& layer);
  Result<uint64_t> remove_missing(const std::vector<Layer>& all);
  Layer read_row(const metadata::Stmt& st) const;
  std::string dir_path(int64_t dir) const;

  std::string root_;
  std::string layers_dir_;
  metadata::Db& db_;
};

}  // namespace berth::snapshot
