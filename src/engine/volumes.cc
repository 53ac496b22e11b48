// The volume store and the -v / --mount parsers.
#include "engine/volumes.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/strings.h"
#include "format/units.h"
#include "image/store.h"

namespace berth::engine {
namespace {

constexpr const char* kTempPrefix = ".tmp-";
constexpr const char* kRemovingPrefix = ".rm-";

std::string meta_json(const Volume& v) {
  nlohmann::ordered_json j;
  j["Name"] = v.name;
  j["Driver"] = v.driver;
  j["Created"] = v.created;
  j["Labels"] = v.labels;
  j["Options"] = v.options;
  return j.dump();
}

bool parse_bool(const std::string& s, bool* out) {
  std::string l = to_lower(s);
  if (l.empty() || l == "true" || l == "1") *out = true;
  else if (l == "false" || l == "0") *out = false;
  else return false;
  return true;
}

bool is_propagation(const std::string& m) {
  return m == "shared" || m == "rshared" || m == "slave" || m == "rslave" || m == "private" ||
         m == "rprivate";
}

// Docker's CLI turns `./dir` and `../dir` into absolute host paths (since Docker 23).
std::string absolute_if_relative(const std::string& src) {
  if (src == "." || src == ".." || src.rfind("./", 0) == 0 || src.rfind("../", 0) == 0) {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) return path_join(cwd, src);
  }
  return src;
}

Status check_target(const std::string& type, const std::string& target) {
  if (target.empty() || target[0] != '/')
    return invalid_argument("invalid mount config for type \"" + type + "\": invalid mount path: '" +
                            target + "' mount path must be absolute");
  if (target == "/")
    return invalid_argument("invalid mount config for type \"" + type +
                            "\": invalid specification: destination can't be '/'");
  return ok_status();
}

Status check_source(MountRequest& m) {
  if (m.type == "bind") {
    m.source = absolute_if_relative(m.source);
    if (m.source.empty())
      return invalid_argument("invalid mount config for type \"bind\": field Source must not be empty");
    if (m.source[0] != '/')
      return invalid_argument("invalid mount config for type \"bind\": invalid mount path: '" +
                              m.source + "' mount path must be absolute");
  } else if (m.type == "volume" && !m.source.empty()) {
    BERTH_TRY(validate_volume_name(m.source));
  }
  return ok_status();
}

}  // namespace

Status validate_volume_name(const std::string& name) {
  static const std::regex kName("[a-zA-Z0-9][a-zA-Z0-9_.-]+");
  if (!std::regex_match(name, kName))
    return invalid_argument("create " + name + ": \"" + name +
                            "\" includes invalid characters for a local volume name, only "
                            "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a "
                            "host directory, use absolute path");
  return ok_status();
}

Result<Volume> VolumeStore::create(const std::string& name,
                                   const std::map<std::string, std::string>& labels,
                                   const std::map<std::string, std::string>& options,
                                   bool* created_new) {
  if (created_new) *created_new = false;
  Volume v;
  v.name = name.empty() ? random_hex(32) : name;
  BERTH_TRY(validate_volume_name(v.name));
  for (const auto& [k, val] : options)
    return invalid_argument("create " + v.name + ": volume option \"" + k +
                            "\" is not supported by berth's local driver yet");
  if (auto existing = get(v.name); existing.ok()) return existing;
  v.labels = labels;
  if (name.empty()) v.labels[kAnonymousVolumeLabel] = "";
  v.options = options;
  v.created = image::now_nanos();
  v.mountpoint = path_join(path_join(dir_, v.name), "_data");
  BERTH_TRY(mkdir_all(dir_, 0701));
  std::string tmp = path_join(dir_, kTempPrefix + random_hex(8));
  BERTH_TRY(mkdir_all(path_join(tmp, "_data"), 0755));
  BERTH_TRY(atomic_write_file(path_join(tmp, "volume.json"), meta_json(v)));
  if (::rename(tmp.c_str(), path_join(dir_, v.name).c_str()) != 0) {
    int err = errno;
    (void)remove_all(tmp);
    // Someone else made it first: theirs is the volume.
    if (err == EEXIST || err == ENOTEMPTY) return get(v.name);
    errno = err;
    return sys_error("create " + v.name);
  }
  BERTH_TRY(fsync_dir(dir_));
  if (created_new) *created_new = true;
  return v;
}

Result<Volume> VolumeStore::get(const std::string& name) const {
  if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos)
    return not_found("get " + name + ": no such volume");
  std::string dir = path_join(dir_, name);
  auto text = read_file(path_join(dir, "volume.json"));
  if (!text.ok()) {
    if (text.error().code() == Code::kNotFound) return not_found("get " + name + ": no such volume");
    return std::move(text).error();
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return internal_error("volume " + name + ": corrupt volume.json");
  Volume v;
  v.name = name;
  v.driver = j.value("Driver", "local");
  v.created = j.value("Created", int64_t{0});
  v.labels = j.value("Labels", std::map<std::string, std::string>{});
  v.options = j.value("Options", std::map<std::string, std::string>{});
  v.mountpoint = path_join(dir, "_data");
  return v;
}

Result<std::vector<Volume>> VolumeStore::list() const {
  std::vector<Volume> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return sys_error("reading " + dir_);
  }
  std::vector<std::string> names;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    auto v = get(n);
    if (v.ok()) out.push_back(std::move(*v));
  }
  return out;
}

Status VolumeStore::remove(const std::string& name) {
  BERTH_TRY(get(name));
  std::string aside = path_join(dir_, kRemovingPrefix + random_hex(8));
  if (::rename(path_join(dir_, name).c_str(), aside.c_str()) != 0)
    return sys_error("remove " + name);
  return remove_all(aside);
}

