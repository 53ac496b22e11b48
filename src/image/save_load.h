// `save` and `load`: images as docker-archive + OCI layout tarballs.
//
// `save` writes one archive that both formats read: blobs/sha256/<hex> (configs, uncompressed
// layers, OCI manifests), index.json and oci-layout (OCI image layout), manifest.json and
// repositories (docker-archive). `docker load`, `podman load` and `skopeo` (docker-archive: and
// oci-archive:) accept it. `load` reads docker-archive (legacy <id>/layer.tar or blobs/ layout)
// and OCI archives, verifying every blob against its digest and every layer against the config's
// diff ids before an image is recorded; nothing is recorded when any check fails.
#pragma once

#include <string>
#include <vector>

#include "image/store.h"

namespace berth::image {

struct SaveItem {
  ImageRecord image;
  std::vector<Reference> tags;  // the names to record for it; empty = saved by id
};

Status save_archive(Store& store, const std::vector<SaveItem>& items, int out_fd);

struct LoadedImage {
  ImageRecord image;
  std::vector<std::string> tags;  // familiar names
};

Result<std::vector<LoadedImage>> load_archive(Store& store, int in_fd);

}  // namespace berth::image
