// A berth-runc container's state on disk: <root>/<id>/state.json, replaced atomically, and
// <root>/<id>/exec.fifo, which exists from create until start (the start gate).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/proc.h"

namespace berth::runc {

struct State {
  std::string id;
  pid_t pid = 0;
  uint64_t pid_start = 0;  // /proc/<pid>/stat starttime: a reused pid is not our container
  std::string bundle;
  std::string rootfs;
  int64_t created = 0;     // unix nanos
  std::string cgroup;      // the cgroup name under each hierarchy ("default/<id>")
  bool own_cgroup = true;  // made by create: delete removes it
  std::map<std::string, std::string> annotations;
};

// runc's status words: "created", "running", "paused", "stopped".
std::string status_of(const std::string& root, const State& s);
// `runc state`'s JSON: ociVersion, id, pid, status, bundle, rootfs, created, owner, annotations.
nlohmann::ordered_json state_json(const std::string& root, const State& s);

// Container ids as runc allows them: [A-Za-z0-9_+.-]+, not "." or "..".
Status check_id(const std::string& id);
std::string container_dir(const std::string& root, const std::string& id);
std::string fifo_path(const std::string& root, const std::string& id);

Status save_state(const std::string& root, const State& s);
// kNotFound "container does not exist" when there is no such container.
Result<State> load_state(const std::string& root, const std::string& id);
Result<std::vector<State>> list_states(const std::string& root);

// process_start_time / process_alive: base/proc.h.
using berth::process_alive;
using berth::process_start_time;

}  // namespace berth::runc