Result<std::vector<std::string>> VolumeStore::clean_temp() {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return out;
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(kTempPrefix, 0) == 0 || n.rfind(kRemovingPrefix, 0) == 0) names.push_back(n);
  }
  ::closedir(d);
  for (const auto& n : names) {
    BERTH_TRY(remove_all(path_join(dir_, n)));
    out.push_back("removed volume leftover " + path_join(dir_, n));
  }
  return out;
}

Result<MountRequest> parse_volume_flag(const std::string& spec) {
  auto parts = split(spec, ':');
  MountRequest m;
  if (parts.size() == 1) {
    m.type = "volume";
    m.target = parts[0];
  } else if (parts.size() == 2 || parts.size() == 3) {
    if (parts[0].empty() || parts[1].empty())
      return invalid_argument("invalid volume specification: '" + spec + "'");
    m.source = parts[0];
    m.target = parts[1];
    bool looks_like_path = m.source[0] == '/' || m.source[0] == '.';
    m.type = looks_like_path ? "bind" : "volume";
    if (parts.size() == 3) {
      m.mode = parts[2];
      int rw_modes = 0;
      for (const auto& opt : split(parts[2], ',')) {
        if (opt == "ro") {
          m.readonly = true;
          ++rw_modes;
        } else if (opt == "rw") {
          ++rw_modes;
        } else if (opt == "z" || opt == "Z" || opt == "consistent" || opt == "cached" ||
                   opt == "delegated") {
          // SELinux relabelling and macOS consistency: nothing to do on this host.
        } else if (opt == "nocopy" && m.type == "volume") {
          m.nocopy = true;
        } else if (opt == "idmap") {
          m.idmap = true;  // volumes are idmapped under --userns anyway
        } else if (is_propagation(opt) && m.type == "bind") {
          m.propagation = opt;
        } else {
          return invalid_argument("invalid mode: " + parts[2]);
        }
      }
      if (rw_modes > 1) return invalid_argument("invalid mode: " + parts[2]);
    }
  } else {
    return invalid_argument("invalid volume specification: '" + spec + "'");
  }
  BERTH_TRY(check_target(m.type, m.target));
  BERTH_TRY(check_source(m));
  return m;
}

Result<MountRequest> parse_mount_flag(const std::string& spec) {
  MountRequest m;
  m.type = "volume";
  m.explicit_mount = true;
  std::string tmpfs_size, tmpfs_mode;
  auto bad = [&](const std::string& why) {
    return invalid_argument("invalid argument \"" + spec + "\" for \"--mount\" flag: " + why);
  };
  for (const auto& field : split(spec, ',')) {
    auto kv = split_once(field, '=');
    std::string key = to_lower(std::string(trim(kv.first)));
    const std::string& val = kv.second;
    bool flag = true;
    if (key == "readonly" || key == "ro") {
      if (!parse_bool(val, &flag)) return bad("invalid value for " + key + ": " + val);
      m.readonly = flag;
      continue;
    }
    if (key == "volume-nocopy") {
      if (!parse_bool(val, &flag)) return bad("invalid value for volume-nocopy: " + val);
      m.nocopy = flag;
      continue;
    }
    if (!kv.found) return bad("invalid field '" + field + "' must be a key=value pair");
    if (key == "type") {
      if (val != "bind" && val != "volume" && val != "tmpfs")
        return bad("invalid mount type \"" + val + "\" (berth supports bind, volume and tmpfs)");
      m.type = val;
    } else if (key == "source" || key == "src") {
      m.source = val;
    } else if (key == "target" || key == "destination" || key == "dst") {
      m.target = val;
    } else if (key == "bind-propagation") {
      if (!is_propagation(val)) return bad("invalid bind propagation: " + val);
      m.propagation = val;
    } else if (key == "bind-nonrecursive" || key == "consistency") {
      // Accepted as Docker does; binds are always recursive here.
    } else if (key == "volume-label") {
      auto lv = split_once(val, '=');
      m.volume_labels[lv.first] = lv.second;
    } else if (key == "volume-driver") {
      if (val != "local") return bad("volume driver \"" + val + "\" is not supported (only local)");
    } else if (key == "tmpfs-size") {
      auto n = format::parse_ram_size(val);
      if (!n.ok()) return bad("invalid value for tmpfs-size: " + val);
      tmpfs_size = "size=" + std::to_string(*n);
    } else if (key == "tmpfs-mode") {
      char* end = nullptr;
      unsigned long mode = std::strtoul(val.c_str(), &end, 8);
      if (val.empty() || *end) return bad("invalid value for tmpfs-mode: " + val);
      char buf[16];
      std::snprintf(buf, sizeof buf, "mode=%lo", mode);
      tmpfs_mode = buf;
    } else {
      return bad("unexpected key '" + key + "' in '" + field + "'");
    }
  }
  if (m.target.empty()) return bad("target is required");
  if (m.type == "tmpfs") {
    if (!m.source.empty())
      return invalid_argument("invalid mount config for type \"tmpfs\": field Source must be empty");
    std::vector<std::string> o;
    if (!tmpfs_size.empty()) o.push_back(tmpfs_size);
    if (!tmpfs_mode.empty()) o.push_back(tmpfs_mode);
    m.tmpfs_options = join(o, ",");
  }
  BERTH_TRY(check_target(m.type, m.target));
  BERTH_TRY(check_source(m));
  if (m.type == "bind" && !path_exists(m.source))
    return invalid_argument("invalid mount config for type \"bind\": bind source path does not exist: " +
                            m.source);
  return m;
}

}  // namespace berth::engine
