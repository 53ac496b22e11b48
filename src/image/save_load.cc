#include "image/save_load.h"

#include <sys/stat.h>

#include <map>
#include <set>

#include "archive/tar.h"
#include "base/fs.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "digest/digest.h"
#include "image/import.h"

namespace berth::image {
namespace {

using oci::Json;

std::string blob_path(const std::string& digest) {
  auto p = split_once(digest, ':');
  return "blobs/" + p.first + "/" + p.second;
}

Status add_blob(archive::TarWriter& w, Store& store, const std::string& digest,
                std::set<std::string>& written) {
  if (!written.insert(digest).second) return {};
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, store.content().open_blob(digest));
  BERTH_ASSIGN_OR_RETURN(uint64_t size, store.content().size(digest));
  return w.add_file_from_fd(blob_path(digest), fd.get(), size, 0644, 0);
}

}  // namespace

Status save_archive(Store& store, const std::vector<SaveItem>& items, int out_fd) {
  BERTH_ASSIGN_OR_RETURN(auto w, archive::TarWriter::open(out_fd, archive::Compression::kNone));
  std::set<std::string> written;
  Json manifest_json = Json::array();
  Json repositories = Json::object();
  oci::Index index;
  BERTH_TRY(w.add_dir("blobs", 0755, 0));
  BERTH_TRY(w.add_dir("blobs/sha256", 0755, 0));
  for (const auto& item : items) {
    const auto& img = item.image;
    BERTH_ASSIGN_OR_RETURN(auto cfg, oci::parse_image_config(img.config_bytes));
    BERTH_TRY(add_blob(w, store, img.id, written));
    oci::Manifest m;
    m.media_type = oci::kMediaTypeOciManifest;
    m.config = {oci::kMediaTypeOciConfig, img.id,
                static_cast<int64_t>(img.config_bytes.size()), {}, {}, {}, {}};
    Json layers = Json::array();
    for (const auto& diff : cfg.diff_ids) {
      BERTH_ASSIGN_OR_RETURN(std::string blob, store.uncompressed_layer_blob(diff));
      BERTH_ASSIGN_OR_RETURN(uint64_t size, store.content().size(blob));
      BERTH_TRY(add_blob(w, store, blob, written));
      m.layers.push_back({oci::kMediaTypeOciLayer, blob, static_cast<int64_t>(size), {}, {}, {}, {}});
      layers.push_back(blob_path(blob));
    }
    std::string mbytes = oci::serialize_manifest(m);
    std::string mdigest = digest::sha256_of(mbytes).str();
    if (written.insert(mdigest).second) BERTH_TRY(w.add_file(blob_path(mdigest), mbytes, 0644, 0));

    Json entry = Json::object();
    entry["Config"] = blob_path(img.id);
    Json tags = Json::array();
    for (const auto& t : item.tags) tags.push_back(t.familiar_string());
    entry["RepoTags"] = item.tags.empty() ? Json(nullptr) : tags;
    entry["Layers"] = layers;
    manifest_json.push_back(std::move(entry));

    oci::Descriptor d{oci::kMediaTypeOciManifest, mdigest, static_cast<int64_t>(mbytes.size()),
                      {}, {}, {}, {}};
    if (item.tags.empty()) index.manifests.push_back(d);
    for (const auto& t : item.tags) {
      oci::Descriptor td = d;
      td.annotations["io.containerd.image.name"] = t.string();
      td.annotations["org.opencontainers.image.ref.name"] = t.tag;
      index.manifests.push_back(td);
      if (!cfg.diff_ids.empty())
        repositories[t.familiar_name()][t.tag] = split_once(cfg.diff_ids.back(), ':').second;
    }
  }
  index.media_type = oci::kMediaTypeOciIndex;
  BERTH_TRY(w.add_file("index.json", oci::serialize_index(index), 0644, 0));
  BERTH_TRY(w.add_file("manifest.json", manifest_json.dump(), 0644, 0));
  BERTH_TRY(w.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0644, 0));
  if (!repositories.empty()) BERTH_TRY(w.add_file("repositories", repositories.dump(), 0644, 0));
  BERTH_TRY(w.finish());
  return {};
}

