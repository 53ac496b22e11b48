// NVIDIA discovery (see nvidia.h).
#include "gpu/nvidia.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "base/fs.h"
#include "base/strings.h"
#include "gpu/elf.h"

namespace berth::gpu {
namespace {

std::string under(const std::string& root, std::string_view path) {
  return root == "/" || root.empty() ? std::string(path) : path_join(root, path);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// "Key:   value" lines of a /proc/driver/nvidia file.
std::map<std::string, std::string> proc_fields(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& line : split(text, '\n')) {
    auto kv = split_once(line, ':');
    if (kv.found) out[std::string(trim(kv.first))] = std::string(trim(kv.second));
  }
  return out;
}

// The version in "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Tue ...".
std::string driver_version(const std::string& root) {
  if (auto v = read_file(under(root, "/sys/module/nvidia/version")); v.ok() && !trim(*v).empty())
    return std::string(trim(*v));
  auto t = read_file(under(root, "/proc/driver/nvidia/version"));
  if (!t.ok()) return "";
  auto pos = t->find("Kernel Module");
  if (pos == std::string::npos) return "";
  auto words = split(std::string(trim(t->substr(pos + 13, t->find('\n', pos) - pos - 13))), ' ');
  return words.empty() ? "" : words[0];
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Follows symlinks of a path inside `root` (absolute targets are taken as under root), so a
// driver tree's links never lead to the host's files. Returns "" on a loop or a dangling link.
std::string resolve_under(const std::string& root, std::string path) {
  for (int hops = 0; hops < 16; ++hops) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return "";
    if (!S_ISLNK(st.st_mode)) return S_ISREG(st.st_mode) ? path : "";
    char buf[PATH_MAX];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n <= 0) return "";
    std::string target(buf, static_cast<size_t>(n));
    path = target[0] == '/' ? under(root, target) : path_join(dirname(path), target);
  }
  return "";
}

bool is_elf(const std::string& path) {
  auto fd = open_file(path, O_RDONLY | O_CLOEXEC);
  char magic[4] = {};
  return fd.ok() && ::pread(fd->get(), magic, 4, 0) == 4 && std::string_view(magic, 4) == "\x7f" "ELF";
}

const std::map<std::string, std::vector<std::string>>& libraries() {
  static const std::map<std::string, std::vector<std::string>> kLibs = {
      {"utility", {"libnvidia-ml", "libnvidia-cfg"}},
      {"compute",
       {"libcuda", "libcudadebugger", "libnvidia-opencl", "libnvidia-ptxjitcompiler",
        "libnvidia-fatbinaryloader", "libnvidia-allocator", "libnvidia-compiler",
        "libnvidia-nvvm", "libnvidia-gpucomp", "libnvidia-pkcs11", "libnvidia-pkcs11-openssl3"}},
      {"video", {"libvdpau_nvidia", "libnvidia-encode", "libnvidia-opticalflow", "libnvcuvid"}},
      {"graphics",
       {"libnvidia-eglcore", "libnvidia-glcore", "libnvidia-tls", "libnvidia-glsi",
        "libnvidia-fbc", "libnvidia-rtcore", "libnvoptix", "libGLX_nvidia", "libEGL_nvidia",
        "libGLESv2_nvidia", "libGLESv1_CM_nvidia", "libnvidia-glvkspirv"}},
  };
  return kLibs;
}

const std::map<std::string, std::vector<std::string>>& binaries() {
  static const std::map<std::string, std::vector<std::string>> kBins = {
      {"utility", {"nvidia-smi", "nvidia-debugdump", "nvidia-persistenced"}},
      {"compute", {"nvidia-cuda-mps-control", "nvidia-cuda-mps-server"}},
  };
  return kBins;
}

std::vector<std::string> library_dirs(const std::string& root) {
  std::vector<std::string> dirs = {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
                                   "/usr/lib64", "/lib64", "/usr/lib", "/lib",
                                   "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib",
                                   "/usr/lib/x86_64-linux-gnu/nvidia/current"};
  // Plus what the host's dynamic loader is told (drivers installed under /opt or the like).
  std::string confd = under(root, "/etc/ld.so.conf.d");
  for (const auto& f : list_dir(confd)) {
    auto text = read_file(path_join(confd, f));
    if (!text.ok()) continue;
    for (const auto& line : split(*text, '\n')) {
      auto l = trim(line);
      if (!l.empty() && l[0] == '/') dirs.emplace_back(l);
    }
  }
  std::vector<std::string> out;
  for (auto& d : dirs)
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(std::move(d));
  return out;
}

// The host file of library `base` ("libcuda"): base.so.<version>, else base.so.1's target.
std::string find_library(const std::string& root, const std::vector<std::string>& dirs,
                         const std::string& base, const std::string& version) {
  for (const auto& d : dirs) {
    std::string dir = under(root, d);
    if (!version.empty()) {
      std::string p = resolve_under(root, path_join(dir, base + ".so." + version));
      if (!p.empty()) return p;
    }
    std::string p = resolve_under(root, path_join(dir, base + ".so.1"));
    if (!p.empty()) return p;
  }
  return "";
}

}  // namespace

