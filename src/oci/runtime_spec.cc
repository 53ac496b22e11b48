#include "oci/runtime_spec.h"

#include <algorithm>
#include <limits>
#include <type_traits>

namespace berth::oci {
namespace {

// ---- reading ----
//
// The readers below throw FieldError, caught once in parse_runtime_spec: a config has some
// hundred fields and a Result per field would bury the shape of the format under plumbing.

struct FieldError {
  std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw FieldError{path + ": " + what};
}

std::string child(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

std::string index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// A present, non-null member, or nullptr: Go's decoder treats null like an absent field.
const Json* find(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

template <typename T>
std::string integer_kind() {
  return std::string(std::is_signed_v<T> ? "a " : "an unsigned ") + std::to_string(sizeof(T) * 8) +
         "-bit integer";
}

template <typename T>
T as_int(const Json& v, const std::string& path) {
  if (!v.is_number_integer()) fail(path, "must be " + integer_kind<T>());
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max()))
      fail(path, "must be " + integer_kind<T>());
    return static_cast<T>(u);
  }
  int64_t s = v.get<int64_t>();
  if constexpr (std::is_unsigned_v<T>) {
    if (s < 0) fail(path, "must be " + integer_kind<T>());
  } else {
    if (s < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        s > static_cast<int64_t>(std::numeric_limits<T>::max()))
      fail(path, "must be " + integer_kind<T>());
  }
  return static_cast<T>(s);
}

template <typename T>
std::optional<T> opt_int(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  return as_int<T>(*v, child(path, key));
}

template <typename T>
T get_int(const Json& obj, const char* key, const std::string& path) {
  return opt_int<T>(obj, key, path).value_or(T{});
}

std::string as_string(const Json& v, const std::string& path) {
  if (!v.is_string()) fail(path, "must be a string");
  return v.get<std::string>();
}

std::string get_string(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  return v ? as_string(*v, child(path, key)) : std::string();
}

std::string required_string(const Json& obj, const char* key, const std::string& path) {
  std::string s = get_string(obj, key, path);
  if (s.empty()) fail(child(path, key), "must be a non-empty string");
  return s;
}

bool get_bool(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (!v) return false;
  if (!v->is_boolean()) fail(child(path, key), "must be a boolean");
  return v->get<bool>();
}

std::optional<bool> opt_bool(const Json& obj, const char* key, const std::string& path) {
  if (!find(obj, key)) return std::nullopt;
  return get_bool(obj, key, path);
}

const Json& as_object(const Json& v, const std::string& path) {
  if (!v.is_object()) fail(path, "must be an object");
  return v;
}

// Calls parse(element, element_path) for each element of the array at obj[key].
template <typename F>
auto get_array(const Json& obj, const char* key, const std::string& path, F parse) {
  using T = decltype(parse(obj, path));
  std::vector<T> out;
  const Json* v = find(obj, key);
  if (!v) return out;
  std::string p = child(path, key);
  if (!v->is_array()) fail(p, "must be an array");
  for (size_t i = 0; i < v->size(); ++i) out.push_back(parse((*v)[i], index(p, i)));
  return out;
}

std::vector<std::string> get_strings(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (v && (!v->is_array() ||
            !std::all_of(v->begin(), v->end(), [](const Json& e) { return e.is_string(); })))
    fail(child(path, key), "must be an array of strings");
  return get_array(obj, key, path, as_string);
}

std::map<std::string, std::string> get_string_map(const Json& obj, const char* key,
                                                  const std::string& path) {
  std::map<std::string, std::string> out;
  const Json* v = find(obj, key);
  if (!v) return out;
  std::string p = child(path, key);
  if (!v->is_object()) fail(p, "must be an object of strings");
  for (const auto& [k, val] : v->items()) out[k] = as_string(val, child(p, k.c_str()));
  return out;
}

// Calls parse(object, object_path) when obj[key] is present.
template <typename F>
auto opt_object(const Json& obj, const char* key, const std::string& path, F parse)
    -> std::optional<decltype(parse(obj, path))> {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  std::string p = child(path, key);
  return parse(as_object(*v, p), p);
}

Box parse_box(const Json& j, const std::string& p) {
  return Box{get_int<uint32_t>(j, "height", p), get_int<uint32_t>(j, "width", p)};
}

User parse_user(const Json& j, const std::string& p) {
  User u;
  u.uid = get_int<uint32_t>(j, "uid", p);
  u.gid = get_int<uint32_t>(j, "gid", p);
  u.umask = opt_int<uint32_t>(j, "umask", p);
  u.additional_gids = get_array(j, "additionalGids", p, as_int<uint32_t>);
  u.username = get_string(j, "username", p);
  return u;
}

Capabilities parse_capabilities(const Json& j, const std::string& p) {
  Capabilities c;
  c.bounding = get_strings(j, "bounding", p);
  c.effective = get_strings(j, "effective", p);
  c.inheritable = get_strings(j, "inheritable", p);
  c.permitted = get_strings(j, "permitted", p);
  c.ambient = get_strings(j, "ambient", p);
  return c;
}

Rlimit parse_rlimit(const Json& j, const std::string& p) {
  as_object(j, p);
  return Rlimit{required_string(j, "type", p), get_int<uint64_t>(j, "hard", p),
                get_int<uint64_t>(j, "soft", p)};
}

Process parse_process(const Json& j, const std::string& p) {
  Process pr;
  pr.terminal = get_bool(j, "terminal", p);
  pr.console_size = opt_object(j, "consoleSize", p, parse_box);
  pr.user = opt_object(j, "user", p, parse_user).value_or(User{});
  pr.args = get_strings(j, "args", p);
  // runc refuses to start a process without argv[0]; saying so here names the field.
  if (pr.args.empty()) fail(child(p, "args"), "must be a non-empty array of strings");
  pr.env = get_strings(j, "env", p);
  pr.cwd = get_string(j, "cwd", p);
  pr.capabilities = opt_object(j, "capabilities", p, parse_capabilities);
  pr.rlimits = get_array(j, "rlimits", p, parse_rlimit);
  pr.no_new_privileges = get_bool(j, "noNewPrivileges", p);
  pr.apparmor_profile = get_string(j, "apparmorProfile", p);
  pr.oom_score_adj = opt_int<int>(j, "oomScoreAdj", p);
  pr.selinux_label = get_string(j, "selinuxLabel", p);
  return pr;
}

Root parse_root(const Json& j, const std::string& p) {
  return Root{required_string(j, "path", p), get_bool(j, "readonly", p)};
}

Mount parse_mount(const Json& j, const std::string& p) {
  as_object(j, p);
  Mount m;
  m.destination = required_string(j, "destination", p);
  m.type = get_string(j, "type", p);
  m.source = get_string(j, "source", p);
  m.options = get_strings(j, "options", p);
  return m;
}

Hook parse_hook(const Json& j, const std::string& p) {
  as_object(j, p);
  Hook h;
  h.path = required_string(j, "path", p);
  h.args = get_strings(j, "args", p);
  h.env = get_strings(j, "env", p);
  h.timeout = opt_int<int>(j, "timeout", p);
  if (h.timeout && *h.timeout <= 0) fail(child(p, "timeout"), "must be greater than zero");
  return h;
}

Hooks parse_hooks(const Json& j, const std::string& p) {
  Hooks h;
  h.prestart = get_array(j, "prestart", p, parse_hook);
  h.create_runtime = get_array(j, "createRuntime", p, parse_hook);
  h.create_container = get_array(j, "createContainer", p, parse_hook);
  h.start_container = get_array(j, "startContainer", p, parse_hook);
  h.poststart = get_array(j, "poststart", p, parse_hook);
  h.poststop = get_array(j, "poststop", p, parse_hook);
  return h;
}

Namespace parse_namespace(const Json& j, const std::string& p) {
  as_object(j, p);
  static const char* const kTypes[] = {"pid", "network", "mount",  "ipc",
                                       "uts", "user",    "cgroup", "time"};
  Namespace ns{required_string(j, "type", p), get_string(j, "path", p)};
  if (std::find(std::begin(kTypes), std::end(kTypes), ns.type) == std::end(kTypes))
    fail(child(p, "type"), "unknown namespace type \"" + ns.type + "\"");
  return ns;
}

IdMapping parse_id_mapping(const Json& j, const std::string& p) {
  as_object(j, p);
  return IdMapping{get_int<uint32_t>(j, "containerID", p), get_int<uint32_t>(j, "hostID", p),
                   get_int<uint32_t>(j, "size", p)};
}

LinuxDevice parse_device(const Json& j, const std::string& p) {
  as_object(j, p);
  LinuxDevice d;
  d.path = required_string(j, "path", p);
  d.type = required_string(j, "type", p);
  d.major = get_int<int64_t>(j, "major", p);
  d.minor = get_int<int64_t>(j, "minor", p);
  d.file_mode = opt_int<uint32_t>(j, "fileMode", p);
  d.uid = opt_int<uint32_t>(j, "uid", p);
  d.gid = opt_int<uint32_t>(j, "gid", p);
  return d;
}

DeviceCgroup parse_device_cgroup(const Json& j, const std::string& p) {
  as_object(j, p);
  DeviceCgroup d;
  d.allow = get_bool(j, "allow", p);
  d.type = get_string(j, "type", p);
  d.major = opt_int<int64_t>(j, "major", p);
  d.minor = opt_int<int64_t>(j, "minor", p);
  d.access = get_string(j, "access", p);
  return d;
}

Memory parse_memory(const Json& j, const std::string& p) {
  Memory m;
  m.limit = opt_int<int64_t>(j, "limit", p);
  m.reservation = opt_int<int64_t>(j, "reservation", p);
  m.swap = opt_int<int64_t>(j, "swap", p);
  m.kernel = opt_int<int64_t>(j, "kernel", p);
  m.kernel_tcp = opt_int<int64_t>(j, "kernelTCP", p);
  m.swappiness = opt_int<uint64_t>(j, "swappiness", p);
  m.disable_oom_killer = opt_bool(j, "disableOOMKiller", p);
  m.use_hierarchy = opt_bool(j, "useHierarchy", p);
  return m;
}

Cpu parse_cpu(const Json& j, const std::string& p) {
  Cpu c;
  c.shares = opt_int<uint64_t>(j, "shares", p);
  c.quota = opt_int<int64_t>(j, "quota", p);
  c.period = opt_int<uint64_t>(j, "period", p);
  c.realtime_runtime = opt_int<int64_t>(j, "realtimeRuntime", p);
  c.realtime_period = opt_int<uint64_t>(j, "realtimePeriod", p);
  c.cpus = get_string(j, "cpus", p);
  c.mems = get_string(j, "mems", p);
  return c;
}

BlockIo parse_block_io(const Json& j, const std::string& p) {
  return BlockIo{opt_int<uint16_t>(j, "weight", p), opt_int<uint16_t>(j, "leafWeight", p)};
}

HugepageLimit parse_hugepage_limit(const Json& j, const std::string& p) {
  as_object(j, p);
  return HugepageLimit{required_string(j, "pageSize", p), get_int<uint64_t>(j, "limit", p)};
}

InterfacePriority parse_priority(const Json& j, const std::string& p) {
  as_object(j, p);
  return InterfacePriority{required_string(j, "name", p), get_int<uint32_t>(j, "priority", p)};
}

Network parse_network(const Json& j, const std::string& p) {
  return Network{opt_int<uint32_t>(j, "classID", p), get_array(j, "priorities", p, parse_priority)};
}

Resources parse_resources(const Json& j, const std::string& p) {
  Resources r;
  r.devices = get_array(j, "devices", p, parse_device_cgroup);
  r.memory = opt_object(j, "memory", p, parse_memory);
  r.cpu = opt_object(j, "cpu", p, parse_cpu);
  r.pids = opt_object(j, "pids", p, [](const Json& o, const std::string& pp) {
    return Pids{get_int<int64_t>(o, "limit", pp)};
  });
  r.block_io = opt_object(j, "blockIO", p, parse_block_io);
  r.hugepage_limits = get_array(j, "hugepageLimits", p, parse_hugepage_limit);
  r.network = opt_object(j, "network", p, parse_network);
  return r;
}

Linux parse_linux(const Json& j, const std::string& p) {
  Linux l;
  l.uid_mappings = get_array(j, "uidMappings", p, parse_id_mapping);
  l.gid_mappings = get_array(j, "gidMappings", p, parse_id_mapping);
  l.sysctl = get_string_map(j, "sysctl", p);
  l.resources = opt_object(j, "resources", p, parse_resources);
  l.cgroups_path = get_string(j, "cgroupsPath", p);
  l.namespaces = get_array(j, "namespaces", p, parse_namespace);
  l.devices = get_array(j, "devices", p, parse_device);
  if (const Json* s = find(j, "seccomp")) l.seccomp = as_object(*s, child(p, "seccomp"));
  l.rootfs_propagation = get_string(j, "rootfsPropagation", p);
  l.masked_paths = get_strings(j, "maskedPaths", p);
  l.readonly_paths = get_strings(j, "readonlyPaths", p);
  l.mount_label = get_string(j, "mountLabel", p);
  return l;
}

RuntimeSpec parse_spec(const Json& j) {
  RuntimeSpec s;
  const Json* version = find(j, "ociVersion");
  if (!version) fail("ociVersion", "must be a string");
  s.oci_version = as_string(*version, "ociVersion");
  s.process = opt_object(j, "process", "", parse_process);
  s.root = opt_object(j, "root", "", parse_root);
  s.hostname = get_string(j, "hostname", "");
  s.domainname = get_string(j, "domainname", "");
  s.mounts = get_array(j, "mounts", "", parse_mount);
  s.hooks = opt_object(j, "hooks", "", parse_hooks);
  s.annotations = get_string_map(j, "annotations", "");
  s.linux = opt_object(j, "linux", "", parse_linux);
  return s;
}

// ---- writing: Go's field order; optional and empty fields left out as omitempty does ----

template <typename T>
void put_opt(Json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

void put_str(Json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

template <typename T>
void put_vec(Json& j, const char* key, const std::vector<T>& v) {
  if (!v.empty()) j[key] = v;
}

template <typename T, typename F>
void put_each(Json& j, const char* key, const std::vector<T>& v, F to_json) {
  if (v.empty()) return;
  Json a = Json::array();
  for (const auto& e : v) a.push_back(to_json(e));
  j[key] = std::move(a);
}

Json user_json(const User& u) {
  Json j = {{"uid", u.uid}, {"gid", u.gid}};
  put_opt(j, "umask", u.umask);
  put_vec(j, "additionalGids", u.additional_gids);
  put_str(j, "username", u.username);
  return j;
}

Json capabilities_json(const Capabilities& c) {
  Json j = Json::object();
  put_vec(j, "bounding", c.bounding);
  put_vec(j, "effective", c.effective);
  put_vec(j, "inheritable", c.inheritable);
  put_vec(j, "permitted", c.permitted);
  put_vec(j, "ambient", c.ambient);
  return j;
}

Json process_json(const Process& p) {
  Json j = Json::object();
  if (p.terminal) j["terminal"] = true;
  if (p.console_size)
    j["consoleSize"] = {{"height", p.console_size->height}, {"width", p.console_size->width}};
  j["user"] = user_json(p.user);
  put_vec(j, "args", p.args);
  put_vec(j, "env", p.env);
  j["cwd"] = p.cwd;
  if (p.capabilities) j["capabilities"] = capabilities_json(*p.capabilities);
  put_each(j, "rlimits", p.rlimits, [](const Rlimit& r) {
    return Json{{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}};
  });
  if (p.no_new_privileges) j["noNewPrivileges"] = true;
  put_str(j, "apparmorProfile", p.apparmor_profile);
  put_opt(j, "oomScoreAdj", p.oom_score_adj);
  put_str(j, "selinuxLabel", p.selinux_label);
  return j;
}

Json mount_json(const Mount& m) {
  Json j = {{"destination", m.destination}};
  put_str(j, "type", m.type);
  put_str(j, "source", m.source);
  put_vec(j, "options", m.options);
  return j;
}

Json hook_json(const Hook& h) {
  Json j = {{"path", h.path}};
  put_vec(j, "args", h.args);
  put_vec(j, "env", h.env);
  put_opt(j, "timeout", h.timeout);
  return j;
}

Json hooks_json(const Hooks& h) {
  Json j = Json::object();
  put_each(j, "prestart", h.prestart, hook_json);
  put_each(j, "createRuntime", h.create_runtime, hook_json);
  put_each(j, "createContainer", h.create_container, hook_json);
  put_each(j, "startContainer", h.start_container, hook_json);
  put_each(j, "poststart", h.poststart, hook_json);
  put_each(j, "poststop", h.poststop, hook_json);
  return j;
}

Json device_cgroup_json(const DeviceCgroup& d) {
  Json j = {{"allow", d.allow}};
  put_str(j, "type", d.type);
  put_opt(j, "major", d.major);
  put_opt(j, "minor", d.minor);
  put_str(j, "access", d.access);
  return j;
}

Json memory_json(const Memory& m) {
  Json j = Json::object();
  put_opt(j, "limit", m.limit);
  put_opt(j, "reservation", m.reservation);
  put_opt(j, "swap", m.swap);
  put_opt(j, "kernel", m.kernel);
  put_opt(j, "kernelTCP", m.kernel_tcp);
  put_opt(j, "swappiness", m.swappiness);
  put_opt(j, "disableOOMKiller", m.disable_oom_killer);
  put_opt(j, "useHierarchy", m.use_hierarchy);
  return j;
}

Json cpu_json(const Cpu& c) {
  Json j = Json::object();
  put_opt(j, "shares", c.shares);
  put_opt(j, "quota", c.quota);
  put_opt(j, "period", c.period);
  put_opt(j, "realtimeRuntime", c.realtime_runtime);
  put_opt(j, "realtimePeriod", c.realtime_period);
  put_str(j, "cpus", c.cpus);
  put_str(j, "mems", c.mems);
  return j;
}

Json resources_json(const Resources& r) {
  Json j = Json::object();
  put_each(j, "devices", r.devices, device_cgroup_json);
  if (r.memory) j["memory"] = memory_json(*r.memory);
  if (r.cpu) j["cpu"] = cpu_json(*r.cpu);
  if (r.pids) j["pids"] = {{"limit", r.pids->limit}};
  if (r.block_io) {
    Json b = Json::object();
    put_opt(b, "weight", r.block_io->weight);
    put_opt(b, "leafWeight", r.block_io->leaf_weight);
    j["blockIO"] = std::move(b);
  }
  put_each(j, "hugepageLimits", r.hugepage_limits, [](const HugepageLimit& h) {
    return Json{{"pageSize", h.page_size}, {"limit", h.limit}};
  });
  if (r.network) {
    Json n = Json::object();
    put_opt(n, "classID", r.network->class_id);
    put_each(n, "priorities", r.network->priorities, [](const InterfacePriority& ip) {
      return Json{{"name", ip.name}, {"priority", ip.priority}};
    });
    j["network"] = std::move(n);
  }
  return j;
}

Json id_mapping_json(const IdMapping& m) {
  return Json{{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}};
}

Json device_json(const LinuxDevice& d) {
  Json j = {{"path", d.path}, {"type", d.type}, {"major", d.major}, {"minor", d.minor}};
  put_opt(j, "fileMode", d.file_mode);
  put_opt(j, "uid", d.uid);
  put_opt(j, "gid", d.gid);
  return j;
}

Json linux_json(const Linux& l) {
  Json j = Json::object();
  put_each(j, "uidMappings", l.uid_mappings, id_mapping_json);
  put_each(j, "gidMappings", l.gid_mappings, id_mapping_json);
  if (!l.sysctl.empty()) j["sysctl"] = l.sysctl;
  if (l.resources) j["resources"] = resources_json(*l.resources);
  put_str(j, "cgroupsPath", l.cgroups_path);
  put_each(j, "namespaces", l.namespaces, [](const Namespace& ns) {
    Json n = {{"type", ns.type}};
    put_str(n, "path", ns.path);
    return n;
  });
  put_each(j, "devices", l.devices, device_json);
  if (l.seccomp) j["seccomp"] = *l.seccomp;
  put_str(j, "rootfsPropagation", l.rootfs_propagation);
  put_vec(j, "maskedPaths", l.masked_paths);
  put_vec(j, "readonlyPaths", l.readonly_paths);
  put_str(j, "mountLabel", l.mount_label);
  return j;
}

}  // namespace

Result<RuntimeSpec> parse_runtime_spec(std::string_view json) {
  Json j = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument("config.json: not valid JSON");
  if (!j.is_object()) return invalid_argument("config.json: must be a JSON object");
  try {
    return parse_spec(j);
  } catch (const FieldError& e) {
    return invalid_argument("config.json: " + e.message);
  } catch (const std::exception& e) {
    return invalid_argument(std::string("config.json: ") + e.what());
  }
}

std::string serialize_runtime_spec(const RuntimeSpec& s) {
  Json j = {{"ociVersion", s.oci_version}};
  if (s.process) j["process"] = process_json(*s.process);
  if (s.root) {
    Json r = {{"path", s.root->path}};
    if (s.root->readonly) r["readonly"] = true;
    j["root"] = std::move(r);
  }
  put_str(j, "hostname", s.hostname);
  put_str(j, "domainname", s.domainname);
  put_each(j, "mounts", s.mounts, mount_json);
  if (s.hooks) j["hooks"] = hooks_json(*s.hooks);
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  if (s.linux) j["linux"] = linux_json(*s.linux);
  // Invalid UTF-8 (an env value, say) becomes U+FFFD, as Go's encoder does, instead of throwing.
  return j.dump(1, '\t', false, Json::error_handler_t::replace);
}

RuntimeSpec example_spec() {
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  RuntimeSpec s;
  s.oci_version = kOciVersion;
  Process p;
  p.terminal = true;
  p.args = {"sh"};
  p.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  p.cwd = "/";
  p.capabilities = Capabilities{caps, caps, {}, caps, caps};
  p.rlimits = {Rlimit{"RLIMIT_NOFILE", 1024, 1024}};
  p.no_new_privileges = true;
  s.process = std::move(p);
  s.root = Root{"rootfs", true};
  s.hostname = "runc";
  const std::vector<std::string> nsd = {"nosuid", "noexec", "nodev"};
  s.mounts = {
      {"/proc", "proc", "proc", {}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {"/dev/mqueue", "mqueue", "mqueue", nsd},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
  };
  Linux l;
  l.resources = Resources{};
  l.resources->devices = {DeviceCgroup{false, "", std::nullopt, std::nullopt, "rwm"}};
  l.namespaces = {{"pid", ""}, {"network", ""}, {"ipc", ""}, {"uts", ""}, {"mount", ""}};
  l.masked_paths = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                    "/proc/scsi"};
  l.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  s.linux = std::move(l);
  return s;
}

}  // namespace berth::oci
