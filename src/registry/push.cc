#include "registry/push.h"

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "archive/archive.h"
#include "archive/parallel_gzip.h"
#include "base/strings.h"
#include "digest/digest.h"

namespace berth::registry {
namespace {

using Json = oci::Json;

struct LayerPlan {
  std::string diff_id;
  std::string blob;        // compressed blob to push; "" until compressed
  std::string source;      // uncompressed blob to compress when blob is ""
  std::string media_type;
  uint64_t size = 0;
  std::string mounted_from;
  std::string status;      // final line: "Pushed", "Layer already exists", "Mounted from x"
};

archive::Compression blob_compression(content::ContentStore& cs, const std::string& digest) {
  auto fd = cs.open_blob(digest);
  if (!fd.ok()) return archive::Compression::kNone;
  char buf[16];
  ssize_t n = ::pread(fd->get(), buf, sizeof buf, 0);
  if (n <= 0) return archive::Compression::kNone;
  return archive::detect_compression(std::string_view(buf, static_cast<size_t>(n)));
}

// The compressed blob recorded for a layer, if one is in the store.
Result<std::optional<std::pair<std::string, archive::Compression>>> recorded_blob(
    image::Store& store, const std::string& diff_id) {
  BERTH_ASSIGN_OR_RETURN(auto st, store.db().query(
      "SELECT DISTINCT compressed_digest FROM layers WHERE diff_id = ?1 AND "
      "compressed_digest IS NOT NULL",
      diff_id));
  std::optional<std::pair<std::string, archive::Compression>> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    std::string d = st.col_text(0);
    if (!store.content().has(d)) continue;
    auto c = blob_compression(store.content(), d);
    if (c == archive::Compression::kGzip || c == archive::Compression::kZstd) {
      // gzip first: every registry and client takes it.
      if (!out || (c == archive::Compression::kGzip && out->second != c))
        out = std::make_pair(d, c);
    }
  }
  return out;
}

// Repositories of the same registry the image came from or went to: mount sources.
std::vector<std::string> mount_sources(const image::ImageRecord& img,
                                       const image::Reference& target) {
  std::vector<std::string> out;
  for (const auto& names : {img.repo_digests, img.tags}) {
    for (const auto& n : names) {
      auto r = image::parse_normalized_named(n);
      if (!r.ok() || r->domain != target.domain || r->path == target.path) continue;
      if (std::find(out.begin(), out.end(), r->path) == out.end()) out.push_back(r->path);
    }
  }
  return out;
}

}  // namespace

Result<std::string> gzip_to_store(content::ContentStore& store, int in_fd) {
  BERTH_ASSIGN_OR_RETURN(auto w, store.writer());
  // On all cores, pigz-style (archive/parallel_gzip.h): the bytes do not depend on the core count.
  BERTH_TRY(archive::gzip_fd(in_fd, [&](std::string_view s) { return w.write(s); }, 1));
  return w.commit();
}

