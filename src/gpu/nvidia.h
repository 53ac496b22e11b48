// NVIDIA GPUs without a CDI spec: what nvidia-container-cli finds, found by berth itself.
//
// The driver is read from <root>/proc/driver/nvidia (version, one `information` file per GPU
// with its minor number and UUID) and <root>/dev/nvidia*. The edits give the container the
// control nodes (nvidiactl, nvidia-uvm, nvidia-uvm-tools), one /dev/nvidiaN per chosen GPU, and
// read-only bind mounts of the driver's user-space libraries (under their file name and their
// soname) and tools (nvidia-smi, ...) for the asked driver capabilities. `root` is "/" except
// when the driver lives in another tree (a driver container, or a test's fake driver).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "gpu/edits.h"
#include "gpu/request.h"

namespace berth::gpu {

struct NvidiaGpu {
  int minor = 0;        // /dev/nvidia<minor>
  std::string uuid;     // GPU-..., "" when the driver does not say
  std::string model;    // "NVIDIA H200"
  std::string bus_id;   // PCI address, the order nvidia-smi indexes by
  bool operator==(const NvidiaGpu&) const = default;
};

struct NvidiaDriver {
  std::string root = "/";
  std::string version;          // "580.159.04", "" when unknown
  std::vector<NvidiaGpu> gpus;  // index order
};

// kNotFound when there is no NVIDIA driver or no GPU.
Result<NvidiaDriver> discover_nvidia(const std::string& root);

// The GPUs a request picks: all (-1), the first N, or by index / UUID (a unique UUID prefix
// is enough). Errors name the missing device.
Result<std::vector<NvidiaGpu>> select_gpus(const NvidiaDriver& driver, const DeviceRequest& r);

// Driver capabilities: the request's (besides "gpu" and "nvidia"), else the image's
// NVIDIA_DRIVER_CAPABILITIES, else {compute, utility} as NVIDIA's toolkit defaults; "all" means
// compute, utility, video, graphics and display. Plus MIG's "mig-config" / "mig-monitor" when
// asked (as capabilities, or NVIDIA_MIG_CONFIG_DEVICES / NVIDIA_MIG_MONITOR_DEVICES=all).
std::set<std::string> driver_capabilities(const DeviceRequest& r,
                                          const std::vector<std::string>& image_env);

// The edits for `gpus`: device nodes, library mounts into `container_lib_dir` (e.g.
// /usr/lib/x86_64-linux-gnu), tool mounts into /usr/bin. kNotFound if /dev/nvidiactl is absent.
Result<ContainerEdits> nvidia_edits(const NvidiaDriver& driver, const std::vector<NvidiaGpu>& gpus,
                                    const std::set<std::string>& capabilities,
                                    const std::string& container_lib_dir);

}  // namespace berth::gpu
