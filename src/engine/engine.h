// The engine: the one facade the CLI and (later) the API server call. It owns the stores of one
// berth root and turns user requests (names, ids, flags) into store operations with Docker's
// semantics. It prints nothing; it returns data for the faces to render.
#pragma once

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
  Status remove_container(std::string_view name_or_id, bool force);
  // Docker's container inspect shape: Id, Created, Path, Args, State{...}, Image, Name, Config,
  // HostConfig, GraphDriver, Mounts, NetworkSettings.
  Result<Json> inspect_container(std::string_view name_or_id);
  // Sends `sig` to a running container's first process.
  Status kill_container(std::string_view name_or_id, int sig);
  // SIGTERM (or the image's StopSignal), then SIGKILL after `timeout_s`.
  Status stop_container(std::string_view name_or_id, int timeout_s);
  // Starts `berth monitor` for the container in its own session and returns once the container
  // runs (or with the error that kept it from starting: exit_code_for() applies).
  Status start_detached(const ContainerRecord& c);
  // The monitor's body (monitor.cc): start the container with its output piped into the
  // json-file log, write "ok" or "err <code> <message>" to ready_fd, supervise until it exits.
  Result<int> monitor(std::string_view id, int ready_fd);
  std::string container_log_path(const std::string& id) const;
  // Present while a user's stop or kill holds the container down: no restart policy applies.
  std::string stopped_marker(const std::string& id) const;
  // Removes every stopped container; returns their ids.
  Result<std::vector<std::string>> prune_containers();

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
  Status save_container_state(const ContainerRecord& c);
  Status delete_container_record(const ContainerRecord& c);
  std::string container_dir(const std::string& id) const;

  Options opts_;
  std::unique_ptr<image::Store> store_;
};

// "docker.io/library/busybox:latest" -> "busybox:latest".
std::string familiar(const std::string& full_ref);

}  // namespace berth::engine
