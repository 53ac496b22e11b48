// Container records and the attached `run` flow, with Docker's semantics.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/image.h"
#include "runtime/spec.h"

namespace berth::engine {

// A container as `ps` and `inspect` see it.
struct ContainerRecord {
  std::string id, name, image_id, image_ref, top_layer;
  int64_t created = 0;  // unix nanos
  std::string config;   // JSON (see containers.cc: Config, HostConfig)
  std::string state;    // created|running|exited|dead|removing
  int pid = 0;
  int exit_code = 0;
  int64_t started_at = 0, finished_at = 0;
  bool oom_killed = false;
  std::string error;
};

// What `berth run` asks for, after the CLI parsed its flags.
struct RunRequest {
  std::string image;                 // as typed
  std::string name;                  // --name; empty = generated
  bool remove = false;               // --rm
  bool interactive = false;          // -i: pass stdin through
  std::vector<std::string> labels;   // -l k=v
  std::string network = "bridge";    // bridge|host|none|container:<x>|<user network>
  std::string ipc_mode, pid_mode;    // --ipc/--pid container:<x> (engine/ns_join.h)
  std::string userns;                // --userns host|auto[:size=N] (engine/userns.h)
  // Networking (engine/network.h): -p, -P, --expose, --network-alias, --add-host, --dns*,
  // --mac-address, --ip.
  std::vector<std::string> publish, expose, aliases, add_hosts, dns, dns_search, dns_options;
  bool publish_all = false;
  std::string mac_address, ip;
  runtime::RunOptions options;       // the rest, already parsed (env, user, limits, ...)
  std::vector<std::string> cap_add, cap_drop;
  std::vector<std::string> security_opts;
  std::vector<std::string> volumes;  // -v host:ctr[:opts], -v name:ctr[:opts], -v /ctr
  std::vector<std::string> mounts;   // --mount type=...,source=...,target=...
  std::string restart;               // --restart no|always|unless-stopped|on-failure[:N]
  std::string log_driver;            // --log-driver json-file|none
  std::vector<std::string> log_opts; // --log-opt max-size=10m, max-file=3
  std::string stop_signal;           // --stop-signal; empty = the image's, else SIGTERM
  std::optional<int> stop_timeout;   // --stop-timeout seconds; empty = 10
  bool init = false;                 // --init: tini as PID 1
  bool sig_proxy = true;             // --sig-proxy
  // --health-*: replaces the image's HEALTHCHECK; test {"NONE"} for --no-healthcheck.
  std::optional<oci::HealthConfig> healthcheck;
  std::string runtime;               // --runtime runc|crun|<path>; "" = berth's own
  std::string gpus;                  // --gpus as typed; "" = none (CDI names ride in --device)
};

}  // namespace berth::engine
