#include "oci/image.h"

#include <sys/utsname.h>

#include <algorithm>

namespace berth::oci {
namespace {

// nlohmann throws on type mismatches; these readers return defaults for absent or null keys and
// leave type errors to the one catch in each parse_* function.
std::string str_at(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->get<std::string>();
}

std::vector<std::string> strings_at(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  return it->get<std::vector<std::string>>();
}

std::optional<std::vector<std::string>> opt_strings_at(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return std::vector<std::string>{it->get<std::string>()};
  return it->get<std::vector<std::string>>();
}

std::vector<std::string> keys_at(const Json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return out;
  for (auto& [k, v] : it->items()) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

RunConfig parse_run_config(const Json& j) {
  RunConfig rc;
  if (!j.is_object()) return rc;
  rc.user = str_at(j, "User");
  rc.exposed_ports = keys_at(j, "ExposedPorts");
  rc.env = strings_at(j, "Env");
  rc.entrypoint = opt_strings_at(j, "Entrypoint");
  rc.cmd = opt_strings_at(j, "Cmd");
  rc.volumes = keys_at(j, "Volumes");
  rc.working_dir = str_at(j, "WorkingDir");
  if (auto it = j.find("Labels"); it != j.end() && it->is_object())
    for (auto& [k, v] : it->items()) rc.labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
  rc.stop_signal = str_at(j, "StopSignal");
  rc.shell = opt_strings_at(j, "Shell");
  rc.on_build = strings_at(j, "OnBuild");
  if (auto it = j.find("Healthcheck"); it != j.end() && it->is_object()) {
    HealthConfig h;
    h.test = strings_at(*it, "Test");
    h.interval = it->value("Interval", int64_t{0});
    h.timeout = it->value("Timeout", int64_t{0});
    h.start_period = it->value("StartPeriod", int64_t{0});
    h.start_interval = it->value("StartInterval", int64_t{0});
    h.retries = it->value("Retries", 0);
    rc.healthcheck = h;
  }
  rc.args_escaped = j.value("ArgsEscaped", false);
  return rc;
}

Json empty_set(const std::vector<std::string>& keys) {
  Json o = Json::object();
  for (const auto& k : keys) o[k] = Json::object();
  return o;
}

Json health_to_json(const HealthConfig& h) {
  Json j = Json::object();
  j["Test"] = h.test;
  if (h.interval) j["Interval"] = h.interval;
  if (h.timeout) j["Timeout"] = h.timeout;
  if (h.start_period) j["StartPeriod"] = h.start_period;
  if (h.start_interval) j["StartInterval"] = h.start_interval;
  if (h.retries) j["Retries"] = h.retries;
  return j;
}

// OCI form: only the keys that are set.
Json run_config_to_oci_json(const RunConfig& rc) {
  Json j = Json::object();
  if (!rc.user.empty()) j["User"] = rc.user;
  if (!rc.exposed_ports.empty()) j["ExposedPorts"] = empty_set(rc.exposed_ports);
  if (!rc.env.empty()) j["Env"] = rc.env;
  if (rc.entrypoint) j["Entrypoint"] = *rc.entrypoint;
  if (rc.cmd) j["Cmd"] = *rc.cmd;
  if (rc.healthcheck) j["Healthcheck"] = health_to_json(*rc.healthcheck);
  if (rc.args_escaped) j["ArgsEscaped"] = true;
  if (!rc.volumes.empty()) j["Volumes"] = empty_set(rc.volumes);
  if (!rc.working_dir.empty()) j["WorkingDir"] = rc.working_dir;
  if (!rc.labels.empty()) j["Labels"] = rc.labels;
  if (!rc.on_build.empty()) j["OnBuild"] = rc.on_build;
  if (!rc.stop_signal.empty()) j["StopSignal"] = rc.stop_signal;
  if (rc.shell) j["Shell"] = *rc.shell;
  return j;
}

Descriptor parse_descriptor(const Json& j) {
  Descriptor d;
  d.media_type = str_at(j, "mediaType");
  d.digest = str_at(j, "digest");
  d.size = j.value("size", int64_t{0});
  if (auto it = j.find("annotations"); it != j.end() && it->is_object())
    for (auto& [k, v] : it->items()) d.annotations[k] = v.get<std::string>();
  if (auto it = j.find("platform"); it != j.end() && it->is_object()) {
    d.platform_os = str_at(*it, "os");
    d.platform_arch = str_at(*it, "architecture");
    if (it->contains("variant")) d.platform_variant = str_at(*it, "variant");
  }
  return d;
}

Result<Json> parse_json(std::string_view bytes, const char* what) {
  Json j = Json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return invalid_argument(std::string("invalid ") + what + ": not a JSON object");
  return j;
}

}  // namespace

Result<ImageConfig> parse_image_config(std::string_view bytes) {
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(bytes, "image config"));
  try {
    ImageConfig c;
    c.created = str_at(j, "created");
    c.author = str_at(j, "author");
    c.comment = str_at(j, "comment");
    c.architecture = str_at(j, "architecture");
    c.os = str_at(j, "os");
    c.variant = str_at(j, "variant");
    if (auto it = j.find("config"); it != j.end()) c.config = parse_run_config(*it);
    if (auto it = j.find("container_config"); it != j.end() && it->is_object())
      c.container_config = parse_run_config(*it);
    c.docker_version = str_at(j, "docker_version");
    if (auto it = j.find("rootfs"); it != j.end() && it->is_object())
      c.diff_ids = strings_at(*it, "diff_ids");
    if (auto it = j.find("history"); it != j.end() && it->is_array()) {
      for (const auto& h : *it) {
        HistoryEntry e;
        e.created = str_at(h, "created");
        e.created_by = str_at(h, "created_by");
        e.author = str_at(h, "author");
        e.comment = str_at(h, "comment");
        e.empty_layer = h.value("empty_layer", false);
        c.history.push_back(std::move(e));
      }
    }
    return c;
  } catch (const std::exception& e) {
    return invalid_argument(std::string("invalid image config: ") + e.what());
  }
}

std::string serialize_image_config(const ImageConfig& c) {
  Json j = Json::object();
  if (!c.created.empty()) j["created"] = c.created;
  if (!c.author.empty()) j["author"] = c.author;
  if (!c.comment.empty()) j["comment"] = c.comment;
  j["architecture"] = c.architecture;
  if (!c.variant.empty()) j["variant"] = c.variant;
  j["os"] = c.os;
  j["config"] = run_config_to_oci_json(c.config);
  if (c.container_config) j["container_config"] = run_config_to_oci_json(*c.container_config);
  if (!c.docker_version.empty()) j["docker_version"] = c.docker_version;
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", c.diff_ids}};
  Json hist = Json::array();
  for (const auto& h : c.history) {
    Json e = Json::object();
    if (!h.created.empty()) e["created"] = h.created;
    if (!h.created_by.empty()) e["created_by"] = h.created_by;
    if (!h.author.empty()) e["author"] = h.author;
    if (!h.comment.empty()) e["comment"] = h.comment;
    if (h.empty_layer) e["empty_layer"] = true;
    hist.push_back(std::move(e));
  }
  j["history"] = std::move(hist);
  return j.dump();
}

Json run_config_to_docker_json(const RunConfig& rc) {
  Json j = Json::object();
  j["Hostname"] = "";
  j["Domainname"] = "";
  j["User"] = rc.user;
  j["AttachStdin"] = false;
  j["AttachStdout"] = false;
  j["AttachStderr"] = false;
  if (!rc.exposed_ports.empty()) j["ExposedPorts"] = empty_set(rc.exposed_ports);
  j["Tty"] = false;
  j["OpenStdin"] = false;
  j["StdinOnce"] = false;
  j["Env"] = rc.env.empty() ? Json(nullptr) : Json(rc.env);
  j["Cmd"] = rc.cmd ? Json(*rc.cmd) : Json(nullptr);
  if (rc.healthcheck) j["Healthcheck"] = health_to_json(*rc.healthcheck);
  if (rc.args_escaped) j["ArgsEscaped"] = true;
  j["Image"] = "";
  j["Volumes"] = rc.volumes.empty() ? Json(nullptr) : empty_set(rc.volumes);
  j["WorkingDir"] = rc.working_dir;
  j["Entrypoint"] = rc.entrypoint ? Json(*rc.entrypoint) : Json(nullptr);
  j["OnBuild"] = rc.on_build.empty() ? Json(nullptr) : Json(rc.on_build);
  j["Labels"] = rc.labels.empty() ? Json(nullptr) : Json(rc.labels);
  if (!rc.stop_signal.empty()) j["StopSignal"] = rc.stop_signal;
  if (rc.shell) j["Shell"] = *rc.shell;
  return j;
}

Json descriptor_to_json(const Descriptor& d) {
  Json j = Json::object();
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest;
  j["size"] = d.size;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform_os || d.platform_arch) {
    Json p = Json::object();
    p["architecture"] = d.platform_arch.value_or("");
    p["os"] = d.platform_os.value_or("");
    if (d.platform_variant) p["variant"] = *d.platform_variant;
    j["platform"] = std::move(p);
  }
  return j;
}

