#include "registry/pull.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <sys/stat.h>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/scope_exit.h"
#include "snapshot/layer_store.h"

namespace berth::registry {
namespace {

// Serializes progress events from the workers.
class Reporter {
 public:
  explicit Reporter(const ProgressFn& fn) : fn_(fn) {}
  void operator()(const std::string& id, const std::string& status, uint64_t cur = 0,
                  uint64_t total = 0) {
    if (!fn_) return;
    std::lock_guard lk(mu_);
    fn_({id, status, cur, total});
  }

 private:
  const ProgressFn& fn_;
  std::mutex mu_;
};

// A layer's state between its worker and the main thread.
struct Slot {
  bool done = false;
  std::optional<Error> error;
  std::optional<TempDir> tree;  // the layer extracted by the worker, under the store's tmp/
  std::string diff_id;          // what the extraction computed
};

}  // namespace

Result<FetchedManifest> resolve_manifest(Client& client, const std::string& repo,
                                         const std::string& reference, const Platform& platform,
                                         std::string* top_digest) {
  BERTH_ASSIGN_OR_RETURN(auto top, client.get_manifest(repo, reference));
  if (top_digest) *top_digest = top.digest;
  auto kind = classify_manifest(top.media_type, top.bytes);
  if (kind == ManifestKind::kImage) return top;
  if (kind != ManifestKind::kIndex)
    return invalid_argument("unsupported manifest media type \"" + top.media_type + "\"");
  BERTH_ASSIGN_OR_RETURN(auto index, oci::parse_index(top.bytes));
  auto chosen = choose_platform(index, platform);
  if (!chosen)
    return not_found("no matching manifest for " + platform.string() +
                     " in the manifest list entries");
  BERTH_TRY_CTX(content::validate_digest(chosen->digest), "index entry");
  BERTH_ASSIGN_OR_RETURN(auto m, client.get_manifest(repo, chosen->digest));
  if (classify_manifest(m.media_type, m.bytes) != ManifestKind::kImage)
    return invalid_argument("manifest " + chosen->digest + " of the index is not an image");
  return m;
}

Result<PullResult> pull_image(image::Store& store, Client& client, const image::Reference& ref,
                              const PullOptions& opts, const ProgressFn& progress) {
  Reporter report(progress);
  const std::string repo = ref.path;
  std::string reference = ref.has_digest() ? ref.digest->str() : ref.tag;
  PullResult out;
  BERTH_ASSIGN_OR_RETURN(auto fetched,
                         resolve_manifest(client, repo, reference, opts.platform, &out.digest));
  BERTH_ASSIGN_OR_RETURN(auto manifest, oci::parse_manifest(fetched.bytes));
  // Docker's first line, once the reference is known to exist.
  report("", reference + ": Pulling from " + repo);
  const std::string image_id = manifest.config.digest;
  // Digests from the registry end up in URLs and paths: only well-formed ones go further.
  BERTH_TRY_CTX(content::validate_digest(image_id), "config of " + ref.familiar_string());

  // Names to record: the tag (when pulled by tag) and name@digest.
  std::vector<image::Reference> tags;
  if (!ref.has_digest()) tags.push_back(image::with_default_tag(ref));
  std::string repo_digest = ref.name() + "@" + out.digest;

  auto existing = store.get(image_id);
  if (existing.ok() && !existing->top_layer.empty()) {
    auto top = store.layers().get(existing->top_layer);
    if (top.ok() && *top) {
      for (const auto& t : tags) BERTH_TRY(store.tag(image_id, t));
      BERTH_TRY(store.add_repo_digest(image_id, repo_digest));
      BERTH_ASSIGN_OR_RETURN(out.image, store.get(image_id));
      return out;
    }
  }

  BERTH_ASSIGN_OR_RETURN(std::string config_bytes, client.get_blob(repo, image_id));
  BERTH_ASSIGN_OR_RETURN(auto cfg, oci::parse_image_config(config_bytes));
  if (cfg.diff_ids.size() != manifest.layers.size())
    return invalid_argument("invalid image " + ref.familiar_string() + ": config lists " +
                            std::to_string(cfg.diff_ids.size()) + " layers, manifest " +
                            std::to_string(manifest.layers.size()));
  const size_t n = manifest.layers.size();
  std::vector<std::string> chains(n);
  std::vector<bool> have_layer(n, false), need_blob(n, false);
  for (size_t i = 0; i < n; ++i) {
    const auto& l = manifest.layers[i];
    if (!is_supported_layer(l.media_type))
      return invalid_argument("unsupported layer media type \"" + l.media_type + "\" of " +
                              l.digest);
    BERTH_TRY(content::validate_digest(l.digest));
    chains[i] = snapshot::chain_id(i ? chains[i - 1] : "", cfg.diff_ids[i]);
    BERTH_ASSIGN_OR_RETURN(auto layer, store.layers().get(chains[i]));
    have_layer[i] = layer.has_value();
  }
  // A layer already extracted needs no blob; below the first missing one every layer is reused.
  for (size_t i = 0; i < n; ++i) {
    std::string id = short_digest(manifest.layers[i].digest);
    if (have_layer[i]) {
      report(id, "Already exists");
    } else {
      need_blob[i] = !store.content().has(manifest.layers[i].digest);
      report(id, "Pulling fs layer");
    }
  }

  // Workers take layers in order; the main thread records each, in order, when it is ready.
  std::vector<Slot> slots(n);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<size_t> next{0};
  std::atomic<bool> cancel{false};
  content::ContentStore blobs = store.content();
  // Workers download a layer, then extract it into a directory of the store's tmp/ (same file
  // system as layers/), so layers extract in parallel; the main thread then moves each tree into
  // the layer store in chain order.
  const std::string tmp_root = store.tmp_dir();
  auto extract = [&](size_t i, Slot& slot) -> Status {
    const auto& d = manifest.layers[i];
    BERTH_ASSIGN_OR_RETURN(auto dir, TempDir::create(tmp_root, "pull-"));
    if (::chmod(dir.path().c_str(), 0755) < 0) return sys_error("chmod " + dir.path());
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, blobs.open_blob(d.digest));
    report(short_digest(d.digest), "Extracting", 0, static_cast<uint64_t>(d.size));
    auto res = archive::apply_layer(fd.get(), dir.path());
    if (!res.ok()) return std::move(res).error().context("extracting layer " + d.digest);
    slot.diff_id = res->diff_id;
    slot.tree = std::move(dir);
    return {};
  };
  auto worker = [&] {
    while (!cancel) {
      size_t i = next++;
      if (i >= n) return;
      std::optional<Error> err;
      Slot result;
      if (need_blob[i]) {
        const auto& d = manifest.layers[i];
        std::string id = short_digest(d.digest);
        uint64_t total = static_cast<uint64_t>(d.size);
        auto r = client.download_blob(repo, d, blobs, [&](uint64_t done) {
          report(id, "Downloading", done, total);
        });
        if (r.ok()) {
          report(id, "Verifying Checksum");
          report(id, "Download complete");
        } else {
          err = std::move(r).error();
        }
      } else if (!have_layer[i]) {
        // A verified blob the store kept from an earlier pull or push: nothing to fetch.
        report(short_digest(manifest.layers[i].digest), "Download complete");
      }
      if (!err && !have_layer[i] && !cancel) {
        auto st = extract(i, result);
        if (!st.ok()) err = std::move(st).error();
      }
      {
        std::lock_guard lk(mu);
        slots[i].done = true;
        slots[i].error = std::move(err);
        slots[i].tree = std::move(result.tree);
        slots[i].diff_id = result.diff_id;
      }
      cv.notify_all();
    }
  };
  size_t downloads = 0;
  for (size_t i = 0; i < n; ++i) downloads += !have_layer[i];
  std::vector<std::thread> workers;
  size_t nthreads = std::min<size_t>(static_cast<size_t>(std::max(opts.parallel, 1)),
                                     std::max<size_t>(downloads, 1));
  for (size_t t = 0; t < nthreads; ++t) workers.emplace_back(worker);
  ScopeExit join([&] {
    cancel = true;
    for (auto& w : workers) w.join();
  });

