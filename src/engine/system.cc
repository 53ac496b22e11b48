// Store-wide operations: garbage collection, `system df`, `system check`, `info`.
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/fs.h"
#include "base/log.h"
#include "engine/build.h"
#include "engine/engine.h"
#include "gpu/gpu.h"
#include "engine/external_runtime.h"
#include "engine/network.h"

namespace berth::engine {
namespace {

// Every blob an image or layer record still needs.
Result<std::set<std::string>> referenced_blobs(image::Store& store) {
  std::set<std::string> keep;
  BERTH_ASSIGN_OR_RETURN(auto imgs, store.list());
  for (const auto& img : imgs) {
    keep.insert(img.id);
    if (!img.manifest_digest.empty()) keep.insert(img.manifest_digest);
  }
  BERTH_ASSIGN_OR_RETURN(auto st, store.db().prepare(
      "SELECT compressed_digest FROM layers WHERE compressed_digest IS NOT NULL"));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    keep.insert(st.col_text(0));
  }
  return keep;
}

std::string os_pretty_name() {
  std::ifstream f("/etc/os-release");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "Linux";
}

std::string cgroup_version() {
  return path_exists("/sys/fs/cgroup/cgroup.controllers") ? "2" : "1";
}

}  // namespace

Result<uint64_t> Engine::collect_garbage() {
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_store(true));
  uint64_t freed = 0;
  BERTH_TRY(store_->recount_layer_refs());
  BERTH_ASSIGN_OR_RETURN(auto removed_layers, store_->layers().prune_unreferenced());
  (void)removed_layers;
  BERTH_ASSIGN_OR_RETURN(auto keep, referenced_blobs(*store_));
  BERTH_ASSIGN_OR_RETURN(auto blobs, store_->content().list());
  for (const auto& b : blobs) {
    if (keep.count(b)) continue;
    auto sz = store_->content().size(b);
    BERTH_TRY(store_->content().remove(b));
    if (sz.ok()) freed += *sz;
  }
  BERTH_TRY(store_->content().clean_ingest());
  // Staging dirs of loads that died: no writer holds the lock now, so none is in use.
  BERTH_TRY(remove_all(store_->tmp_dir()));
  BERTH_TRY(mkdir_all(store_->tmp_dir(), 0700));
  return freed;
}

Result<std::vector<DfRow>> Engine::disk_usage() {
  BERTH_ASSIGN_OR_RETURN(auto imgs, store_->list());
  BERTH_ASSIGN_OR_RETURN(auto layers, store_->layers().list());
  BERTH_ASSIGN_OR_RETURN(auto containers, list_containers());
  std::set<std::string> used;
  DfRow ctrs{"Containers", containers.size(), 0, 0, 0};
  for (const auto& c : containers) {
    used.insert(c.image_id);
    auto sz = berth::disk_usage(path_join(container_dir(c.id), "upper"));
    uint64_t bytes = sz.ok() ? *sz : 0;
    ctrs.size += bytes;
    if (c.state == "running") ++ctrs.active;
    else ctrs.reclaimable += bytes;
  }
  DfRow images{"Images", imgs.size(), 0, 0, 0};
  for (const auto& l : layers) images.size += l.size;
  images.reclaimable = images.size;
  for (const auto& img : imgs) {
    if (!used.count(img.id)) continue;
    ++images.active;
    images.reclaimable -= std::min(images.reclaimable, img.size);
  }
  DfRow vols{"Local Volumes", 0, 0, 0, 0};
  BERTH_ASSIGN_OR_RETURN(auto vrows, list_volumes());
  for (const auto& v : vrows) {
    auto size = berth::disk_usage(v.volume.mountpoint);
    uint64_t n = size.ok() ? *size : 0;
    ++vols.total;
    vols.size += n;
    if (v.containers.empty()) vols.reclaimable += n;
    else ++vols.active;
  }
  BERTH_ASSIGN_OR_RETURN(auto cache, build_cache_usage(*this));
  return std::vector<DfRow>{images, ctrs, vols, cache};
}