Result<Manifest> parse_manifest(std::string_view bytes) {
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(bytes, "manifest"));
  try {
    Manifest m;
    m.schema_version = j.value("schemaVersion", 0);
    m.media_type = str_at(j, "mediaType");
    if (m.schema_version != 2)
      return invalid_argument("unsupported manifest schema version " +
                              std::to_string(m.schema_version));
    if (!j.contains("config") || !j["config"].is_object())
      return invalid_argument("invalid manifest: no config descriptor");
    m.config = parse_descriptor(j["config"]);
    if (auto it = j.find("layers"); it != j.end() && it->is_array())
      for (const auto& l : *it) m.layers.push_back(parse_descriptor(l));
    if (auto it = j.find("annotations"); it != j.end() && it->is_object())
      for (auto& [k, v] : it->items()) m.annotations[k] = v.get<std::string>();
    return m;
  } catch (const std::exception& e) {
    return invalid_argument(std::string("invalid manifest: ") + e.what());
  }
}

std::string serialize_manifest(const Manifest& m) {
  Json j = Json::object();
  j["schemaVersion"] = m.schema_version;
  j["mediaType"] = m.media_type;
  j["config"] = descriptor_to_json(m.config);
  Json layers = Json::array();
  for (const auto& l : m.layers) layers.push_back(descriptor_to_json(l));
  j["layers"] = std::move(layers);
  if (!m.annotations.empty()) j["annotations"] = m.annotations;
  return j.dump();
}

