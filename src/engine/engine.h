// The engine: the one facade the CLI and (later) the API server call. It owns the stores of one
// berth root and turns user requests (names, ids, flags) into store operations with Docker's
// semantics. It prints nothing; it returns data for the faces to render.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"
#include "image/import.h"
#include "image/store.h"
#include "engine/container.h"
#include "engine/volumes.h"
#include "runtime/cgroup.h"
#include "runtime/launcher.h"

namespace berth::engine {

using Json = nlohmann::ordered_json;

struct Options {
  std::string root;     // persistent state, default /var/lib/berth
  std::string runroot;  // run state, default /run/berth
};

// One row of `images`: an image under one repository:tag (or <none>).
struct ImageRow {
  const image::ImageRecord* image = nullptr;
  std::string repository;  // familiar, or "<none>"
  std::string tag;         // or "<none>"
  std::string digest;      // "sha256:..." or "<none>"
};

struct ListImagesOptions {
  bool all = false;
  std::vector<std::string> filters;  // "dangling=true", "label=k=v", "reference=busy*", ...
  std::string reference;             // the positional REPOSITORY[:TAG]
};

struct ImageList {
  std::vector<image::ImageRecord> images;  // rows point into this
  std::vector<ImageRow> rows;
};

// One line of `rmi` output: {"Untagged", "busybox:latest"} or {"Deleted", "sha256:..."}.
struct DeleteEvent {
  std::string kind;
  std::string what;
};

struct HistoryRow {
  std::string id;  // image id or "<missing>"
  int64_t created = 0;  // unix nanos
  std::string created_by;
  uint64_t size = 0;
  std::string comment;
};

struct PruneReport {
  std::vector<DeleteEvent> events;
  uint64_t reclaimed = 0;
};

struct DfRow {
  std::string type;
  uint64_t total = 0, active = 0, size = 0, reclaimable = 0;
};

// A volume and the containers (ids) whose mounts name it.
struct VolumeRow {
  Volume volume;
  std::vector<std::string> containers;
};

// `commit` options: -c changes, -m, -a, -p.
struct CommitOptions {
  std::string reference;  // REPOSITORY[:TAG], empty = untagged
  std::vector<std::string> changes;
  std::string message, author;
  bool pause = true;
};

// One sample of `stats` for a container.
struct ContainerStats {
  std::string id, name;
  bool running = false;
  uint64_t cpu_usage_ns = 0;  // cumulative
  int64_t sampled_ns = 0;     // steady clock of the sample
  uint64_t memory_usage = 0, memory_limit = 0;
  uint64_t net_rx = 0, net_tx = 0, block_read = 0, block_write = 0;
  uint64_t pids = 0;
};

// `top`: the ps header and the rows of the container's processes.
struct TopResult {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> processes;
};

// `update`: what to change; unset fields stay.
struct UpdateRequest {
  std::optional<int64_t> memory, memory_swap, nano_cpus, cpu_shares, pids_limit;
  std::optional<std::string> cpuset_cpus, restart;
};

struct CheckReport {
  std::vector<std::string> problems;  // corruption found (not repairable without data loss)
  std::vector<std::string> repaired;  // crash leftovers removed
};

struct NetworkAttachment;  // engine/network.h

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> open(const Options& opts);
  ~Engine();

  const Options& options() const { return opts_; }
  image::Store& store() { return *store_; }

  // images
  Result<ImageList> list_images(const ListImagesOptions& opts);
  Result<image::ImageRecord> import_image(int fd, const image::ImportOptions& opts,
                                          const std::string& reference);
  Status tag_image(std::string_view source, std::string_view target);
  Result<std::vector<DeleteEvent>> remove_image(std::string_view name, bool force,
                                                bool prune_parents);
  Result<Json> inspect_image(std::string_view name);
  Result<std::vector<HistoryRow>> history(std::string_view name);
  Result<PruneReport> prune_images(bool all, const std::vector<std::string>& filters);
  Status save_images(const std::vector<std::string>& names, int out_fd);
  // Returns the lines to print: "Loaded image: busybox:latest" / "Loaded image ID: sha256:...".
  Result<std::vector<std::string>> load_images(int in_fd);

