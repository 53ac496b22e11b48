// Volumes as the engine sees them: which containers use which volume, the volume commands, and
// the mounts of a new container (-v, --mount, the image's VOLUMEs).
#include <dirent.h>

#include <set>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "engine/engine.h"
#include "engine/rootfs.h"
#include "format/units.h"

namespace berth::engine {
namespace {

// Volume names in a container record's Mounts.
std::vector<std::string> volume_names(const ContainerRecord& c, bool anonymous_only) {
  std::vector<std::string> out;
  Json conf = Json::parse(c.config, nullptr, false);
  if (conf.is_discarded() || !conf.contains("Mounts")) return out;
  for (const auto& m : conf["Mounts"]) {
    if (m.value("Type", "") != "volume") continue;
    if (anonymous_only && !m.value("Anonymous", false)) continue;
    out.push_back(m.value("Name", ""));
  }
  return out;
}

bool matches_filters(const VolumeRow& row, const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    auto [key, val, key_found_] = split_once(f, '=');
    if (key == "label") {
      auto [lk, lv, lk_found_] = split_once(val, '=');
      auto it = row.volume.labels.find(lk);
      if (it == row.volume.labels.end()) return false;
      if (val.find('=') != std::string::npos && it->second != lv) return false;
    } else if (key == "name") {
      if (row.volume.name.find(val) == std::string::npos) return false;
    } else if (key == "dangling") {
      bool want = val == "true" || val == "1";
      if (want != row.containers.empty()) return false;
    } else if (key == "driver") {
      if (row.volume.driver != val) return false;
    }
  }
  return true;
}

Status check_filters(const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    auto [key, val, key_found_] = split_once(f, '=');
    if (key != "label" && key != "name" && key != "dangling" && key != "driver")
      return invalid_argument("invalid filter '" + key + "'");
  }
  return ok_status();
}

}  // namespace

std::string Engine::path_join_root(const std::string& rel) const {
  return path_join(opts_.root, rel);
}

Result<Volume> Engine::create_volume(const std::string& name,
                                     const std::map<std::string, std::string>& labels,
                                     const std::map<std::string, std::string>& options) {
  BERTH_ASSIGN_OR_RETURN(auto lock, lock_store(false));
  return volume_store().create(name, labels, options);
}

Result<std::vector<VolumeRow>> Engine::list_volumes() {
  BERTH_ASSIGN_OR_RETURN(auto vols, volume_store().list());
  BERTH_ASSIGN_OR_RETURN(auto containers, list_containers());
  std::map<std::string, std::vector<std::string>> users;
  for (const auto& c : containers)
    for (const auto& n : volume_names(c, false)) users[n].push_back(c.id);
  std::vector<VolumeRow> out;
  for (auto& v : vols) {
    VolumeRow row;
    row.containers = users[v.name];
    row.volume = std::move(v);
    out.push_back(std::move(row));
  }
  return out;
}

Result<Json> Engine::inspect_volume(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(auto v, volume_store().get(name));
  Json j = Json::object();
  j["CreatedAt"] = format::format_rfc3339_nano(v.created - v.created % 1000000000);
  j["Driver"] = v.driver;
  j["Labels"] = v.labels.empty() ? Json(nullptr) : Json(v.labels);
  j["Mountpoint"] = v.mountpoint;
  j["Name"] = v.name;
  j["Options"] = v.options.empty() ? Json(nullptr) : Json(v.options);
  j["Scope"] = "local";
  return j;
}

Status Engine::remove_volume(const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(auto lock, lock_store(false));
  BERTH_ASSIGN_OR_RETURN(auto rows, list_volumes());
  for (const auto& r : rows) {
    if (r.volume.name != name) continue;
    if (!r.containers.empty())
      return conflict("remove " + name + ": volume is in use - [" + join(r.containers, ", ") + "]");
    return volume_store().remove(name);
  }
  return not_found("get " + name + ": no such volume");
}

Result<PruneReport> Engine::prune_volumes(bool all, const std::vector<std::string>& filters) {
  BERTH_TRY(check_filters(filters));
  BERTH_ASSIGN_OR_RETURN(auto lock, lock_store(false));
  BERTH_ASSIGN_OR_RETURN(auto rows, list_volumes());
  PruneReport rep;
  for (const auto& r : rows) {
    if (!r.containers.empty() || (!all && !r.volume.anonymous())) continue;
    if (!matches_filters(r, filters)) continue;
    auto size = berth::disk_usage(r.volume.mountpoint);
    BERTH_TRY(volume_store().remove(r.volume.name));
    rep.events.push_back({"Deleted", r.volume.name});
    if (size.ok()) rep.reclaimed += *size;
  }
  return rep;
}

