// CDI spec loading and device resolution (see cdi.h).
#include "gpu/cdi.h"

#include <dirent.h>

#include <algorithm>
#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include "base/fs.h"
#include "base/strings.h"
#include "gpu/request.h"

namespace berth::gpu {
namespace {

// yaml-cpp's conversion reads 0x and 0o prefixes; CDI writers use plain decimal or YAML 1.1
// octal ("0666") for fileMode, so a leading 0 is read as octal here too.
template <typename T>
Result<T> number(const YAML::Node& n, const std::string& where) {
  std::string s = n.as<std::string>();
  try {
    size_t used = 0;
    int base = (s.size() > 1 && s[0] == '0' && std::isdigit(static_cast<unsigned char>(s[1]))) ? 8 : 0;
    long long v = std::stoll(s, &used, base);
    if (used != s.size()) throw std::invalid_argument(s);
    return static_cast<T>(v);
  } catch (const std::exception&) {
    return invalid_argument(where + ": not a number: \"" + s + "\"");
  }
}

Result<std::vector<std::string>> strings(const YAML::Node& n, const std::string& where) {
  std::vector<std::string> out;
  if (!n) return out;
  if (!n.IsSequence()) return invalid_argument(where + ": expected a list");
  for (const auto& e : n) out.push_back(e.as<std::string>());
  return out;
}

std::string str(const YAML::Node& n, const char* key) {
  return n[key] && n[key].IsScalar() ? n[key].as<std::string>() : std::string();
}

Result<ContainerEdits> parse_edits(const YAML::Node& n, const std::string& where) {
  ContainerEdits e;
  if (!n) return e;
  if (!n.IsMap()) return invalid_argument(where + ": expected a mapping");
  BERTH_ASSIGN_OR_RETURN(e.env, strings(n["env"], where + ".env"));
  if (auto nodes = n["deviceNodes"]) {
    int i = 0;
    for (const auto& d : nodes) {
      std::string w = where + ".deviceNodes[" + std::to_string(i++) + "]";
      DeviceNode dn;
      dn.path = str(d, "path");
      if (dn.path.empty() || dn.path[0] != '/')
        return invalid_argument(w + ".path: an absolute path is required");
      dn.host_path = str(d, "hostPath");
      dn.type = str(d, "type");
      if (!dn.type.empty() && dn.type != "c" && dn.type != "b" && dn.type != "u" && dn.type != "p")
        return invalid_argument(w + ".type: \"" + dn.type + "\" is not c, b, u or p");
      if (d["major"]) {
        BERTH_ASSIGN_OR_RETURN(dn.major, number<int64_t>(d["major"], w + ".major"));
      }
      if (d["minor"]) {
        BERTH_ASSIGN_OR_RETURN(dn.minor, number<int64_t>(d["minor"], w + ".minor"));
      }
      if (d["fileMode"]) {
        BERTH_ASSIGN_OR_RETURN(dn.file_mode, number<uint32_t>(d["fileMode"], w + ".fileMode"));
      }
      if (d["uid"]) {
        BERTH_ASSIGN_OR_RETURN(dn.uid, number<uint32_t>(d["uid"], w + ".uid"));
      }
      if (d["gid"]) {
        BERTH_ASSIGN_OR_RETURN(dn.gid, number<uint32_t>(d["gid"], w + ".gid"));
      }
      dn.permissions = str(d, "permissions");
      for (char c : dn.permissions)
        if (c != 'r' && c != 'w' && c != 'm')
          return invalid_argument(w + ".permissions: \"" + dn.permissions + "\" is not of r, w, m");
      e.device_nodes.push_back(std::move(dn));
    }
  }
  if (auto mounts = n["mounts"]) {
    int i = 0;
    for (const auto& m : mounts) {
      std::string w = where + ".mounts[" + std::to_string(i++) + "]";
      Mount mt;
      mt.host_path = str(m, "hostPath");
      mt.container_path = str(m, "containerPath");
      if (mt.host_path.empty() || mt.container_path.empty() || mt.container_path[0] != '/')
        return invalid_argument(w + ": hostPath and an absolute containerPath are required");
      mt.type = str(m, "type");
      BERTH_ASSIGN_OR_RETURN(mt.options, strings(m["options"], w + ".options"));
      e.mounts.push_back(std::move(mt));
    }
  }
  if (auto hooks = n["hooks"]) {
    static const std::set<std::string> kNames = {"prestart",       "createRuntime",
                                                 "createContainer", "startContainer",
                                                 "poststart",       "poststop"};
    int i = 0;
    for (const auto& h : hooks) {
      std::string w = where + ".hooks[" + std::to_string(i++) + "]";
      Hook hk;
      hk.hook_name = str(h, "hookName");
      if (!kNames.count(hk.hook_name))
        return invalid_argument(w + ".hookName: unknown hook \"" + hk.hook_name + "\"");
      hk.path = str(h, "path");
      if (hk.path.empty() || hk.path[0] != '/')
        return invalid_argument(w + ".path: an absolute path is required");
      BERTH_ASSIGN_OR_RETURN(hk.args, strings(h["args"], w + ".args"));
      BERTH_ASSIGN_OR_RETURN(hk.env, strings(h["env"], w + ".env"));
      if (h["timeout"]) {
        BERTH_ASSIGN_OR_RETURN(hk.timeout, number<int>(h["timeout"], w + ".timeout"));
      }
      e.hooks.push_back(std::move(hk));
    }
  }
  if (auto gids = n["additionalGIDs"]) {
    for (const auto& g : gids) {
      BERTH_ASSIGN_OR_RETURN(uint32_t gid, number<uint32_t>(g, where + ".additionalGIDs"));
      e.additional_gids.push_back(gid);
    }
  }
  return e;
}

bool spec_file(const std::string& name) {
  for (const char* ext : {".json", ".yaml", ".yml"}) {
    std::string_view e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      return true;
  }
  return false;
}

}  // namespace

Result<CdiSpec> parse_cdi_spec(const std::string& text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return invalid_argument(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) return invalid_argument(path + ": a CDI spec must be a mapping");
  CdiSpec s;
  s.path = path;
  try {
    s.version = str(root, "cdiVersion");
    if (s.version.empty()) return invalid_argument(path + ": cdiVersion is missing");
    s.kind = str(root, "kind");
    if (!is_cdi_name(s.kind + "=x"))
      return invalid_argument(path + ": kind \"" + s.kind + "\" is not vendor.com/class");
    BERTH_ASSIGN_OR_RETURN(s.edits, parse_edits(root["containerEdits"], path + ": containerEdits"));
    auto devices = root["devices"];
    if (!devices || !devices.IsSequence() || devices.size() == 0)
      return invalid_argument(path + ": devices: at least one device is required");
    std::set<std::string> names;
    int i = 0;
    for (const auto& d : devices) {
      std::string w = path + ": devices[" + std::to_string(i++) + "]";
      CdiDevice dev;
      dev.name = str(d, "name");
      if (!is_cdi_name(s.kind + "=" + dev.name))
        return invalid_argument(w + ".name: \"" + dev.name + "\" is not a valid device name");
      if (!names.insert(dev.name).second)
        return invalid_argument(w + ".name: \"" + dev.name + "\" appears twice");
      BERTH_ASSIGN_OR_RETURN(dev.edits, parse_edits(d["containerEdits"], w + ".containerEdits"));
      s.devices.push_back(std::move(dev));
    }
  } catch (const YAML::Exception& e) {
    return invalid_argument(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return s;
}

std::vector<std::string> default_cdi_dirs() { return {"/etc/cdi", "/var/run/cdi"}; }

CdiRegistry CdiRegistry::load(const std::vector<std::string>& dirs) {
  CdiRegistry r;
  for (const auto& dir : dirs) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    std::vector<std::string> files;
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.' && spec_file(e->d_name)) files.push_back(e->d_name);
    ::closedir(d);
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string p = path_join(dir, f);
      auto text = read_file(p);
      if (!text.ok()) {
        r.errors_.push_back(p + ": " + text.error().message());
        continue;
      }
      auto spec = parse_cdi_spec(*text, p);
      if (!spec.ok()) {
        r.errors_.push_back(spec.error().message());
        continue;
      }
      r.specs_.push_back(std::move(*spec));
    }
  }
  return r;
}

bool CdiRegistry::has_kind(const std::string& kind) const {
  return std::any_of(specs_.begin(), specs_.end(), [&](const CdiSpec& s) { return s.kind == kind; });
}

std::vector<std::string> CdiRegistry::device_names() const {
  std::set<std::string> out;
  for (const auto& s : specs_)
    for (const auto& d : s.devices) out.insert(s.kind + "=" + d.name);
  return {out.begin(), out.end()};
}

Result<ContainerEdits> CdiRegistry::resolve(const std::vector<std::string>& names) const {
  // For each requested device, the spec that defines it last (the highest priority).
  ContainerEdits out;
  std::set<const CdiSpec*> common_added;
  std::vector<std::string> missing;
  for (const auto& full : names) {
    auto n = parse_cdi_name(full);
    if (!n.ok()) return n.error();
    std::vector<std::pair<const CdiSpec*, const CdiDevice*>> hits;
    for (auto it = specs_.rbegin(); it != specs_.rend() && hits.empty(); ++it) {
      if (it->kind != n->kind) continue;
      for (const auto& d : it->devices)
        if (d.name == n->name) hits.push_back({&*it, &d});
    }
    if (hits.empty() && n->name == "all") {
      std::set<std::string> taken;  // every device of the kind, the highest-priority definition
      for (auto it = specs_.rbegin(); it != specs_.rend(); ++it) {
        if (it->kind != n->kind) continue;
        for (const auto& d : it->devices)
          if (taken.insert(d.name).second) hits.push_back({&*it, &d});
      }
    }
    if (hits.empty()) {
      missing.push_back(full);
      continue;
    }
    for (auto [spec, dev] : hits) {
      if (common_added.insert(spec).second) out.merge(spec->edits);
      out.merge(dev->edits);
    }
  }
  if (!missing.empty()) return not_found("unresolvable CDI devices " + join(missing, ", "));
  return out;
}

}  // namespace berth::gpu