namespace {

// What the archive held: small JSON files by name, every other file as a verified blob.
struct Staged {
  std::map<std::string, std::string> small;  // name -> bytes
  std::map<std::string, std::string> blobs;  // name -> digest in the content store
};

std::string clean_name(std::string n) {
  while (n.rfind("./", 0) == 0) n = n.substr(2);
  while (!n.empty() && n.back() == '/') n.pop_back();
  return n;
}

bool is_metadata_name(const std::string& n) {
  return n == "manifest.json" || n == "index.json" || n == "oci-layout" || n == "repositories" ||
         (n.find('/') == std::string::npos && n.size() > 5 && n.substr(n.size() - 5) == ".json");
}

Result<Staged> stage(Store& store, int fd) {
  Staged s;
  std::map<std::string, std::string> links;
  BERTH_ASSIGN_OR_RETURN(auto r, archive::TarReader::open(fd));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(auto e, r.next());
    if (!e) break;
    std::string name = clean_name(e->name);
    if (e->type == archive::EntryType::kSymlink || e->type == archive::EntryType::kHardlink) {
      std::string target = e->type == archive::EntryType::kSymlink
                               ? path_join(dirname(name), e->linkname)
                               : e->linkname;
      links[name] = target;
      continue;
    }
    if (e->type != archive::EntryType::kFile) continue;
    if (is_metadata_name(name)) {
      if (e->size > (64u << 20)) return invalid_argument("invalid archive: " + name + " is too large");
      std::string data;
      BERTH_TRY(r.read_data([&](std::string_view c) -> Status {
        data.append(c);
        return {};
      }));
      s.small[name] = std::move(data);
      continue;
    }
    std::optional<std::string> expected;
    auto parts = split(name, '/');
    if (parts.size() == 3 && parts[0] == "blobs") expected = parts[1] + ":" + parts[2];
    BERTH_ASSIGN_OR_RETURN(auto w, store.content().writer());
    BERTH_TRY(r.read_data([&](std::string_view c) { return w.write(c); }));
    auto committed = w.commit(expected);
    if (!committed.ok()) return std::move(committed).error().context("archive member " + name);
    s.blobs[name] = *committed;
  }
  // Legacy archives link duplicate layers: `<id>/layer.tar -> ../<other>/layer.tar`.
  for (int round = 0; round < 8; ++round) {
    for (const auto& [from, to] : links) {
      std::string t = to;
      auto parts = split(t, '/');
      std::vector<std::string> norm;
      for (const auto& p : parts) {
        if (p == "..") {
          if (!norm.empty()) norm.pop_back();
        } else if (!p.empty() && p != ".") {
          norm.push_back(p);
        }
      }
      t = join(norm, "/");
      if (s.blobs.count(t)) s.blobs[from] = s.blobs[t];
    }
  }
  return s;
}

Result<std::string> member_bytes(Store& store, const Staged& s, const std::string& name) {
  std::string n = clean_name(name);
  if (auto it = s.small.find(n); it != s.small.end()) return it->second;
  if (auto it = s.blobs.find(n); it != s.blobs.end()) return store.content().read(it->second);
  return not_found("invalid archive: " + name + " is referenced but not in the archive");
}

// One image to record: its config, its layer blobs in order, and its names.
struct Pending {
  std::string config_bytes;
  std::vector<std::string> layer_blobs;
  std::string manifest_digest;
  std::vector<Reference> tags;
};