Status Engine::remove_anonymous_volumes(const ContainerRecord& c) {
  std::vector<std::string> mine = volume_names(c, true);
  if (mine.empty()) return ok_status();
  BERTH_ASSIGN_OR_RETURN(auto rows, list_volumes());
  for (const auto& r : rows) {
    if (std::find(mine.begin(), mine.end(), r.volume.name) == mine.end()) continue;
    bool others = false;
    for (const auto& id : r.containers) others |= id != c.id;
    if (others) continue;
    auto st = volume_store().remove(r.volume.name);
    if (!st.ok()) spdlog::warn("removing volume {}: {}", r.volume.name, st.error().message());
  }
  return ok_status();
}

Status Engine::add_container_mounts(const RunRequest& req, const oci::ImageConfig& cfg,
                                    const std::vector<std::string>& lowers, const std::string& dir,
                                    runtime::RunOptions& o, Json& mounts,
                                    std::vector<std::string>& made) {
  std::vector<MountRequest> reqs;
  for (const auto& v : req.volumes) {
    BERTH_ASSIGN_OR_RETURN(auto m, parse_volume_flag(v));
    reqs.push_back(std::move(m));
  }
  for (const auto& v : req.mounts) {
    BERTH_ASSIGN_OR_RETURN(auto m, parse_mount_flag(v));
    reqs.push_back(std::move(m));
  }
  std::set<std::string> targets;
  for (const auto& m : reqs) {
    std::string t = m.target;
    while (t.size() > 1 && t.back() == '/') t.pop_back();
    if (!targets.insert(t).second) return invalid_argument("Duplicate mount point: " + t);
  }
  for (const auto& t : o.tmpfs) targets.insert(split_once(t, ':').first);
  // The image's VOLUMEs not covered by the user's mounts become anonymous volumes, as in Docker.
  for (const auto& v : cfg.config.volumes) {
    std::string t = v;
    while (t.size() > 1 && t.back() == '/') t.pop_back();
    if (targets.count(t)) continue;
    MountRequest m;
    m.type = "volume";
    m.target = t;
    reqs.push_back(m);
  }
  VolumeStore vs = volume_store();
  for (const auto& m : reqs) {
    if (m.type == "tmpfs") {
      o.tmpfs.push_back(m.tmpfs_options.empty() ? m.target : m.target + ":" + m.tmpfs_options);
      mounts.push_back({{"Type", "tmpfs"}, {"Source", ""}, {"Destination", m.target},
                        {"Mode", ""}, {"RW", !m.readonly}, {"Propagation", ""}});
      continue;
    }
    if (m.type == "bind") {
      if (!path_exists(m.source)) BERTH_TRY(mkdir_all(m.source));  // -v creates it, as Docker
      std::string prop = m.propagation.empty() ? "rprivate" : m.propagation;
      o.binds.push_back({m.source, m.target, m.readonly, prop, m.idmap});
      mounts.push_back({{"Type", "bind"}, {"Source", m.source}, {"Destination", m.target},
                        {"Mode", m.mode}, {"RW", !m.readonly}, {"Propagation", prop}});
      continue;
    }
    bool fresh = false;
    BERTH_ASSIGN_OR_RETURN(auto vol, vs.create(m.source, m.volume_labels, {}, &fresh));
    if (fresh && m.source.empty()) made.push_back(vol.name);
    // Docker fills a volume from the image only while the volume is empty.
    if (!m.nocopy && !lowers.empty()) {
      bool empty = true;
      if (DIR* d = ::opendir(vol.mountpoint.c_str())) {
        while (auto* e = ::readdir(d))
          if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..") empty = false;
        ::closedir(d);
      }
      if (empty)
        BERTH_TRY_CTX(copy_image_dir(lowers, m.target, vol.mountpoint, path_join(dir, "rootfs")),
                      "copying the image's " + m.target + " into volume " + vol.name);
    }
    // berth's own data: seen through the container's mappings under --userns, so a volume's
    // files are stored as the container's ids and read the same in any container.
    o.binds.push_back({vol.mountpoint, m.target, m.readonly, "rprivate", true});
    mounts.push_back({{"Type", "volume"}, {"Name", vol.name}, {"Source", vol.mountpoint},
                      {"Destination", m.target}, {"Driver", "local"},
                      {"Mode", m.mode.empty() ? "z" : m.mode}, {"RW", !m.readonly},
                      {"Propagation", ""}, {"Anonymous", vol.anonymous()}});
  }
  return ok_status();
}

}  // namespace berth::engine