Result<NvidiaDriver> discover_nvidia(const std::string& root) {
  NvidiaDriver d;
  d.root = root.empty() ? "/" : root;
  d.version = driver_version(d.root);
  std::string gpus_dir = under(d.root, "/proc/driver/nvidia/gpus");
  for (const auto& bus : list_dir(gpus_dir)) {
    auto text = read_file(path_join(path_join(gpus_dir, bus), "information"));
    if (!text.ok()) continue;
    auto f = proc_fields(*text);
    if (!is_digits(f["Device Minor"])) continue;
    d.gpus.push_back({std::stoi(f["Device Minor"]), f["GPU UUID"], f["Model"], bus});
  }
  if (d.gpus.empty()) {
    // No /proc/driver/nvidia (some sandboxes): the device nodes alone, by minor number.
    for (const auto& n : list_dir(under(d.root, "/dev")))
      if (n.rfind("nvidia", 0) == 0 && is_digits(n.substr(6)))
        d.gpus.push_back({std::stoi(n.substr(6)), "", "", ""});
    std::sort(d.gpus.begin(), d.gpus.end(),
              [](const NvidiaGpu& a, const NvidiaGpu& b) { return a.minor < b.minor; });
  }
  if (d.gpus.empty()) return not_found("no NVIDIA GPU found (no " + under(d.root, "/dev/nvidia0") + ")");
  return d;
}

Result<std::vector<NvidiaGpu>> select_gpus(const NvidiaDriver& driver, const DeviceRequest& r) {
  const auto& all = driver.gpus;
  if (r.device_ids.empty()) {
    if (r.count < 0) return all;
    if (static_cast<size_t>(r.count) > all.size())
      return invalid_argument("requested " + std::to_string(r.count) + " GPUs but only " +
                              std::to_string(all.size()) + " are available");
    return std::vector<NvidiaGpu>(all.begin(), all.begin() + r.count);
  }
  std::vector<NvidiaGpu> out;
  for (const auto& id : r.device_ids) {
    const NvidiaGpu* hit = nullptr;
    if (is_digits(id)) {
      size_t i = std::stoul(id);
      if (i < all.size()) hit = &all[i];
    } else if (!id.empty()) {
      for (const auto& g : all) {
        if (g.uuid.empty() || g.uuid.rfind(id, 0) != 0) continue;
        if (hit) return invalid_argument("GPU id \"" + id + "\" matches more than one GPU");
        hit = &g;
      }
    }
    if (!hit) return not_found("unknown device: " + id);
    if (std::find(out.begin(), out.end(), *hit) == out.end()) out.push_back(*hit);
  }
  return out;
}

