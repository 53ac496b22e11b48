// MIG devices (see mig.h).
#include "gpu/mig.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "base/command.h"
#include "base/fs.h"
#include "base/strings.h"

namespace berth::gpu {
namespace {

std::string under(const std::string& root, std::string_view path) {
  return root == "/" || root.empty() ? std::string(path) : path_join(root, path);
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int> to_int(std::string_view s) {
  s = trim(s);
  if (!is_digits(s) || s.size() > 9) return std::nullopt;
  return std::stoi(std::string(s));
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  for (auto& w : split(std::string(s), ' '))
    if (!trim(w).empty()) out.emplace_back(trim(w));
  return out;
}

// "MIG-GPU-<uuid>/<gi>/<ci>": the GPU's UUID and the ids; nullopt for any other shape.
struct OldForm {
  std::string gpu_uuid;
  int gi, ci;
};
std::optional<OldForm> parse_old_form(std::string_view id) {
  if (id.rfind("MIG-GPU-", 0) != 0) return std::nullopt;
  auto parts = split(std::string(id.substr(4)), '/');
  if (parts.size() != 3) return std::nullopt;
  auto gi = to_int(parts[1]), ci = to_int(parts[2]);
  if (parts[0].size() <= 4 || !gi || !ci) return std::nullopt;
  return OldForm{parts[0], *gi, *ci};
}

// The "DeviceFileMinor: N" of a capability's access file.
Result<int> cap_minor(const std::string& file) {
  auto text = read_file(file);
  if (!text.ok()) {
    if (text.error().code() == Code::kNotFound)
      return not_found("NVIDIA capability file " + file + " is missing");
    return std::move(text).error();
  }
  for (const auto& line : split(*text, '\n')) {
    auto kv = split_once(line, ':');
    if (trim(kv.first) == "DeviceFileMinor")
      if (auto n = to_int(kv.second)) return *n;
  }
  return invalid_argument(file + " has no DeviceFileMinor line");
}

std::string caps_dir(const NvidiaDriver& d) {
  return under(d.root, "/proc/driver/nvidia/capabilities");
}

std::string gi_dir(const NvidiaDriver& d, int gpu_minor, int gi) {
  return path_join(caps_dir(d), "gpu" + std::to_string(gpu_minor) + "/mig/gi" + std::to_string(gi));
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* dp = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(dp))
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    ::closedir(dp);
  }
  return out;
}

// The (gi, ci) pairs the driver has for a GPU, in numeric order.
std::vector<std::pair<int, int>> proc_instances(const NvidiaDriver& d, int gpu_minor) {
  std::vector<std::pair<int, int>> out;
  std::string mig = path_join(caps_dir(d), "gpu" + std::to_string(gpu_minor) + "/mig");
  for (const auto& g : list_dir(mig)) {
    if (g.rfind("gi", 0) != 0 || !to_int(g.substr(2))) continue;
    for (const auto& c : list_dir(path_join(mig, g)))
      if (c.rfind("ci", 0) == 0 && to_int(c.substr(2))) out.emplace_back(*to_int(g.substr(2)), *to_int(c.substr(2)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

SmiRunner host_nvidia_smi(const std::string& root, std::chrono::milliseconds timeout) {
  return [root, timeout](const std::vector<std::string>& args) -> Result<std::string> {
    std::string prog = "nvidia-smi";
    if (root != "/" && !root.empty()) {
      prog.clear();
      for (const char* d : {"/usr/bin", "/usr/local/nvidia/bin", "/usr/local/bin", "/bin", "/usr/sbin"}) {
        std::string p = under(root, std::string(d) + "/nvidia-smi");
        if (::access(p.c_str(), X_OK) == 0) {
          prog = p;
          break;
        }
      }
      if (prog.empty()) return not_found("no nvidia-smi in " + root + " to list MIG devices");
    }
    std::vector<std::string> argv{prog};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv, timeout);
    if (!r.ok() && r.error().code() == Code::kNotFound)
      return Error(Code::kNotFound, "cannot run " + prog + " to list MIG devices", r.error().sys_errno());
    if (!r.ok() && r.error().code() == Code::kUnavailable)
      return unavailable(prog + " " + join(args, " ") + " did not answer within " +
                         std::to_string(timeout.count()) + " ms");
    if (!r.ok()) return std::move(r).error();
    if (r->status != 0)
      return failed_precondition(prog + " " + join(args, " ") + " failed (exit status " +
                                 std::to_string(r->status) + ")");
    return r->out;
  };
}

std::vector<MigDevice> parse_smi_list(std::string_view text) {
  std::vector<MigDevice> out;
  int gpu = -1;
  for (const auto& raw : split(std::string(text), '\n')) {
    std::string_view line = trim(raw);
    if (line.rfind("GPU ", 0) == 0) {  // "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-...)"
      auto n = to_int(line.substr(4, line.find(':') == std::string_view::npos ? 0 : line.find(':') - 4));
      gpu = n ? *n : -1;
      continue;
    }
    // "MIG 1g.5gb     Device  0: (UUID: MIG-c6d4f1ef-...)"
    if (gpu < 0 || line.rfind("MIG ", 0) != 0) continue;
    auto dev = line.find("Device");
    auto colon = line.find(':', dev == std::string_view::npos ? 0 : dev);
    if (dev == std::string_view::npos || colon == std::string_view::npos) continue;
    auto index = to_int(line.substr(dev + 6, colon - dev - 6));
    if (!index) continue;
    MigDevice m;
    m.gpu_index = gpu;
    m.index = *index;
    auto w = words(line.substr(4, dev - 4));
    if (!w.empty()) m.profile = w[0];
    auto u = line.find("UUID:", colon);
    if (u != std::string_view::npos) {
      auto rest = trim(line.substr(u + 5));
      m.uuid = std::string(trim(rest.substr(0, rest.find(')'))));
    }
    if (auto old = parse_old_form(m.uuid)) {
      m.gi = old->gi;
      m.ci = old->ci;
    }
    out.push_back(std::move(m));
  }
  return out;
}

void parse_smi_mig_table(std::string_view text, std::vector<MigDevice>& migs) {
  bool in_table = false;
  for (const auto& raw : split(std::string(text), '\n')) {
    std::string_view line = trim(raw);
    if (line.find("MIG devices:") != std::string_view::npos) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.find("Processes:") != std::string_view::npos) break;
    // "|  0    1   0   0  |     19MiB / 40192MiB | ...": the first cell's four numbers.
    if (line.size() < 2 || line[0] != '|') continue;
    auto end = line.find('|', 1);
    if (end == std::string_view::npos) continue;
    auto w = words(line.substr(1, end - 1));
    if (w.size() != 4) continue;
    auto gpu = to_int(w[0]), gi = to_int(w[1]), ci = to_int(w[2]), dev = to_int(w[3]);
    if (!gpu || !gi || !ci || !dev) continue;
    for (auto& m : migs)
      if (m.gpu_index == *gpu && m.index == *dev) {
        m.gi = *gi;
        m.ci = *ci;
      }
  }
}

Result<std::vector<MigDevice>> discover_mig(const NvidiaDriver& driver, const SmiRunner& smi) {
  BERTH_ASSIGN_OR_RETURN(auto list, smi({"-L"}));
  auto migs = parse_smi_list(list);
  if (std::any_of(migs.begin(), migs.end(), [](const MigDevice& m) { return m.gi < 0; })) {
    auto table = smi({});
    if (table.ok()) parse_smi_mig_table(*table, migs);
  }
  // Still unknown: the driver's own list of instances, when it has one per MIG device.
  for (size_t g = 0; g < driver.gpus.size(); ++g) {
    std::vector<MigDevice*> on_gpu;
    for (auto& m : migs)
      if (m.gpu_index == static_cast<int>(g)) on_gpu.push_back(&m);
    if (std::none_of(on_gpu.begin(), on_gpu.end(), [](MigDevice* m) { return m->gi < 0; })) continue;
    auto pairs = proc_instances(driver, driver.gpus[g].minor);
    if (pairs.size() != on_gpu.size()) continue;
    std::sort(on_gpu.begin(), on_gpu.end(), [](MigDevice* a, MigDevice* b) { return a->index < b->index; });
    for (size_t i = 0; i < pairs.size(); ++i) std::tie(on_gpu[i]->gi, on_gpu[i]->ci) = pairs[i];
  }
  return migs;
}

bool is_mig_id(std::string_view id) {
  return id.rfind("MIG-", 0) == 0 || id.find(':') != std::string_view::npos;
}

Result<MigChoice> select_mig(const NvidiaDriver& driver, const std::string& id,
                             const std::function<Result<std::vector<MigDevice>>()>& migs) {
  const auto& gpus = driver.gpus;
  auto unknown = [&](const std::string& why) { return not_found("unknown MIG device: " + id + " (" + why + ")"); };
  if (auto old = parse_old_form(id)) {  // names its GPU, GI and CI: checked against the driver
    auto g = std::find_if(gpus.begin(), gpus.end(), [&](const NvidiaGpu& x) { return x.uuid == old->gpu_uuid; });
    if (g == gpus.end()) return unknown("no GPU " + old->gpu_uuid);
    std::string ci = path_join(gi_dir(driver, g->minor, old->gi), "ci" + std::to_string(old->ci) + "/access");
    if (!path_exists(ci))
      return unknown("GPU " + old->gpu_uuid + " has no compute instance " + std::to_string(old->ci) +
                     " in GPU instance " + std::to_string(old->gi));
    return MigChoice{*g, old->gi, old->ci, id};
  }
  BERTH_ASSIGN_OR_RETURN(auto all, migs());
  auto describe = [&](int gpu) {
    std::string have;
    for (const auto& m : all)
      if (gpu < 0 || m.gpu_index == gpu) have += (have.empty() ? "" : ", ") + std::to_string(m.gpu_index) + ":" + std::to_string(m.index);
    return have.empty() ? std::string("no MIG device; is MIG mode enabled?") : "MIG devices " + have;
  };
  const MigDevice* hit = nullptr;
  if (id.rfind("MIG-", 0) == 0) {
    for (const auto& m : all) {
      if (m.uuid.empty() || m.uuid.rfind(id, 0) != 0) continue;
      if (hit) return invalid_argument("MIG device id \"" + id + "\" matches more than one MIG device");
      hit = &m;
    }
    if (!hit) return unknown("the GPUs have " + describe(-1));
  } else {
    auto parts = split_once(id, ':');
    auto gpu = to_int(parts.first), index = to_int(parts.second);
    if (!gpu || !index || parts.first != trim(parts.first) || parts.second != trim(parts.second))
      return invalid_argument("unknown device: " + id + " (a MIG device is GPU:INDEX, e.g. 0:1)");
    if (static_cast<size_t>(*gpu) >= gpus.size())
      return unknown("there is no GPU " + std::to_string(*gpu));
    for (const auto& m : all)
      if (m.gpu_index == *gpu && m.index == *index) hit = &m;
    if (!hit) return unknown("GPU " + std::to_string(*gpu) + " has " + describe(*gpu));
  }
  if (static_cast<size_t>(hit->gpu_index) >= gpus.size())
    return unknown("nvidia-smi names GPU " + std::to_string(hit->gpu_index) + ", which the driver does not list");
  if (hit->gi < 0 || hit->ci < 0)
    return failed_precondition("cannot tell the GPU and compute instance of MIG device " + id +
                               " from nvidia-smi's output");
  return MigChoice{gpus[static_cast<size_t>(hit->gpu_index)], hit->gi, hit->ci, id};
}

Result<ContainerEdits> mig_edits(const NvidiaDriver& driver, const std::vector<MigChoice>& choices,
                                 const std::set<std::string>& capabilities) {
  ContainerEdits e;
  std::set<int> minors;
  auto add = [&](const std::string& access_file) -> Status {
    BERTH_ASSIGN_OR_RETURN(int minor, cap_minor(access_file));
    if (!minors.insert(minor).second) return ok_status();
    std::string path = "/dev/nvidia-caps/nvidia-cap" + std::to_string(minor);
    std::string host = under(driver.root, path);
    struct stat st;
    if (::stat(host.c_str(), &st) != 0)
      return not_found("NVIDIA capability device " + host + " (for " + access_file +
                       ") is missing; nvidia-modprobe -f " + access_file + " creates it");
    e.device_nodes.push_back({path, host, "", {}, {}, "rwm", {}, {}, {}});
    return ok_status();
  };
  for (const auto& c : choices) {
    std::string gi = gi_dir(driver, c.parent.minor, c.gi);
    auto with_id = [&](Status s) -> Status {
      if (s.ok()) return s;
      return Error(s.error().code(), "MIG device " + c.id + ": " + s.error().message());
    };
    BERTH_TRY(with_id(add(path_join(gi, "access"))));
    BERTH_TRY(with_id(add(path_join(gi, "ci" + std::to_string(c.ci) + "/access"))));
  }
  // A driver without MIG support has neither file: nothing to give (images that set
  // NVIDIA_MIG_MONITOR_DEVICES=all also run on such hosts).
  for (const char* cap : {"mig-config", "mig-monitor"}) {
    std::string file = path_join(caps_dir(driver), std::string("mig/") + (cap + 4));
    if (capabilities.count(cap) && path_exists(file)) BERTH_TRY(add(file));
  }
  return e;
}

}  // namespace berth::gpu
