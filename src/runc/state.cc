// berth-runc's state files.
#include "runc/state.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <regex>

#include "base/fs.h"
#include "base/strings.h"
#include "format/units.h"
#include "runtime/cgroup.h"

namespace berth::runc {

Status check_id(const std::string& id) {
  static const std::regex kId("[A-Za-z0-9_+.-]+");
  if (id.empty() || id == "." || id == ".." || !std::regex_match(id, kId))
    return invalid_argument("invalid id format: " + id);
  return {};
}

std::string container_dir(const std::string& root, const std::string& id) {
  return path_join(root, id);
}

std::string fifo_path(const std::string& root, const std::string& id) {
  return path_join(container_dir(root, id), "exec.fifo");
}

std::string status_of(const std::string& root, const State& s) {
  if (!process_alive(s.pid, s.pid_start)) return "stopped";
  if (path_exists(fifo_path(root, s.id))) return "created";
  if (!s.cgroup.empty()) {
    if (auto layout = runtime::detect_cgroups(); layout.ok())
      if (auto cg = runtime::open_cgroup(*layout, s.cgroup); cg.ok())
        if (auto frozen = (*cg)->is_frozen(); frozen.ok() && *frozen) return "paused";
  }
  return "running";
}

nlohmann::ordered_json state_json(const std::string& root, const State& s) {
  std::string status = status_of(root, s);
  nlohmann::ordered_json j;
  j["ociVersion"] = "1.0.2-dev";
  j["id"] = s.id;
  j["pid"] = status == "stopped" ? 0 : s.pid;
  j["status"] = status;
  j["bundle"] = s.bundle;
  j["rootfs"] = s.rootfs;
  j["created"] = format::format_rfc3339_nano(s.created);
  j["owner"] = "";
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j;
}

Status save_state(const std::string& root, const State& s) {
  nlohmann::json j;
  j["id"] = s.id;
  j["pid"] = s.pid;
  j["pid_start"] = s.pid_start;
  j["bundle"] = s.bundle;
  j["rootfs"] = s.rootfs;
  j["created"] = s.created;
  j["cgroup"] = s.cgroup;
  j["own_cgroup"] = s.own_cgroup;
  j["annotations"] = s.annotations;
  return atomic_write_file(path_join(container_dir(root, s.id), "state.json"), j.dump(), 0600);
}

Result<State> load_state(const std::string& root, const std::string& id) {
  BERTH_TRY(check_id(id));
  auto text = read_file(path_join(container_dir(root, id), "state.json"));
  if (!text.ok()) {
    if (text.error().code() == Code::kNotFound) return not_found("container does not exist");
    return std::move(text).error();
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return internal_error("corrupt state file of container " + id);
  State s;
  s.id = j.value("id", id);
  s.pid = j.value("pid", 0);
  s.pid_start = j.value("pid_start", uint64_t{0});
  s.bundle = j.value("bundle", std::string());
  s.rootfs = j.value("rootfs", std::string());
  s.created = j.value("created", int64_t{0});
  s.cgroup = j.value("cgroup", std::string());
  s.own_cgroup = j.value("own_cgroup", true);
  if (j.contains("annotations") && j["annotations"].is_object())
    s.annotations = j["annotations"].get<std::map<std::string, std::string>>();
  return s;
}

Result<std::vector<State>> list_states(const std::string& root) {
  std::vector<State> out;
  DIR* d = ::opendir(root.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return sys_error("opening " + root);
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (auto s = load_state(root, name); s.ok()) out.push_back(std::move(*s));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const State& a, const State& b) { return a.id < b.id; });
  return out;
}

}  // namespace berth::runc