Result<std::vector<Pending>> from_docker_manifest(Store& store, const Staged& s) {
  Json j = Json::parse(s.small.at("manifest.json"), nullptr, false);
  if (j.is_discarded() || !j.is_array())
    return invalid_argument("invalid archive: manifest.json is not a JSON array");
  std::vector<Pending> out;
  for (const auto& item : j) {
    if (!item.is_object() || !item.contains("Config") || !item["Config"].is_string())
      return invalid_argument("invalid archive: manifest.json entry without Config");
    Pending p;
    BERTH_ASSIGN_OR_RETURN(p.config_bytes,
                           member_bytes(store, s, item["Config"].get<std::string>()));
    if (item.contains("Layers") && item["Layers"].is_array()) {
      for (const auto& l : item["Layers"]) {
        std::string n = clean_name(l.get<std::string>());
        auto it = s.blobs.find(n);
        if (it == s.blobs.end())
          return not_found("invalid archive: layer " + n + " is not in the archive");
        p.layer_blobs.push_back(it->second);
      }
    }
    if (item.contains("RepoTags") && item["RepoTags"].is_array()) {
      for (const auto& t : item["RepoTags"]) {
        BERTH_ASSIGN_OR_RETURN(auto ref, parse_normalized_named(t.get<std::string>()));
        p.tags.push_back(with_default_tag(ref));
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::string> blob_bytes(Store& store, const Staged& s, const std::string& digest) {
  return member_bytes(store, s, blob_path(digest));
}

Status collect_oci(Store& store, const Staged& s, const oci::Descriptor& d,
                   std::optional<Reference> name, std::vector<Pending>& out) {
  BERTH_ASSIGN_OR_RETURN(std::string bytes, blob_bytes(store, s, d.digest));
  if (d.media_type == oci::kMediaTypeOciIndex || d.media_type == oci::kMediaTypeDockerManifestList) {
    BERTH_ASSIGN_OR_RETURN(auto idx, oci::parse_index(bytes));
    for (const auto& m : idx.manifests) {
      // A multi-platform index: load the native platform's image.
      if (m.platform_arch && *m.platform_arch != oci::native_arch()) continue;
      if (m.platform_os && *m.platform_os != "linux") continue;
      return collect_oci(store, s, m, name, out);
    }
    return not_found("invalid archive: no image for linux/" + oci::native_arch() + " in " + d.digest);
  }
  BERTH_ASSIGN_OR_RETURN(auto m, oci::parse_manifest(bytes));
  Pending p;
  BERTH_ASSIGN_OR_RETURN(p.config_bytes, blob_bytes(store, s, m.config.digest));
  for (const auto& l : m.layers) {
    auto it = s.blobs.find(blob_path(l.digest));
    if (it == s.blobs.end())
      return not_found("invalid archive: layer " + l.digest + " is not in the archive");
    p.layer_blobs.push_back(it->second);
  }
  p.manifest_digest = d.digest;
  if (name) p.tags.push_back(*name);
  out.push_back(std::move(p));
  return {};
}

Result<std::vector<Pending>> from_oci_index(Store& store, const Staged& s) {
  BERTH_ASSIGN_OR_RETURN(auto idx, oci::parse_index(s.small.at("index.json")));
  std::vector<Pending> out;
  for (const auto& d : idx.manifests) {
    std::optional<Reference> name;
    for (const char* key : {"io.containerd.image.name", "org.opencontainers.image.ref.name"}) {
      auto it = d.annotations.find(key);
      if (it == d.annotations.end()) continue;
      auto ref = parse_normalized_named(it->second);
      // A bare tag ("latest") in ref.name names no repository: the image stays untagged.
      if (ref.ok() && (it->second.find('/') != std::string::npos ||
                       it->second.find(':') != std::string::npos)) {
        name = with_default_tag(*ref);
        break;
      }
    }
    BERTH_TRY(collect_oci(store, s, d, name, out));
  }
  return out;
}

// Makes sure each layer has an uncompressed blob and that it matches the config's diff id.
Result<std::vector<LayerBlob>> layer_blobs(Store& store, const Pending& p,
                                           const oci::ImageConfig& cfg) {
  if (cfg.diff_ids.size() != p.layer_blobs.size())
    return invalid_argument("invalid archive: config lists " +
                            std::to_string(cfg.diff_ids.size()) + " layers, manifest " +
                            std::to_string(p.layer_blobs.size()));
  std::vector<LayerBlob> out;
  for (size_t i = 0; i < p.layer_blobs.size(); ++i) {
    std::string blob = p.layer_blobs[i];
    if (blob != cfg.diff_ids[i]) {
      BERTH_ASSIGN_OR_RETURN(UniqueFd fd, store.content().open_blob(blob));
      BERTH_ASSIGN_OR_RETURN(blob, ingest_uncompressed(store, fd.get()));
      if (blob != cfg.diff_ids[i])
        return invalid_argument("invalid archive: layer " + std::to_string(i + 1) +
                                " has diff id " + blob + ", config says " + cfg.diff_ids[i]);
    }
    out.push_back({blob, cfg.diff_ids[i]});
  }
  return out;
}

}  // namespace

Result<std::vector<LoadedImage>> load_archive(Store& store, int in_fd) {
  BERTH_ASSIGN_OR_RETURN(Staged s, stage(store, in_fd));
  std::vector<Pending> pending;
  if (s.small.count("manifest.json")) {
    BERTH_ASSIGN_OR_RETURN(pending, from_docker_manifest(store, s));
  } else if (s.small.count("index.json")) {
    BERTH_ASSIGN_OR_RETURN(pending, from_oci_index(store, s));
  } else {
    return invalid_argument(
        "invalid archive: neither manifest.json (docker-archive) nor index.json (OCI) found");
  }
  // Verify and extract everything first; record images only when all of them are sound.
  std::vector<std::pair<Store::NewImage, std::vector<std::string>>> ready;
  size_t handed_over = 0;  // ready[i] for i < handed_over passed its layer reference to add()
  ScopeExit release_rest([&] {
    for (size_t i = handed_over; i < ready.size(); ++i)
      if (!ready[i].first.top_layer.empty()) (void)store.layers().release(ready[i].first.top_layer);
  });
  for (const auto& p : pending) {
    BERTH_ASSIGN_OR_RETURN(auto cfg, oci::parse_image_config(p.config_bytes));
    BERTH_ASSIGN_OR_RETURN(auto blobs, layer_blobs(store, p, cfg));
    BERTH_ASSIGN_OR_RETURN(std::string top, store.ensure_layers(blobs));
    Store::NewImage ni;
    ni.config_bytes = p.config_bytes;
    ni.top_layer = top;
    ni.manifest_digest = p.manifest_digest;
    ni.tags = p.tags;
    std::vector<std::string> names;
    for (const auto& t : p.tags) names.push_back(t.familiar_string());
    ready.emplace_back(std::move(ni), std::move(names));
  }
  std::vector<LoadedImage> out;
  for (auto& [ni, names] : ready) {
    ++handed_over;
    BERTH_ASSIGN_OR_RETURN(auto rec, store.add(ni));
    out.push_back({std::move(rec), std::move(names)});
  }
  return out;
}

}  // namespace berth::image