  std::string parent;
  ScopeExit release_parent([&] {
    if (!parent.empty()) (void)store.layers().release(parent);
  });
  for (size_t i = 0; i < n; ++i) {
    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return slots[i].done; });
      if (slots[i].error) return std::move(*slots[i].error);
    }
    const auto& d = manifest.layers[i];
    std::string id = short_digest(d.digest);
    Slot& slot = slots[i];
    auto fill = [&](const std::string& diff_dir) -> Result<std::string> {
      if (!slot.tree) {  // the layer existed when the pull started, then vanished (a prune)
        BERTH_ASSIGN_OR_RETURN(UniqueFd fd, store.content().open_blob(d.digest));
        BERTH_ASSIGN_OR_RETURN(auto res, archive::apply_layer(fd.get(), diff_dir));
        return res.diff_id;
      }
      // diff_dir is an empty directory: the extracted tree replaces it in one rename.
      if (::rename(slot.tree->path().c_str(), diff_dir.c_str()) < 0)
        return sys_error("rename " + slot.tree->path() + " to " + diff_dir);
      slot.tree->release();
      return slot.diff_id;
    };
    auto layer = store.layers().create(parent, cfg.diff_ids[i], fill, d.digest);
    if (!layer.ok()) return std::move(layer).error().context("layer " + d.digest);
    if (!parent.empty()) BERTH_TRY(store.layers().release(parent));
    parent = layer->chain_id;
    if (!have_layer[i]) report(id, "Pull complete");
  }

  // The manifest is kept so the image's manifest digest names a blob that exists.
  BERTH_TRY(store.content().put(fetched.bytes));
  image::Store::NewImage ni;
  ni.config_bytes = config_bytes;
  ni.top_layer = parent;
  ni.manifest_digest = fetched.digest;
  ni.tags = tags;
  parent.clear();  // add() takes the reference over
  BERTH_ASSIGN_OR_RETURN(auto rec, store.add(ni));
  BERTH_TRY(store.add_repo_digest(rec.id, repo_digest));
  BERTH_ASSIGN_OR_RETURN(out.image, store.get(rec.id));
  out.downloaded = true;
  return out;
}

}  // namespace berth::registry
