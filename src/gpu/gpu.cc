// --gpus and CDI device resolution (see gpu.h).
#include "gpu/gpu.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <spdlog/spdlog.h>
#include "base/strings.h"
#include "gpu/nvidia.h"

namespace berth::gpu {
namespace {

constexpr const char* kNvidiaKind = "nvidia.com/gpu";

std::string caps_text(const DeviceRequest& r) {
  std::string s = "[";
  for (size_t i = 0; i < r.capabilities.size(); ++i) {
    if (i) s += " ";
    s += "[" + join(r.capabilities[i], " ") + "]";
  }
  return s + "]";
}

Error no_driver(const DeviceRequest& r, const std::string& why) {
  std::string msg = "could not select device driver \"" + r.driver + "\" with capabilities: " +
                    caps_text(r);
  if (!why.empty()) msg += ": " + why;
  return failed_precondition(msg);
}

CdiRegistry load_registry(const GpuHost& host) {
  auto reg = CdiRegistry::load(host.cdi_dirs);
  for (const auto& e : reg.errors()) spdlog::warn("skipping CDI spec {}", e);
  return reg;
}

}  // namespace

GpuHost GpuHost::from_env() {
  GpuHost h;
  if (const char* r = std::getenv("BERTH_NVIDIA_DRIVER_ROOT"); r && *r) h.driver_root = r;
  if (const char* d = std::getenv("BERTH_CDI_SPEC_DIRS"); d && *d) {
    h.cdi_dirs.clear();
    for (const auto& p : split(d, ':'))
      if (!p.empty()) h.cdi_dirs.push_back(p);
  }
  return h;
}

Result<ContainerEdits> resolve_device_request(const DeviceRequest& r, const GpuHost& host,
                                              const std::vector<std::string>& image_env,
                                              const std::string& container_lib_dir) {
  if (r.driver == "cdi") return resolve_cdi_devices(r.device_ids, host);
  if (!r.driver.empty() && r.driver != "nvidia") return no_driver(r, "");
  auto reg = load_registry(host);
  if (reg.has_kind(kNvidiaKind)) {
    std::vector<std::string> names;
    if (!r.device_ids.empty()) {
      for (const auto& id : r.device_ids) names.push_back(std::string(kNvidiaKind) + "=" + id);
    } else if (r.count < 0) {
      names.push_back(std::string(kNvidiaKind) + "=all");
    } else {
      for (const auto& n : reg.device_names()) {
        if (n.rfind(std::string(kNvidiaKind) + "=", 0) != 0 || n.ends_with("=all")) continue;
        if (names.size() == static_cast<size_t>(r.count)) break;
        names.push_back(n);
      }
      if (names.size() < static_cast<size_t>(r.count))
        return no_driver(r, "requested " + std::to_string(r.count) + " GPUs but the CDI specs name " +
                                std::to_string(names.size()));
    }
    return reg.resolve(names);
  }
  auto driver = discover_nvidia(host.driver_root);
  if (!driver.ok()) return no_driver(r, driver.error().message());
  // Whole GPUs by index or UUID; MIG devices (mig.h) by G:N or MIG-..., with their parent GPU.
  DeviceRequest whole = r;
  whole.device_ids.clear();
  std::vector<std::string> mig_ids;
  for (const auto& id : r.device_ids) (is_mig_id(id) ? mig_ids : whole.device_ids).push_back(id);
  std::vector<NvidiaGpu> gpus;
  if (mig_ids.empty() || !whole.device_ids.empty()) {
    BERTH_ASSIGN_OR_RETURN(gpus, select_gpus(*driver, whole));
  }
  std::optional<std::vector<MigDevice>> migs;  // asked of nvidia-smi once, on first need
  SmiRunner smi = host.nvidia_smi ? host.nvidia_smi : host_nvidia_smi(driver->root);
  auto list = [&]() -> Result<std::vector<MigDevice>> {
    if (!migs) {
      BERTH_ASSIGN_OR_RETURN(auto found, discover_mig(*driver, smi));
      migs = std::move(found);
    }
    return *migs;
  };
  std::vector<MigChoice> chosen;
  for (const auto& id : mig_ids) {
    BERTH_ASSIGN_OR_RETURN(auto c, select_mig(*driver, id, list));
    if (std::find(gpus.begin(), gpus.end(), c.parent) == gpus.end()) gpus.push_back(c.parent);
    chosen.push_back(std::move(c));
  }
  auto caps = driver_capabilities(r, image_env);
  BERTH_ASSIGN_OR_RETURN(auto edits, nvidia_edits(*driver, gpus, caps, container_lib_dir));
  BERTH_ASSIGN_OR_RETURN(auto mig, mig_edits(*driver, chosen, caps));
  edits.merge(mig);
  return edits;
}

Result<ContainerEdits> resolve_cdi_devices(const std::vector<std::string>& names,
                                           const GpuHost& host) {
  return load_registry(host).resolve(names);
}

}  // namespace berth::gpu
