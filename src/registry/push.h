// Push: an image from the store to a registry.
//
// Each layer is pushed as a compressed blob. The compressed blob recorded for the layer (a pulled
// layer's, or one made by an earlier push) is reused; only a layer known just uncompressed is
// gzip-compressed, once: its digest is then recorded as the layer's compressed digest, so the
// next push of any image using that layer sends the same bytes without compressing again.
// Blobs the registry has are skipped (HEAD); a blob the image was pulled with from another
// repository of the same registry is mounted from there; others are uploaded, several at once.
// Then the config, then the manifest (Docker schema2, or OCI when a layer is zstd), under the tag.
#pragma once

#include <string>

#include "image/reference.h"
#include "image/store.h"
#include "registry/client.h"
#include "registry/progress.h"

namespace berth::registry {

struct PushOptions {
  int parallel = 4;  // concurrent layer uploads
};

struct PushResult {
  std::string digest;  // the manifest's
  uint64_t size = 0;   // the manifest's bytes
  std::string manifest;
};

// `target` names the repository and tag (or digest-less reference with a tag) to push to.
Result<PushResult> push_image(image::Store& store, Client& client, const image::ImageRecord& img,
                              const image::Reference& target, const PushOptions& opts,
                              const ProgressFn& progress);

// The gzip of `in_fd`'s bytes (level 1: pushes are bound by time, not by registry disk), made on
// all cores and streamed into the content store; returns the committed digest.
Result<std::string> gzip_to_store(content::ContentStore& store, int in_fd);

}  // namespace berth::registry
