// `inspect` of a container: Docker's JSON shape, from the record and its stored config.
#include "base/fs.h"
#include "base/strings.h"
#include "engine/engine.h"
#include "engine/health.h"
#include "engine/network.h"
#include "format/units.h"
#include "runtime/spec.h"

namespace berth::engine {

Result<Json> Engine::inspect_container(std::string_view name_or_id) {
  BERTH_ASSIGN_OR_RETURN(auto c, find_container(name_or_id));
  Json conf = Json::parse(c.config, nullptr, false);
  if (conf.is_discarded()) conf = Json::object();
  auto time_or_zero = [](int64_t ns) {
    return ns > 0 ? format::format_rfc3339_nano(ns) : std::string("0001-01-01T00:00:00Z");
  };
  auto get = [&](const char* k, Json dflt) { return conf.contains(k) ? conf[k] : dflt; };
  std::vector<std::string> cmd = get("Cmd", Json::array()).get<std::vector<std::string>>();
  std::string dir = container_dir(c.id);
  Json j = Json::object();
  j["Id"] = c.id;
  j["Created"] = format::format_rfc3339_nano(c.created);
  j["Path"] = cmd.empty() ? "" : cmd.front();
  j["Args"] = cmd.size() > 1 ? Json(std::vector<std::string>(cmd.begin() + 1, cmd.end()))
                             : Json::array();
  auto frozen = is_paused(c);
  bool paused = frozen.ok() && *frozen;
  j["State"] = {{"Status", paused ? "paused" : c.state},
                // Docker: a container between two runs of its restart policy is still Running.
                {"Running", c.state == "running" || c.state == "restarting"},
                {"Paused", paused},
                {"Restarting", c.state == "restarting"},
                {"OOMKilled", c.oom_killed},
                {"Dead", c.state == "dead"},
                {"Pid", c.state == "running" ? c.pid : 0},
                {"ExitCode", c.exit_code},
                {"Error", c.error},
                {"StartedAt", time_or_zero(c.started_at)},
                {"FinishedAt", time_or_zero(c.finished_at)}};
  if (conf.contains("Healthcheck"))
    if (auto h = read_health(container_dir(c.id))) j["State"]["Health"] = *h;
  j["Image"] = c.image_id;
  j["ResolvConfPath"] = path_join(dir, "resolv.conf");
  j["HostnamePath"] = path_join(dir, "hostname");
  j["HostsPath"] = path_join(dir, "hosts");
  std::string log_type = conf.contains("LogConfig") ? conf["LogConfig"].value("Type", "json-file")
                                                     : std::string("json-file");
  j["LogPath"] = log_type == "json-file" ? container_log_path(c.id) : "";
  j["Name"] = "/" + c.name;
  auto restarts = read_file(path_join(dir, "restart_count"));
  j["RestartCount"] = restarts.ok() ? std::atoi(restarts->c_str()) : 0;
  j["Driver"] = "overlay2";
  j["Platform"] = "linux";
  std::string network = get("NetworkMode", "none").get<std::string>();
  Json host_mounts = Json::array();
  for (const auto& spec : get("HostMounts", Json::array())) {
    auto m = parse_mount_flag(spec.get<std::string>());
    if (!m.ok()) continue;
    Json hm = {{"Type", m->type}, {"Source", m->source}, {"Target", m->target}};
    if (m->readonly) hm["ReadOnly"] = true;
    host_mounts.push_back(hm);
  }
  j["HostConfig"] = {{"Binds", get("Binds", Json::array())},
                     {"Mounts", host_mounts},
                     {"NetworkMode", network},
                     {"RestartPolicy", get("RestartPolicy", Json({{"Name", "no"}, {"MaximumRetryCount", 0}}))},
                     {"LogConfig",
                      {{"Type", log_type},
                       {"Config", conf.contains("LogConfig") ? conf["LogConfig"]["Config"]
                                                             : Json::object()}}},
                     {"AutoRemove", get("AutoRemove", false)},
                     {"Init", get("Init", false)},
                     {"CapAdd", get("CapAdd", Json::array())},
                     {"CapDrop", get("CapDrop", Json::array())},
                     {"Privileged", get("Privileged", false)},
                     {"ReadonlyRootfs", get("ReadonlyRootfs", false)},
                     {"SecurityOpt", get("SecurityOpt", Json::array())},
                     {"ShmSize", get("ShmSize", 0)},
                     {"Memory", get("Memory", 0)},
                     {"MemorySwap", get("MemorySwap", 0)},
                     {"NanoCpus", get("NanoCpus", 0)},
                     {"CpuShares", get("CpuShares", 0)},
                     {"CpusetCpus", get("CpusetCpus", "")},
                     {"PidsLimit", get("PidsLimit", 0)},
                     {"Ulimits", get("Ulimits", Json::array())}};
  Json devices = Json::array();
  for (const auto& d : get("Devices", Json::array())) {
    auto m = runtime::parse_device(d.get<std::string>());
    if (m.ok())
      devices.push_back({{"PathOnHost", m->host_path},
                         {"PathInContainer", m->container_path},
                         {"CgroupPermissions", m->permissions}});
  }
  j["HostConfig"]["Devices"] = devices;
  j["HostConfig"]["Runtime"] = get("RuntimeName", "berth");
  j["HostConfig"]["UsernsMode"] = get("UsernsMode", "");
  Json requests = get("DeviceRequests", Json::array());
  j["HostConfig"]["DeviceRequests"] = requests.empty() ? Json(nullptr) : requests;
  Json gd = Json::object();
  std::string lower;
  if (!c.top_layer.empty()) {
    auto dirs = store_->layers().lowerdirs(c.top_layer);
    if (dirs.ok()) lower = join(*dirs, ":");
  }
  gd["Data"] = {{"LowerDir", lower},
                {"MergedDir", path_join(dir, "rootfs")},
                {"UpperDir", path_join(dir, "upper")},
                {"WorkDir", path_join(dir, "work")}};
  gd["Name"] = "overlay2";
  j["GraphDriver"] = gd;
  Json mounts = Json::array();
  for (auto m : get("Mounts", Json::array())) {
    m.erase("Anonymous");  // berth's own bookkeeping, not Docker's shape
    mounts.push_back(std::move(m));
  }
  j["Mounts"] = mounts;
  j["Config"] = {{"Hostname", get("Hostname", "")},
                 {"Domainname", ""},
                 {"User", get("User", "")},
                 {"AttachStdin", false},
                 {"AttachStdout", true},
                 {"AttachStderr", true},
                 {"Tty", get("Tty", false)},
                 {"OpenStdin", get("OpenStdin", false)},
                 {"StdinOnce", false},
                 {"Env", get("Env", Json::array())},
                 {"Cmd", conf.contains("ConfigCmd") ? conf["ConfigCmd"] : Json(cmd)},
                 {"Image", get("Image", c.image_ref)},
                 {"Volumes", nullptr},
                 {"WorkingDir", get("WorkingDir", "")},
                 {"Entrypoint", get("ConfigEntrypoint", nullptr)},
                 {"OnBuild", nullptr},
                 {"Labels", get("Labels", Json::object())}};
  if (conf.contains("Healthcheck")) j["Config"]["Healthcheck"] = conf["Healthcheck"];
  if (!get("StopSignal", "").get<std::string>().empty())
    j["Config"]["StopSignal"] = get("StopSignal", "");
  j["HostConfig"]["PortBindings"] = port_bindings(c);
  j["NetworkSettings"] = network_settings(*this, c);
  return j;
}

}  // namespace berth::engine