std::set<std::string> driver_capabilities(const DeviceRequest& r,
                                          const std::vector<std::string>& image_env) {
  std::set<std::string> caps, mig;
  // MIG's admin capabilities (mig.h) come on top of the driver's, never instead of them.
  auto take = [&](std::string c) {
    if (c == "mig-config" || c == "mig-monitor") mig.insert(std::move(c));
    else caps.insert(std::move(c));
  };
  for (const auto& set : r.capabilities)
    for (const auto& c : set)
      if (c != "gpu" && c != "nvidia") take(c);
  for (const auto& e : image_env) {
    auto kv = split_once(e, '=');
    if (kv.first == "NVIDIA_MIG_CONFIG_DEVICES" && kv.second == "all") mig.insert("mig-config");
    if (kv.first == "NVIDIA_MIG_MONITOR_DEVICES" && kv.second == "all") mig.insert("mig-monitor");
  }
  if (caps.empty()) {
    for (const auto& e : image_env) {
      auto kv = split_once(e, '=');
      if (kv.first != "NVIDIA_DRIVER_CAPABILITIES") continue;
      for (const auto& c : split(kv.second, ','))
        if (!trim(c).empty()) take(std::string(trim(c)));
    }
  }
  if (caps.empty()) caps = {"compute", "utility"};
  if (caps.count("all")) caps = {"compute", "utility", "video", "graphics", "display"};
  caps.insert(mig.begin(), mig.end());
  return caps;
}

Result<ContainerEdits> nvidia_edits(const NvidiaDriver& driver, const std::vector<NvidiaGpu>& gpus,
                                    const std::set<std::string>& capabilities,
                                    const std::string& container_lib_dir) {
  const std::string& root = driver.root;
  ContainerEdits e;
  auto add_node = [&](const std::string& name, bool required) -> Status {
    std::string host = under(root, "/dev/" + name);
    struct stat st;
    if (::stat(host.c_str(), &st) != 0) {
      if (required) return not_found("NVIDIA device node " + host + " is missing");
      return ok_status();
    }
    e.device_nodes.push_back({"/dev/" + name, host, "", {}, {}, "rwm", {}, {}, {}});
    return ok_status();
  };
  BERTH_TRY(add_node("nvidiactl", true));
  BERTH_TRY(add_node("nvidia-uvm", false));
  BERTH_TRY(add_node("nvidia-uvm-tools", false));
  if (capabilities.count("display") || capabilities.count("graphics"))
    BERTH_TRY(add_node("nvidia-modeset", false));
  for (const auto& g : gpus) BERTH_TRY(add_node("nvidia" + std::to_string(g.minor), true));

  const std::vector<std::string> ro = {"ro", "nosuid", "nodev", "bind"};
  auto dirs = library_dirs(root);
  for (const auto& [cap, libs] : libraries()) {
    if (!capabilities.count(cap)) continue;
    for (const auto& base : libs) {
      std::string host = find_library(root, dirs, base, driver.version);
      if (host.empty()) continue;
      std::string file = basename(host);
      e.mounts.push_back({host, path_join(container_lib_dir, file), "bind", ro});
      // The loader asks for the soname; an unreadable soname falls back to base.so.1.
      auto soname = elf_soname(host);
      std::string so = soname.ok() ? *soname : base + ".so.1";
      if (so != file) e.mounts.push_back({host, path_join(container_lib_dir, so), "bind", ro});
      // Frameworks (Triton, JAX) dlopen the development name of the driver API.
      if (base == "libcuda") e.mounts.push_back({host, path_join(container_lib_dir, "libcuda.so"), "bind", ro});
    }
  }
  for (const auto& [cap, bins] : binaries()) {
    if (!capabilities.count(cap)) continue;
    for (const auto& b : bins) {
      // A wrapper script (some hosts put `exec /usr/local/nvidia/bin/nvidia-smi` in /usr/bin)
      // names a path the container lacks, so the real ELF program wins over a script.
      std::string script;
      std::string elf;
      for (const char* d : {"/usr/bin", "/usr/local/nvidia/bin", "/usr/local/bin", "/bin", "/usr/sbin"}) {
        std::string host = resolve_under(root, under(root, std::string(d) + "/" + b));
        if (host.empty()) continue;
        if (is_elf(host)) {
          elf = host;
          break;
        }
        if (script.empty()) script = host;
      }
      std::string host = elf.empty() ? script : elf;
      if (!host.empty()) e.mounts.push_back({host, "/usr/bin/" + b, "bind", ro});
    }
  }
  // nvidia-smi asks the persistence daemon through its socket when one runs.
  std::string sock = under(root, "/var/run/nvidia-persistenced/socket");
  struct stat st;
  if (capabilities.count("utility") && ::stat(sock.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
    e.mounts.push_back({sock, "/var/run/nvidia-persistenced/socket", "bind", {"bind", "nosuid", "nodev", "noexec"}});
  return e;
}

}  // namespace berth::gpu