  // containers (containers.cc)
  // Creates the record and its bundle directory (containers/<id>/): config.json (the OCI spec),
  // upper/, work/, rootfs/, hostname, hosts, resolv.conf. Name conflicts are refused.
  Result<ContainerRecord> create_container(const RunRequest& req);
  // Starts the container and supervises it from this process until it exits, forwarding signals;
  // returns Docker's exit status. With req.remove the container is removed afterwards.
  Result<int> run_attached(const ContainerRecord& c, const RunRequest& req);
  Result<std::vector<ContainerRecord>> list_containers();
  // By full id, unique id prefix or name. "No such container: <x>".
  Result<ContainerRecord> find_container(std::string_view name_or_id);
  // With remove_volumes (rm -v, --rm), its anonymous volumes go too.
  Status remove_container(std::string_view name_or_id, bool force, bool remove_volumes = false);
  // Docker's container inspect shape: Id, Created, Path, Args, State{...}, Image, Name, Config,
  // HostConfig, GraphDriver, Mounts, NetworkSettings.
  Result<Json> inspect_container(std::string_view name_or_id);
  // Sends `sig` to a running container's first process.
  Status kill_container(std::string_view name_or_id, int sig);
  // The container's stop signal (--stop-signal, the image's STOPSIGNAL, or SIGTERM), then SIGKILL
  // after `timeout_s` (default: --stop-timeout, else 10 s).
  Status stop_container(std::string_view name_or_id, std::optional<int> timeout_s);
  // Starts `berth monitor` for the container in its own session and returns once the container
  // runs (or with the error that kept it from starting: exit_code_for() applies).
  Status start_detached(const ContainerRecord& c);
  // The monitor's body (monitor.cc): start the container with its output piped into the
  // json-file log, write "ok" or "err <code> <message>" to ready_fd, then exec berth-monitor
  // (src/monitor/), which supervises the container until it exits and then execs
  // `berth monitor-finish`. Returns only on errors.
  Result<int> monitor(std::string_view id, int ready_fd);
  // One start of the round trip: start_process, report on `ready` (when open), exec berth-monitor
  // with the restart policy's state (restarts so far, next backoff delay).
  Result<int> monitor_run(ContainerRecord c, int restarts, int delay_ms, UniqueFd ready);
  // `monitor-finish`, exec'd by berth-monitor in the same process once the container exited:
  // reaps it, records the exit (finish_process) and applies the restart policy; to restart,
  // monitor_run again. Returns the container's exit code when it stays down.
  Result<int> monitor_finish(std::string_view id, int restarts, int delay_ms);
  // `health-probe`, run by berth-monitor every healthcheck interval: one check of the running
  // container whose first process is `pid` (health.h); returns kHealthProbeKill when the
  // monitor must kill it (on-unhealthy), else 0.
  Result<int> health_probe(std::string_view id, pid_t pid);
  std::string container_log_path(const std::string& id) const;
  // Present while a user's stop or kill holds the container down: no restart policy applies.
  std::string stopped_marker(const std::string& id) const;
  // `system boot`: starts the containers whose restart policy asks for it after a host reboot
  // (always; unless-stopped unless a user stopped it). Returns their names.
  Result<std::vector<std::string>> boot();
  // Removes every stopped container; returns their ids.
  Result<std::vector<std::string>> prune_containers();

  // container file systems (container_fs.cc)
  // `cp CONTAINER:SRC DEST` (DEST "-" writes a tar to out_fd) and `cp SRC CONTAINER:DEST` (SRC
  // "-" reads a tar from in_fd), with Docker's placement rules. Return the bytes copied.
  Result<uint64_t> copy_from_container(std::string_view container, const std::string& src,
                                       const std::string& dest, int out_fd, bool follow_link);
  Result<uint64_t> copy_to_container(std::string_view container, const std::string& src,
                                     const std::string& dest, int in_fd, bool archive_mode,
                                     bool follow_link);
  // `diff`: "A /path", "C /path", "D /path", sorted by path.
  Result<std::vector<std::string>> container_changes(std::string_view container);
  // `export`: the container's root file system (no volumes, no /proc) as a tar.
  Status export_container(std::string_view container, int out_fd);
  // `commit`: the container's changes as a new layer on its image; returns the image id.
  Result<std::string> commit_container(std::string_view container, const CommitOptions& opts);
  // `pause` / `unpause`: freeze and thaw the container's cgroup.
  Status pause_container(std::string_view container);
  Result<bool> is_paused(const ContainerRecord& c);
  // "healthy", "unhealthy", "starting", or "" without a healthcheck (health.h).
  std::string health_of(const ContainerRecord& c) const;
  Status unpause_container(std::string_view container);
  Result<ContainerStats> container_stats(const ContainerRecord& c);
  // `top CONTAINER [ps options]` (ps -ef by default), rows filtered to the container's pids.
  Result<TopResult> top_container(std::string_view container, const std::vector<std::string>& ps_args);
  // `update`: the cgroup of a running container, and the record for later starts.
  Status update_container(std::string_view container, const UpdateRequest& u);
  // `rename`.
  Status rename_container(std::string_view container, const std::string& new_name);

