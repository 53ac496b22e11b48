// Pull: a remote image into the image store.
//
// The reference's manifest is fetched (an index chooses the platform), then the config, then the
// layers the store lacks: downloaded in parallel, each verified against its digest while it
// streams into the content store, and extracted in order as soon as each arrives, while later
// ones still download. The image is recorded (id = config digest, the compressed blob kept as
// each layer's source, the manifest kept as a blob) only after every layer exists; the tag and
// the repo digest (name@digest of what the reference resolved to) are recorded with it.
#pragma once

#include <string>

#include "image/reference.h"
#include "image/store.h"
#include "registry/client.h"
#include "registry/media.h"
#include "registry/progress.h"

namespace berth::registry {

struct PullOptions {
  Platform platform = native_platform();
  int parallel = 4;  // concurrent layer downloads
};

struct PullResult {
  image::ImageRecord image;
  std::string digest;       // what the reference resolved to: the index's or manifest's digest
  bool downloaded = false;  // false: the store already had the image ("Image is up to date")
};

// Events: "<tag or digest>: Pulling from <repo>" (no id) once the manifest is resolved, then
// per layer "Already exists" | "Pulling fs layer", "Downloading" (with bytes), "Verifying
// Checksum", "Download complete", "Extracting", "Pull complete".
Result<PullResult> pull_image(image::Store& store, Client& client, const image::Reference& ref,
                              const PullOptions& opts, const ProgressFn& progress);

// The manifest of a single image for `platform`, resolving an index. Returns the image manifest
// and, in top_digest, the digest of what `reference` named. Docker's "no matching manifest for
// linux/arm64 in the manifest list entries" when an index lacks the platform.
Result<FetchedManifest> resolve_manifest(Client& client, const std::string& repo,
                                         const std::string& reference, const Platform& platform,
                                         std::string* top_digest);

}  // namespace berth::registry
