// The builder's internals, shared by build*.cc. Not a public interface.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "build/shell.h"
#include "engine/build.h"
#include "oci/image.h"

namespace berth::engine::buildimpl {

// A read-only view of a root file system made of layer dirs (overlay form, top first): what a
// container on those layers would see. Used to read files for COPY --from, to find where COPY
// writes, and to read /etc/passwd for --chown.
class LayerView {
 public:
  explicit LayerView(std::vector<std::string> lowers) : lowers_(std::move(lowers)) {}
  struct Entry {
    std::string host_path;
    struct stat st;
  };
  // The entry at `rel` ("a/b", no leading '/'); nullopt when absent or whited out.
  std::optional<Entry> find(const std::string& rel) const;
  // Names in the directory `rel`, merged across layers.
  std::vector<std::string> list(const std::string& rel) const;
  // `rel` with symlinks in its parents (and its last component when follow_last) resolved,
  // confined to the root as if it were "/".
  std::string resolve(const std::string& rel, bool follow_last) const;
  std::string read(const std::string& rel) const;  // "" when absent or not a regular file
  const std::vector<std::string>& lowers() const { return lowers_; }

 private:
  std::vector<std::string> lowers_;
};

struct CopyLinks;   // engine/build_link.h
struct LayerLinks;  // engine/build_link.h

struct CopyOptions {
  std::optional<uint32_t> uid, gid;          // --chown
  std::optional<mode_t> mode;                // --chmod
  // .dockerignore for copies from the context: the source paths it excludes are left out, except
  // the directories it still descends into (IgnoreMatcher::descend), copied with what is kept.
  const build::IgnoreMatcher* ignore = nullptr;
  CopyLinks* link = nullptr;  // a copy from the context into a layer: link and record files
  // A copy from layer files (COPY --from) into a layer: link what would be copied unchanged.
  // Never for a copy something may write to (a RUN's bind mount).
  LayerLinks* layer_links = nullptr;
};

// Copies the entry `rel` of `view` (a tree) to host path `dest`, which is `dest_rel` in the
// layer being made (for opts.link, which needs a view of one dir).
Status copy_tree(const LayerView& view, const std::string& rel, const std::string& dest,
                 const CopyOptions& opts, const std::string& dest_rel = "");

// Creates `rel`'s parent dirs under `staging`, each with the metadata it has in `view` (or 0755
// root when new), so a layer never changes a directory it merely passes through.
Status make_parents(const LayerView& view, const std::string& staging, const std::string& rel);

// ADD <url>: the body fetched into `dir` (following redirects, TLS checked with the system CAs),
// its sha256, the file name from the URL's path and the Last-Modified time (unix seconds) when
// the server sends one. `checksum` ("sha256:<hex>", ADD --checksum) must match, or nothing is
// kept. Errors: failed to load cache key: invalid response status 404, and the like.
struct Download {
  std::string path;
  std::string name;
  std::string digest;
  std::optional<int64_t> mtime;
};
Result<Download> download_url(const std::string& url, const std::string& dir,
                              const std::optional<std::string>& checksum);

// One build state: what the image would be if the stage ended here.
struct State {
  oci::ImageConfig cfg;
  std::string top_layer;  // chain id; "" = no layers
  std::string key;        // cache key chain
  build::Vars args;       // ARGs in scope, with values
  std::set<std::string> declared_args;
  std::vector<std::string> arg_order;  // the stage's ARG names, first declaration first
  int64_t time = 0;       // unix nanos for the next history entry
  std::string name;       // stage name for progress ("stage-0" or its AS name)
  bool done = false;
};

struct Stage {
  std::string name;  // lower case AS name, or ""
  int index = 0;
  std::vector<build::Instruction> ins;  // ins[0] is FROM
  State state;
  int last_step = 0;  // progress number of the step it began last (0: none)
};

}  // namespace berth::engine::buildimpl
