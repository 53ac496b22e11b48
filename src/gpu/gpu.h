// Devices for containers: `--gpus` and CDI names in `--device`, resolved into ContainerEdits.
//
// `--gpus` prefers a CDI spec of kind nvidia.com/gpu (what `nvidia-ctk cdi generate` writes, the
// path NVIDIA recommends), and falls back to berth's own NVIDIA discovery (nvidia.h) when there
// is none, so no nvidia-container-toolkit is needed. Docker needs the toolkit's hook or runtime
// for --gpus; berth does not.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "gpu/cdi.h"
#include "gpu/edits.h"
#include "gpu/mig.h"
#include "gpu/request.h"

namespace berth::gpu {

struct GpuHost {
  std::string driver_root = "/";                            // BERTH_NVIDIA_DRIVER_ROOT
  std::vector<std::string> cdi_dirs = default_cdi_dirs();   // BERTH_CDI_SPEC_DIRS (colon list)
  SmiRunner nvidia_smi;  // lists MIG devices (mig.h); unset: host_nvidia_smi(driver_root)
  // Reads the two variables above (for a driver in another tree, or spec dirs elsewhere).
  static GpuHost from_env();
};

// One --gpus request. Errors are Docker's: could not select device driver "x" with
// capabilities: [[gpu]] (plus why), or the CDI/discovery error naming the device.
Result<ContainerEdits> resolve_device_request(const DeviceRequest& r, const GpuHost& host,
                                              const std::vector<std::string>& image_env,
                                              const std::string& container_lib_dir);

// CDI names given to --device.
Result<ContainerEdits> resolve_cdi_devices(const std::vector<std::string>& names,
                                           const GpuHost& host);

}  // namespace berth::gpu