Result<Index> parse_index(std::string_view bytes) {
  BERTH_ASSIGN_OR_RETURN(Json j, parse_json(bytes, "image index"));
  try {
    Index idx;
    idx.schema_version = j.value("schemaVersion", 0);
    idx.media_type = str_at(j, "mediaType");
    if (auto it = j.find("manifests"); it != j.end() && it->is_array())
      for (const auto& d : *it) idx.manifests.push_back(parse_descriptor(d));
    return idx;
  } catch (const std::exception& e) {
    return invalid_argument(std::string("invalid image index: ") + e.what());
  }
}

std::string serialize_index(const Index& idx) {
  Json j = Json::object();
  j["schemaVersion"] = idx.schema_version;
  if (!idx.media_type.empty()) j["mediaType"] = idx.media_type;
  Json ms = Json::array();
  for (const auto& d : idx.manifests) ms.push_back(descriptor_to_json(d));
  j["manifests"] = std::move(ms);
  return j.dump();
}

std::string native_arch() {
  struct utsname u;
  if (::uname(&u) != 0) return "amd64";
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "armv7l" || m == "armv6l") return "arm";
  if (m == "i686" || m == "i386") return "386";
  return m;  // ppc64le, s390x, riscv64 match GOARCH already
}

}  // namespace berth::oci
