// Image operations with Docker's semantics: listing and its filters, tag, rmi, inspect, history,
// prune, import.
#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>

#include "base/strings.h"
#include "engine/engine.h"
#include "format/units.h"
#include "image/reference.h"

namespace berth::engine {
namespace {

using image::ImageRecord;

struct Filters {
  std::optional<bool> dangling;
  std::vector<std::string> labels;      // "k" or "k=v"
  std::vector<std::string> references;  // glob patterns
  std::optional<int64_t> before, since;  // created, unix nanos
  std::optional<int64_t> until;          // prune only
};

bool parse_bool(const std::string& v, bool& out) {
  std::string l = to_lower(v);
  if (l == "true" || l == "1") { out = true; return true; }
  if (l == "false" || l == "0") { out = false; return true; }
  return false;
}

Result<Filters> parse_filters(Engine& e, const std::vector<std::string>& raw, bool prune) {
  Filters f;
  for (const auto& item : raw) {
    auto kv = split_once(item, '=');
    if (!kv.found) return invalid_argument("bad format of filter (expected name=value)");
    const std::string& k = kv.first;
    if (k == "dangling") {
      bool b;
      if (!parse_bool(kv.second, b))
        return invalid_argument("Invalid filter 'dangling=" + kv.second + "'");
      f.dangling = b;
    } else if (k == "label") {
      f.labels.push_back(kv.second);
    } else if (k == "reference" && !prune) {
      f.references.push_back(kv.second);
    } else if ((k == "before" || k == "since") && !prune) {
      BERTH_ASSIGN_OR_RETURN(auto img, e.store().resolve(kv.second));
      (k == "before" ? f.before : f.since) = img.created;
    } else if (k == "until" && prune) {
      auto ts = format::parse_rfc3339_nano(kv.second);
      if (ts.ok()) {
        f.until = *ts;
      } else {
        auto ms = format::parse_go_duration_ms(kv.second);
        if (!ms.ok()) return invalid_argument("invalid filter 'until=" + kv.second + "'");
        f.until = image::now_nanos() - *ms * 1000000;
      }
    } else {
      return invalid_argument("invalid filter '" + k + "'");
    }
  }
  return f;
}

bool labels_match(const oci::ImageConfig& cfg, const std::vector<std::string>& want) {
  for (const auto& l : want) {
    auto kv = split_once(l, '=');
    auto it = cfg.config.labels.find(kv.first);
    if (it == cfg.config.labels.end()) return false;
    if (kv.found && it->second != kv.second) return false;
  }
  return true;
}

// Docker matches reference filters against the familiar name, with and without the tag.
bool reference_matches(const std::string& full_ref, const std::string& pattern) {
  auto ref = image::parse_normalized_named(full_ref);
  if (!ref.ok()) return false;
  std::string name = ref->familiar_name();
  std::string with_tag = ref->familiar_string();
  return ::fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0 ||
         ::fnmatch(pattern.c_str(), with_tag.c_str(), FNM_PATHNAME) == 0;
}

// The positional `images REPOSITORY[:TAG]` argument: an exact repository, optionally a tag.
Result<std::string> positional_pattern(const std::string& arg) {
  auto ref = image::parse_normalized_named(arg);
  if (!ref.ok()) return std::move(ref).error();
  std::string p = ref->familiar_name();
  if (ref->has_tag()) p += ":" + ref->tag;
  return p;
}

}  // namespace

Result<ImageList> Engine::list_images(const ListImagesOptions& opts) {
  BERTH_ASSIGN_OR_RETURN(Filters f, parse_filters(*this, opts.filters, false));
  if (!opts.reference.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto p, positional_pattern(opts.reference));
    f.references.push_back(p);
  }
  BERTH_ASSIGN_OR_RETURN(auto all, store_->list());
  std::set<std::string> parents;
  for (const auto& img : all)
    if (!img.parent.empty()) parents.insert(img.parent);