Result<CheckReport> Engine::check(bool repair) {
  CheckReport rep;
  {
    BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_store(true));
    BERTH_ASSIGN_OR_RETURN(auto n, store_->content().clean_ingest());
    if (n) rep.repaired.push_back(std::to_string(n) + " unfinished blob writes removed");
    BERTH_ASSIGN_OR_RETURN(auto l, store_->layers().reconcile());
    if (l.temp_dirs + l.orphan_dirs)
      rep.repaired.push_back(std::to_string(l.temp_dirs + l.orphan_dirs) +
                             " incomplete layer directories removed");
    if (l.missing_layers)
      rep.problems.push_back(std::to_string(l.missing_layers) +
                             " layers had lost their directory and were dropped");
    BERTH_ASSIGN_OR_RETURN(auto vols, volume_store().clean_temp());
    rep.repaired.insert(rep.repaired.end(), vols.begin(), vols.end());
  }
  {
    // A create killed before its INSERT leaves containers/<id> with no record. Only directories
    // older than any create still at work (5 minutes) go.
    BERTH_ASSIGN_OR_RETURN(auto all, list_containers());
    std::set<std::string> known;
    for (const auto& c : all) known.insert(c.id);
    std::error_code ec;
    int orphans = 0;
    for (const auto& d : std::filesystem::directory_iterator(path_join(opts_.root, "containers"), ec)) {
      std::string id = d.path().filename().string();
      struct stat st;
      if (known.count(id) || ::lstat(d.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
          st.st_mtime > std::time(nullptr) - 300)
        continue;
      if (remove_all(d.path().string()).ok()) ++orphans;
    }
    if (orphans)
      rep.repaired.push_back(std::to_string(orphans) + " container directories without a record removed");
  }
  if (auto net = reconcile_networks(*this, rep); !net.ok())
    rep.problems.push_back("network: " + net.error().message());
  BERTH_ASSIGN_OR_RETURN(auto blobs, store_->content().list());
  for (const auto& b : blobs) {
    auto st = store_->content().verify(b);
    if (!st.ok()) rep.problems.push_back(st.error().message());
  }
  BERTH_ASSIGN_OR_RETURN(auto imgs, store_->list());
  for (const auto& img : imgs) {
    std::string name = img.tags.empty() ? img.short_id() : familiar(img.tags.front());
    if (!store_->content().has(img.id))
      rep.problems.push_back("image " + name + ": config blob " + img.id + " is missing");
    auto chain = store_->chain(img);
    if (!chain.ok()) {
      rep.problems.push_back("image " + name + ": " + chain.error().message());
      continue;
    }
    for (const auto& c : *chain) {
      auto l = store_->layers().get(c);
      if (l.ok() && *l && !path_exists((*l)->path))
        rep.problems.push_back("image " + name + ": layer directory " + (*l)->path + " is missing");
    }
  }
  if (repair || rep.problems.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto freed, collect_garbage());
    if (freed) rep.repaired.push_back(std::to_string(freed) + " bytes of unreferenced data removed");
  }
  return rep;
}

Result<Json> Engine::info() {
  BERTH_ASSIGN_OR_RETURN(auto imgs, store_->list());
  struct utsname u;
  ::uname(&u);
  struct sysinfo si;
  ::sysinfo(&si);
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  Json j = Json::object();
  BERTH_ASSIGN_OR_RETURN(auto containers, list_containers());
  size_t running = 0;
  for (const auto& c : containers) running += c.state == "running";
  j["Containers"] = containers.size();
  j["ContainersRunning"] = running;
  j["ContainersPaused"] = 0;
  j["ContainersStopped"] = containers.size() - running;
  j["Images"] = imgs.size();
  j["Driver"] = "overlay2";
  j["DockerRootDir"] = opts_.root;
  j["RunRoot"] = opts_.runroot;
  j["CgroupDriver"] = "cgroupfs";
  j["CgroupVersion"] = cgroup_version();
  j["LoggingDriver"] = "json-file";
  j["KernelVersion"] = u.release;
  j["OperatingSystem"] = os_pretty_name();
  j["OSType"] = "linux";
  j["Architecture"] = u.machine;
  j["NCPU"] = ::sysconf(_SC_NPROCESSORS_ONLN);
  j["MemTotal"] = static_cast<uint64_t>(si.totalram) * si.mem_unit;
  j["Name"] = host;
  j["ServerVersion"] = BERTH_VERSION;
  // Runtimes --runtime takes by name: berth's own, and the runc-compatible ones on PATH.
  Json runtimes = {{"berth", {{"path", "(built in)"}}}};
  for (const char* name : {"crun", "runc", "nvidia-container-runtime"}) {
    auto p = resolve_runtime(name);
    if (p.ok()) runtimes[name == std::string("nvidia-container-runtime") ? "nvidia" : name] = {{"path", *p}};
  }
  if (!runtimes.contains("nvidia")) runtimes["nvidia"] = {{"path", "(built in: --gpus from NVIDIA_VISIBLE_DEVICES)"}};
  j["Runtimes"] = runtimes;
  j["DefaultRuntime"] = "berth";
  j["CDISpecDirs"] = gpu::GpuHost::from_env().cdi_dirs;
  return j;
}

}  // namespace berth::engine