  // volumes (container_volumes.cc)
  VolumeStore volume_store() const { return VolumeStore(path_join_root("volumes")); }
  Result<Volume> create_volume(const std::string& name,
                               const std::map<std::string, std::string>& labels,
                               const std::map<std::string, std::string>& options);
  Result<std::vector<VolumeRow>> list_volumes();
  // Docker's volume inspect shape: CreatedAt, Driver, Labels, Mountpoint, Name, Options, Scope.
  Result<Json> inspect_volume(const std::string& name);
  // A volume some container uses is refused: "remove x: volume is in use - [id]".
  Status remove_volume(const std::string& name);
  // Unused anonymous volumes, or with `all` every unused volume; filters label=, name=.
  Result<PruneReport> prune_volumes(bool all, const std::vector<std::string>& filters);

  // system
  Result<std::vector<DfRow>> disk_usage();
  Result<CheckReport> check(bool repair);
  // Removes blobs and layers no image references. Returns bytes freed.
  Result<uint64_t> collect_garbage();
  Result<Json> info();

 private:
  explicit Engine(Options o) : opts_(std::move(o)) {}
  // Writers of new data hold the store lock shared; garbage collection holds it exclusive, so it
  // never deletes a blob that a concurrent load has written but not yet recorded.
  Result<UniqueFd> lock_store(bool exclusive);
  // A started container process and its cgroup; finish_process waits for it and records how it
  // ended (removing the container when it was created with --rm).
  struct StdioFds {
    int in = -1, out = -1, err = -1;
  };
  struct Started {
    runtime::Launched proc;
    std::unique_ptr<runtime::Cgroup> cgroup;
    std::shared_ptr<NetworkAttachment> net;  // engine/network.h: held ports
  };
  Result<Started> start_process(ContainerRecord& c, const StdioFds& stdio);
  Result<int> finish_process(ContainerRecord& c, Started& st);
  // stop/rm -f of a container between two restarts (containers.cc).
  Result<ContainerRecord> cancel_restart(const ContainerRecord& c);
  // Docker's Conflict error (after `prefix`) when a container has `name`, through the name's
  // unique index (containers.cc).
  Status check_name_free(const std::string& name, std::string_view prefix = "");
  Status save_container_state(const ContainerRecord& c);
  void thaw_if_paused(const ContainerRecord& c);
  Result<std::string> find_init_binary();
  Status delete_container_record(const ContainerRecord& c);
  // rm -f: kills the container, its cgroup and its monitor, whatever state it was read in;
  // kUnavailable when a process of it survives.
  Status end_for_removal(const ContainerRecord& c);
  std::string container_dir(const std::string& id) const;
  std::string path_join_root(const std::string& rel) const;
  // Calls fn with an fd of the container's root: /proc/<pid>/root while it runs, else its overlay
  // (read-write only when `writable`) in a private mount namespace child, volumes mounted.
  Result<std::string> with_container_root(const ContainerRecord& c, bool writable,
                                          const std::function<Result<std::string>(int)>& fn);
  // Turns the request's -v, --mount and the image's VOLUMEs into binds and tmpfs mounts of `o`
  // (creating volumes, copying the image's content into new ones) and Docker's inspect Mounts.
  // Anonymous volumes it created are appended to `made` (the caller removes them on failure).
  Status add_container_mounts(const RunRequest& req, const oci::ImageConfig& cfg,
                              const std::vector<std::string>& lowers, const std::string& dir,
                              runtime::RunOptions& o, Json& mounts, std::vector<std::string>& made);
  // Removes the anonymous volumes of a container's mounts that no other container uses.
  Status remove_anonymous_volumes(const ContainerRecord& c);

  Options opts_;
  std::unique_ptr<image::Store> store_;
};

// --restart's value ("no", "always", "unless-stopped", "on-failure[:N]", "on-unhealthy[:N]") as
// HostConfig.RestartPolicy; "invalid restart policy: x" otherwise.
Result<Json> restart_policy_json(const std::string& flag);

// "docker.io/library/busybox:latest" -> "busybox:latest".
std::string familiar(const std::string& full_ref);

}  // namespace berth::engine