  ImageList out;
  for (auto& img : all) {
    bool untagged = img.tags.empty() && img.repo_digests.empty();
    // Intermediate images (untagged parents of other images) only appear with -a.
    if (!opts.all && untagged && parents.count(img.id)) continue;
    if (f.dangling && *f.dangling != (img.tags.empty() && !parents.count(img.id))) continue;
    if (f.before && img.created >= *f.before) continue;
    if (f.since && img.created <= *f.since) continue;
    if (!f.labels.empty()) {
      auto cfg = oci::parse_image_config(img.config_bytes);
      if (!cfg.ok() || !labels_match(*cfg, f.labels)) continue;
    }
    if (!f.references.empty()) {
      std::vector<std::string> keep;
      for (const auto& t : img.tags)
        for (const auto& p : f.references)
          if (reference_matches(t, p)) { keep.push_back(t); break; }
      if (keep.empty()) continue;
      img.tags = keep;
    }
    out.images.push_back(std::move(img));
  }
  for (const auto& img : out.images) {
    // Group tags and digests by repository, as Docker's formatter does.
    std::map<std::string, std::vector<std::string>> tags, digests;
    for (const auto& t : img.tags) {
      auto r = image::parse_normalized_named(t);
      if (r.ok()) tags[r->familiar_name()].push_back(r->tag);
    }
    for (const auto& d : img.repo_digests) {
      auto r = image::parse_normalized_named(d);
      if (r.ok() && r->digest) digests[r->familiar_name()].push_back(r->digest->str());
    }
    if (tags.empty() && digests.empty()) {
      out.rows.push_back({&img, "<none>", "<none>", "<none>"});
      continue;
    }
    for (const auto& [repo, ds] : digests)
      if (!tags.count(repo))
        for (const auto& d : ds) out.rows.push_back({&img, repo, "<none>", d});
    for (const auto& [repo, ts] : tags) {
      std::string dg = "<none>";
      if (auto it = digests.find(repo); it != digests.end() && it->second.size() == 1)
        dg = it->second.front();
      for (const auto& t : ts) out.rows.push_back({&img, repo, t, dg});
    }
  }
  // Rows of one image stay together; images are newest first (the store's order).
  return out;
}

Result<ImageRecord> Engine::import_image(int fd, const image::ImportOptions& opts,
                                         const std::string& reference) {
  std::optional<image::Reference> ref;
  if (!reference.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto r, image::parse_normalized_named(reference));
    if (r.has_digest()) return invalid_argument("cannot import digest reference");
    ref = image::with_default_tag(r);
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_store(false));
  BERTH_ASSIGN_OR_RETURN(auto img, image::import_tarball(*store_, fd, opts));
  if (ref) {
    BERTH_TRY(store_->tag(img.id, *ref));
    return store_->get(img.id);
  }
  return img;
}

Status Engine::tag_image(std::string_view source, std::string_view target) {
  BERTH_ASSIGN_OR_RETURN(auto img, store_->resolve(source));
  BERTH_ASSIGN_OR_RETURN(auto ref, image::parse_normalized_named(target));
  if (ref.has_digest()) return invalid_argument("refusing to create a tag with a digest reference");
  BERTH_TRY(store_->tag(img.id, image::with_default_tag(ref)));
  return {};
}