Result<PushResult> push_image(image::Store& store, Client& client, const image::ImageRecord& img,
                              const image::Reference& target, const PushOptions& opts,
                              const ProgressFn& progress) {
  std::mutex report_mu;
  auto report = [&](const std::string& id, const std::string& status, uint64_t cur = 0,
                    uint64_t total = 0) {
    if (!progress) return;
    std::lock_guard lk(report_mu);
    progress({id, status, cur, total});
  };
  const std::string repo = target.path;
  BERTH_ASSIGN_OR_RETURN(auto cfg, oci::parse_image_config(img.config_bytes));
  content::ContentStore blobs = store.content();

  // Plan each layer from the db (main thread: the Store is single-threaded).
  std::vector<LayerPlan> plan(cfg.diff_ids.size());
  bool zstd = false;
  for (size_t i = 0; i < plan.size(); ++i) {
    auto& p = plan[i];
    p.diff_id = cfg.diff_ids[i];
    BERTH_ASSIGN_OR_RETURN(auto rec, recorded_blob(store, p.diff_id));
    if (rec) {
      p.blob = rec->first;
      zstd |= rec->second == archive::Compression::kZstd;
      p.media_type = rec->second == archive::Compression::kZstd ? oci::kMediaTypeOciLayerZstd
                                                                 : "gzip";
    } else {
      BERTH_ASSIGN_OR_RETURN(p.source, store.uncompressed_layer_blob(p.diff_id));
      p.media_type = "gzip";
    }
  }
  // Docker lists layers top first.
  for (size_t i = plan.size(); i-- > 0;) report(short_digest(plan[i].diff_id), "Preparing");

  auto sources = mount_sources(img, target);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex err_mu;
  std::optional<Error> first_error;
  auto push_one = [&](LayerPlan& p) -> Status {
    std::string id = short_digest(p.diff_id);
    if (p.blob.empty()) {
      BERTH_ASSIGN_OR_RETURN(UniqueFd in, blobs.open_blob(p.source));
      BERTH_ASSIGN_OR_RETURN(p.blob, gzip_to_store(blobs, in.get()));
    }
    BERTH_ASSIGN_OR_RETURN(p.size, blobs.size(p.blob));
    BERTH_ASSIGN_OR_RETURN(bool has, client.has_blob(repo, p.blob));
    if (has) {
      p.status = "Layer already exists";
      report(id, p.status);
      return {};
    }
    for (const auto& from : sources) {
      BERTH_ASSIGN_OR_RETURN(bool mounted, client.mount_blob(repo, p.blob, from));
      if (mounted) {
        p.status = "Mounted from " + from;
        report(id, p.status);
        return {};
      }
      break;  // the registry opened an upload session instead: use it
    }
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, blobs.open_blob(p.blob));
    BERTH_TRY(client.upload_blob(repo, p.blob, fd.get(), p.size, [&](uint64_t done) {
      report(id, "Pushing", done, p.size);
    }));
    p.status = "Pushed";
    report(id, p.status);
    return {};
  };
  auto worker = [&] {
    while (!failed) {
      size_t i = next++;
      if (i >= plan.size()) return;
      auto st = push_one(plan[i]);
      if (!st.ok()) {
        std::lock_guard lk(err_mu);
        if (!first_error) first_error = std::move(st).error();
        failed = true;
      }
    }
  };
  {
    std::vector<std::thread> workers;
    size_t nthreads = std::min<size_t>(static_cast<size_t>(std::max(opts.parallel, 1)),
                                       std::max<size_t>(plan.size(), 1));
    for (size_t t = 0; t < nthreads; ++t) workers.emplace_back(worker);
    for (auto& w : workers) w.join();
  }
  // Remember what was compressed, even when a later upload failed: the next push reuses it.
  for (const auto& p : plan) {
    if (p.source.empty() || p.blob.empty()) continue;
    BERTH_ASSIGN_OR_RETURN(auto st, store.db().prepare(
        "UPDATE layers SET compressed_digest = ?1 WHERE diff_id = ?2"));
    st.bind(1, p.blob).bind(2, p.diff_id);
    BERTH_TRY(st.step());
  }
  if (first_error) return std::move(*first_error);

  // The config.
  BERTH_ASSIGN_OR_RETURN(bool has_config, client.has_blob(repo, img.id));
  if (!has_config) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, blobs.open_blob(img.id));
    BERTH_TRY(client.upload_blob(repo, img.id, fd.get(), img.config_bytes.size()));
  }

  // The manifest, serialized as Docker does (3-space indent), so sizes match docker push's.
  Json m = Json::object();
  m["schemaVersion"] = 2;
  m["mediaType"] = zstd ? oci::kMediaTypeOciManifest : oci::kMediaTypeDockerManifest;
  Json c = Json::object();
  c["mediaType"] = zstd ? oci::kMediaTypeOciConfig : oci::kMediaTypeDockerConfig;
  c["size"] = img.config_bytes.size();
  c["digest"] = img.id;
  m["config"] = c;
  Json layers = Json::array();
  for (const auto& p : plan) {
    Json l = Json::object();
    std::string mt = p.media_type;
    if (mt == "gzip") mt = zstd ? oci::kMediaTypeOciLayerGzip : oci::kMediaTypeDockerLayerGzip;
    l["mediaType"] = mt;
    l["size"] = p.size;
    l["digest"] = p.blob;
    layers.push_back(l);
  }
  m["layers"] = layers;
  PushResult out;
  out.manifest = m.dump(3);
  std::string ref = target.has_tag() ? target.tag : std::string(image::kDefaultTag);
  BERTH_ASSIGN_OR_RETURN(out.digest, client.put_manifest(repo, ref,
                                                         m["mediaType"].get<std::string>(),
                                                         out.manifest));
  out.size = out.manifest.size();
  return out;
}

}  // namespace berth::registry
