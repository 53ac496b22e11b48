// MIG (Multi-Instance GPU) devices for `--gpus` and NVIDIA_VISIBLE_DEVICES, as NVIDIA's toolkit
// takes them: `device=0:1` (GPU index 0, MIG device index 1), `MIG-<uuid>` (a unique prefix is
// enough), and the older `MIG-GPU-<gpu uuid>/<gi>/<ci>`.
//
// A MIG device is a compute instance (CI) inside a GPU instance (GI) of a partitioned GPU. The
// driver guards each with a capability device: a container given one gets the parent GPU's
// /dev/nvidiaN (from nvidia_edits) plus /dev/nvidia-caps/nvidia-cap<minor> for its GI and its
// CI, the minors read from <root>/proc/driver/nvidia/capabilities/gpu<GPU minor>/mig/gi<G>/access
// and .../gi<G>/ci<C>/access ("DeviceFileMinor: N"). The `mig-config` and `mig-monitor` driver
// capabilities (or NVIDIA_MIG_CONFIG_DEVICES / NVIDIA_MIG_MONITOR_DEVICES=all in the image's
// environment) add the nodes of .../capabilities/mig/config and .../mig/monitor.
//
// Which MIG devices exist, their index and UUID come from `nvidia-smi -L` ("MIG 1g.10gb Device
// 0: (UUID: MIG-...)"), their GI and CI from the "MIG devices" table of plain `nvidia-smi`; both
// are asked only when a MIG device is requested, through an SmiRunner that tests replace.
#pragma once

#include <functional>
#include <set>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "gpu/edits.h"
#include "gpu/nvidia.h"

namespace berth::gpu {

struct MigDevice {
  int gpu_index = 0;    // the parent GPU's index (nvidia-smi's order, as NvidiaDriver::gpus)
  int index = 0;        // on that GPU: nvidia-smi -L's "Device N", what `device=G:N` names
  std::string uuid;     // "MIG-..." (the old form carries the GPU's UUID, GI and CI)
  std::string profile;  // "1g.10gb"
  int gi = -1, ci = -1;  // GPU instance and compute instance ids; -1 until known
  bool operator==(const MigDevice&) const = default;
};

// Runs nvidia-smi with `args` and returns its standard output.
using SmiRunner = std::function<Result<std::string>(const std::vector<std::string>& args)>;
// The driver tree's nvidia-smi (<root>/usr/bin, ...; $PATH when root is "/").
// A wedged driver can hang nvidia-smi: after `timeout` it is killed and the run fails
// (kUnavailable, naming the command), so `run --gpus` does not hang with it.
SmiRunner host_nvidia_smi(const std::string& root,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

// `nvidia-smi -L`: the MIG lines under each "GPU N:" line (old-form UUIDs also give gi/ci).
std::vector<MigDevice> parse_smi_list(std::string_view text);
// Plain `nvidia-smi`: the "MIG devices" table's rows "| GPU GI CI MIG |" set gi/ci of `migs`.
void parse_smi_mig_table(std::string_view text, std::vector<MigDevice>& migs);

// Every MIG device of the driver's GPUs. A GPU whose table rows are missing gets its GI/CI
// pairs from /proc/driver/nvidia/capabilities in order when their count matches.
Result<std::vector<MigDevice>> discover_mig(const NvidiaDriver& driver, const SmiRunner& smi);

// True for the ids above (a MIG device, not a whole GPU).
bool is_mig_id(std::string_view id);

// A MIG device picked for a container: its parent GPU and its instance ids.
struct MigChoice {
  NvidiaGpu parent;
  int gi = -1, ci = -1;
  std::string id;  // as the user wrote it, for errors
};

// Resolves one MIG id. `migs` is discovered on first need (the old form needs no nvidia-smi).
// Errors (kNotFound) name the id and say what exists.
Result<MigChoice> select_mig(const NvidiaDriver& driver, const std::string& id,
                             const std::function<Result<std::vector<MigDevice>>()>& migs);

// The capability device nodes for `choices` and the asked admin capabilities ("mig-config",
// "mig-monitor"). Errors name the /proc file or /dev node that is missing.
Result<ContainerEdits> mig_edits(const NvidiaDriver& driver, const std::vector<MigChoice>& choices,
                                 const std::set<std::string>& capabilities);

}  // namespace berth::gpu