Result<std::vector<DeleteEvent>> Engine::remove_image(std::string_view name, bool force,
                                                      bool prune_parents) {
  BERTH_ASSIGN_OR_RETURN(auto img, store_->resolve(name));
  std::vector<DeleteEvent> events;
  std::string given(name);
  // Docker treats the argument as an id when it is a prefix of the image's id.
  std::string hex = given.rfind("sha256:", 0) == 0 ? given.substr(7) : given;
  bool by_id = image::could_be_id_prefix(given) && img.id.compare(7, hex.size(), hex) == 0;
  if (by_id) {
    // Docker: an id naming an image in several repositories needs -f.
    std::set<std::string> repos;
    for (const auto& t : img.tags) {
      auto r = image::parse_normalized_named(t);
      if (r.ok()) repos.insert(r->name());
    }
    if (repos.size() > 1 && !force)
      return conflict("conflict: unable to delete " + img.short_id() +
                      " (must be forced) - image is referenced in multiple repositories");
  }
  // Containers keep their image: a running one always, a stopped one unless forced.
  const ContainerRecord* user = nullptr;
  BERTH_ASSIGN_OR_RETURN(auto containers, list_containers());
  for (const auto& c : containers)
    if (c.image_id == img.id && (!user || c.state == "running")) user = &c;
  if (by_id && user) {
    if (user->state == "running")
      return conflict("conflict: unable to delete " + img.short_id() +
                      " (cannot be forced) - image is being used by running container " +
                      user->id.substr(0, 12));
    if (!force)
      return conflict("conflict: unable to delete " + img.short_id() +
                      " (must be forced) - image is being used by stopped container " +
                      user->id.substr(0, 12));
  }
  if (!by_id) {
    BERTH_ASSIGN_OR_RETURN(auto ref, image::parse_docker_ref(given));
    if (user && !force && img.tags.size() <= 1)
      return conflict("conflict: unable to remove repository reference \"" + given +
                      "\" (must force) - container " + user->id.substr(0, 12) +
                      " is using its referenced image " + img.short_id());
    std::string key = ref.has_digest() ? ref.name() + "@" + ref.digest->str() : ref.string();
    BERTH_TRY(store_->untag(key));
    events.push_back({"Untagged", ref.familiar_string()});
    BERTH_ASSIGN_OR_RETURN(img, store_->get(img.id));
    // Other tags keep the image alive; digest references of the same repository go with it.
    if (!img.tags.empty()) return events;
  }
  BERTH_ASSIGN_OR_RETURN(auto kids, store_->children(img.id));
  if (!kids.empty())
    return conflict("conflict: unable to delete " + img.short_id() +
                    " (cannot be forced) - image has dependent child images");
  for (const auto& t : img.tags) events.push_back({"Untagged", familiar(t)});
  for (const auto& d : img.repo_digests) events.push_back({"Untagged", familiar(d)});
  std::string parent = img.parent;
  BERTH_TRY(store_->delete_image(img.id));
  events.push_back({"Deleted", img.id});
  // Untagged parents left without children go too, as Docker's rmi does unless --no-prune.
  while (prune_parents && !parent.empty()) {
    auto p = store_->get(parent);
    if (!p.ok() || !p->tags.empty() || !p->repo_digests.empty()) break;
    BERTH_ASSIGN_OR_RETURN(auto pk, store_->children(p->id));
    if (!pk.empty()) break;
    parent = p->parent;
    BERTH_TRY(store_->delete_image(p->id));
    events.push_back({"Deleted", p->id});
  }
  return events;
}

Result<Json> Engine::inspect_image(std::string_view name) {
  BERTH_ASSIGN_OR_RETURN(auto img, store_->resolve(name));
  BERTH_ASSIGN_OR_RETURN(auto cfg, oci::parse_image_config(img.config_bytes));
  Json j = Json::object();
  j["Id"] = img.id;
  Json tags = Json::array(), digests = Json::array();
  for (const auto& t : img.tags) tags.push_back(familiar(t));
  for (const auto& d : img.repo_digests) digests.push_back(familiar(d));
  j["RepoTags"] = tags;
  j["RepoDigests"] = digests;
  j["Parent"] = img.parent;
  j["Comment"] = cfg.comment;
  j["Created"] = cfg.created.empty() ? "0001-01-01T00:00:00Z" : cfg.created;
  j["Container"] = "";
  // Docker's classic builder filled ContainerConfig; BuildKit leaves it empty, which breaks old
  // scripts (`inspect --format '{{.ContainerConfig.Labels}}'`). berth mirrors Config there.
  j["ContainerConfig"] = oci::run_config_to_docker_json(cfg.container_config.value_or(cfg.config));
  j["DockerVersion"] = cfg.docker_version;
  j["Author"] = cfg.author;
  j["Config"] = oci::run_config_to_docker_json(cfg.config);
  j["Architecture"] = cfg.architecture;
  if (!cfg.variant.empty()) j["Variant"] = cfg.variant;
  j["Os"] = cfg.os;
  j["Size"] = img.size;
  j["VirtualSize"] = img.size;
  Json gd = Json::object();
  if (!img.top_layer.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto dirs, store_->layers().lowerdirs(img.top_layer));
    Json data = Json::object();
    if (dirs.size() > 1)
      data["LowerDir"] = join(std::vector<std::string>(dirs.begin() + 1, dirs.end()), ":");
    data["UpperDir"] = dirs.front();
    gd["Data"] = data;
  } else {
    gd["Data"] = nullptr;
  }
  gd["Name"] = "overlay2";
  j["GraphDriver"] = gd;
  j["RootFS"] = {{"Type", "layers"}, {"Layers", cfg.diff_ids}};
  j["Metadata"] = {{"LastTagTime", img.tags.empty() ? "0001-01-01T00:00:00Z"
                                                    : format::format_rfc3339_nano(img.loaded_at)}};
  return j;
}

