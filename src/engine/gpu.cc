// Container devices from --gpus and CDI (see gpu.h).
#include "engine/gpu.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>

#include "base/fs.h"
#include "base/strings.h"
#include "gpu/gpu.h"
#include "gpu/request.h"
#include "engine/external_runtime.h"
#include "runtime/spec.h"

namespace berth::engine {
namespace {

// Debian-like images load from the multiarch directory, Red Hat-like ones from /usr/lib64.
std::string library_dir(const std::vector<std::string>& lowers) {
  for (const auto& dir : lowers) {
    struct stat st;
    if (::lstat(path_join(dir, "usr/lib/x86_64-linux-gnu").c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      return "/usr/lib/x86_64-linux-gnu";
    if (::lstat(path_join(dir, "usr/lib64").c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      return "/usr/lib64";
  }
  return "/usr/lib/x86_64-linux-gnu";
}

void add_hook(oci::Hooks& hooks, const gpu::Hook& h) {
  oci::Hook o{h.path, h.args, h.env, h.timeout};
  if (h.hook_name == "prestart") hooks.prestart.push_back(o);
  else if (h.hook_name == "createRuntime") hooks.create_runtime.push_back(o);
  else if (h.hook_name == "createContainer") hooks.create_container.push_back(o);
  else if (h.hook_name == "startContainer") hooks.start_container.push_back(o);
  else if (h.hook_name == "poststart") hooks.poststart.push_back(o);
  else if (h.hook_name == "poststop") hooks.poststop.push_back(o);
}

// The last value of `key` in KEY=VALUE entries; nullopt when absent.
std::optional<std::string> env_value(const std::vector<std::string>& env, const std::string& key) {
  std::optional<std::string> v;
  for (const auto& e : env) {
    auto kv = split_once(e, '=');
    if (kv.first == key) v = kv.found ? kv.second : "";
  }
  return v;
}

}  // namespace

std::string effective_runtime(const std::string& requested) {
  if (requested != "nvidia" || resolve_runtime("nvidia").ok()) return requested;
  auto toolkit = resolve_runtime("nvidia-container-runtime");
  return toolkit.ok() ? *toolkit : "";
}

Result<ContainerDevices> resolve_container_devices(const RunRequest& req,
                                                   std::vector<std::string>& devices,
                                                   const std::vector<std::string>& env,
                                                   const std::vector<std::string>& lowers) {
  ContainerDevices out;
  std::vector<std::string> cdi, host;
  for (auto& d : devices) (gpu::is_cdi_name(d) ? cdi : host).push_back(d);
  devices = std::move(host);
  std::string gpus = req.gpus;
  if (gpus.empty() && req.runtime == "nvidia" && effective_runtime("nvidia").empty()) {
    // What nvidia-container-runtime reads: unset, "", none and void mean no GPU.
    auto visible = env_value(env, "NVIDIA_VISIBLE_DEVICES").value_or("");
    if (visible == "all") gpus = "all";
    else if (!visible.empty() && visible != "none" && visible != "void") gpus = "\"device=" + visible + "\"";
  }
  if (gpus.empty() && cdi.empty()) return out;
  auto gh = gpu::GpuHost::from_env();
  if (!gpus.empty()) {
    auto r = gpu::parse_gpus(gpus);
    if (!r.ok())
      return invalid_argument("invalid argument \"" + gpus + "\" for \"--gpus\" flag: " +
                              r.error().message());
    BERTH_ASSIGN_OR_RETURN(auto e, gpu::resolve_device_request(*r, gh, env, library_dir(lowers)));
    out.edits.merge(e);
    out.device_requests.push_back(gpu::to_json(*r));
  }
  if (!cdi.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto e, gpu::resolve_cdi_devices(cdi, gh));
    out.edits.merge(e);
    gpu::DeviceRequest r;
    r.driver = "cdi";
    r.device_ids = cdi;
    r.capabilities = {{"cdi"}};
    out.device_requests.push_back(gpu::to_json(r));
  }
  return out;
}

Status apply_container_edits(const gpu::ContainerEdits& edits, oci::RuntimeSpec& spec,
                             bool privileged) {
  if (edits.empty()) return ok_status();
  auto& env = spec.process->env;
  for (const auto& e : edits.env) {
    auto key = split_once(e, '=').first + "=";
    std::erase_if(env, [&](const std::string& x) { return x.rfind(key, 0) == 0; });
    env.push_back(e);
  }
  auto& lin = *spec.linux;
  if (!lin.resources) lin.resources.emplace();
  for (const auto& n : edits.device_nodes) {
    std::vector<oci::LinuxDevice> nodes;
    std::vector<oci::DeviceCgroup> rules;
    std::string perms = n.permissions.empty() ? "rwm" : n.permissions;
    if (n.major && n.minor) {
      std::string type = n.type.empty() ? "c" : n.type;
      nodes.push_back({n.path, type, *n.major, *n.minor, n.file_mode.value_or(0666), n.uid, n.gid});
      rules.push_back({true, type, *n.major, *n.minor, perms});
    } else {
      runtime::DeviceMapping m{n.host_path.empty() ? n.path : n.host_path, n.path, perms};
      auto g = runtime::devices_from_path(m);
      if (!g.ok()) return std::move(g).error();
      for (auto& d : g->nodes) {
        if (n.file_mode) d.file_mode = n.file_mode;
        if (n.uid) d.uid = n.uid;
        if (n.gid) d.gid = n.gid;
      }
      nodes = std::move(g->nodes);
      rules = std::move(g->rules);
    }
    for (auto& d : nodes) {
      std::erase_if(lin.devices, [&](const oci::LinuxDevice& x) { return x.path == d.path; });
      lin.devices.push_back(std::move(d));
    }
    if (!privileged)
      lin.resources->devices.insert(lin.resources->devices.end(), rules.begin(), rules.end());
  }
  for (const auto& m : edits.mounts) {
    std::string type = m.type.empty() ? "bind" : m.type;
    std::vector<std::string> opts = m.options;
    if (opts.empty()) opts = {"ro", "nosuid", "nodev"};
    if (type == "bind" && std::none_of(opts.begin(), opts.end(), [](const std::string& o) {
          return o == "bind" || o == "rbind";
        }))
      opts.push_back("rbind");
    std::erase_if(spec.mounts, [&](const oci::Mount& x) { return x.destination == m.container_path; });
    spec.mounts.push_back({m.container_path, type, m.host_path, std::move(opts)});
  }
  if (!edits.hooks.empty()) {
    if (!spec.hooks) spec.hooks.emplace();
    for (const auto& h : edits.hooks) add_hook(*spec.hooks, h);
  }
  for (auto g : edits.additional_gids) {
    auto& gids = spec.process->user.additional_gids;
    if (std::find(gids.begin(), gids.end(), g) == gids.end()) gids.push_back(g);
  }
  return ok_status();
}

}  // namespace berth::engine