Result<std::vector<HistoryRow>> Engine::history(std::string_view name) {
  BERTH_ASSIGN_OR_RETURN(auto img, store_->resolve(name));
  BERTH_ASSIGN_OR_RETURN(auto cfg, oci::parse_image_config(img.config_bytes));
  BERTH_ASSIGN_OR_RETURN(auto chain, store_->chain(img));
  std::vector<uint64_t> sizes;
  for (const auto& c : chain) {
    BERTH_ASSIGN_OR_RETURN(auto l, store_->layers().get(c));
    sizes.push_back(l ? l->size : 0);
  }
  // Entries that end a local parent image show that image's id, as Docker does.
  std::map<size_t, std::string> ids;
  ids[cfg.history.size()] = img.id;
  for (std::string p = img.parent; !p.empty();) {
    auto pi = store_->get(p);
    if (!pi.ok()) break;
    auto pc = oci::parse_image_config(pi->config_bytes);
    if (pc.ok()) ids[pc->history.size()] = pi->id;
    p = pi->parent;
  }
  std::vector<HistoryRow> rows;
  size_t layer = 0;
  for (size_t i = 0; i < cfg.history.size(); ++i) {
    const auto& h = cfg.history[i];
    HistoryRow r;
    r.id = ids.count(i + 1) ? ids[i + 1] : "<missing>";
    if (!h.created.empty()) {
      auto t = format::parse_rfc3339_nano(h.created);
      if (t.ok()) r.created = *t;
    }
    r.created_by = h.created_by;
    r.comment = h.comment;
    if (!h.empty_layer && layer < sizes.size()) r.size = sizes[layer++];
    rows.push_back(std::move(r));
  }
  std::reverse(rows.begin(), rows.end());
  return rows;
}

Result<PruneReport> Engine::prune_images(bool all, const std::vector<std::string>& filters) {
  BERTH_ASSIGN_OR_RETURN(Filters f, parse_filters(*this, filters, true));
  PruneReport rep;
  // Children first, so parents become removable in the same pass.
  bool progress = true;
  std::set<std::string> done;
  while (progress) {
    progress = false;
    BERTH_ASSIGN_OR_RETURN(auto imgs, store_->list());
    std::set<std::string> parents;
    for (const auto& i : imgs)
      if (!i.parent.empty()) parents.insert(i.parent);
    for (const auto& img : imgs) {
      if (parents.count(img.id) || done.count(img.id)) continue;
      if (!all && !img.tags.empty()) continue;
      if (f.until && img.created >= *f.until) continue;
      if (!f.labels.empty()) {
        auto cfg = oci::parse_image_config(img.config_bytes);
        if (!cfg.ok() || !labels_match(*cfg, f.labels)) continue;
      }
      for (const auto& t : img.tags) rep.events.push_back({"untagged", familiar(t)});
      for (const auto& d : img.repo_digests) rep.events.push_back({"untagged", familiar(d)});
      BERTH_TRY(store_->delete_image(img.id));
      rep.events.push_back({"deleted", img.id});
      rep.reclaimed += img.size;
      done.insert(img.id);
      progress = true;
    }
  }
  BERTH_TRY(collect_garbage());
  return rep;
}

}  // namespace berth::engine
