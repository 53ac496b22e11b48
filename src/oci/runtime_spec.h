// OCI runtime-spec types: the bundle's config.json (runtime-spec 1.0.2, Linux parts).
//
// The structs mirror the Go types of opencontainers/runtime-spec/specs-go, field for field, so a
// config.json written by runc, containerd, podman or Docker parses, and one berth writes reads
// like theirs. Go pointers become std::optional where "absent" and "zero" differ (a memory limit
// of 0 is not "no limit"); Go's omitempty becomes "empty is not written". Hence
// parse_runtime_spec(serialize_runtime_spec(x)) == x for every x, and serializing what
// `runc spec` wrote gives back its exact bytes.
//
// Parsing never throws: nlohmann exceptions are caught here. Unknown fields are ignored; fields
// of the wrong type and missing required fields are kInvalidArgument errors that name the field:
//   config.json: process.args: must be a non-empty array of strings
//   config.json: mounts[2].destination: must be a non-empty string
//   config.json: linux.namespaces[0].type: unknown namespace type "foo"
// linux.seccomp is kept as raw JSON: the seccomp part of the runtime interprets it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::oci {

using Json = nlohmann::ordered_json;

// The version berth writes: the one runc 1.1 (the reference runtime here) writes.
inline constexpr const char* kOciVersion = "1.0.2-dev";

struct Box {
  uint32_t height = 0;
  uint32_t width = 0;
  bool operator==(const Box&) const = default;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;
  bool operator==(const User&) const = default;
};

// Capability names as the spec spells them: "CAP_CHOWN", ...
struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
  bool operator==(const Capabilities&) const = default;
};

// RLIM_INFINITY is UINT64_MAX (Docker's "-1").
struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
  bool operator==(const Rlimit&) const = default;
};

struct Process {
  bool terminal = false;
  std::optional<Box> console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int> oom_score_adj;
  std::string selinux_label;
  bool operator==(const Process&) const = default;
};

struct Root {
  std::string path;
  bool readonly = false;
  bool operator==(const Root&) const = default;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  bool operator==(const Mount&) const = default;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds
  bool operator==(const Hook&) const = default;
};

struct Hooks {
  std::vector<Hook> prestart;  // deprecated by the spec, still run by runc
  std::vector<Hook> create_runtime;
  std::vector<Hook> create_container;
  std::vector<Hook> start_container;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
  bool operator==(const Hooks&) const = default;
};

// type: pid, network, mount, ipc, uts, user, cgroup, time. An empty path means "a new one".
struct Namespace {
  std::string type;
  std::string path;
  bool operator==(const Namespace&) const = default;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
  bool operator==(const IdMapping&) const = default;
};

// A device node the runtime creates in the container (linux.devices).
struct LinuxDevice {
  std::string path;
  std::string type;  // "c", "b", "u", "p"
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;  // permission bits, e.g. 0666
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  bool operator==(const LinuxDevice&) const = default;
};

// A device cgroup rule (linux.resources.devices); an absent major/minor is a wildcard.
struct DeviceCgroup {
  bool allow = false;
  std::string type;  // "a", "c", "b"; empty means all
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::string access;  // subset of "rwm"
  bool operator==(const DeviceCgroup&) const = default;
};

struct Memory {
  std::optional<int64_t> limit;
  std::optional<int64_t> reservation;
  std::optional<int64_t> swap;  // memory + swap, as cgroup v1's memsw; -1 unlimited
  std::optional<int64_t> kernel;
  std::optional<int64_t> kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;
  std::optional<bool> use_hierarchy;
  bool operator==(const Memory&) const = default;
};

struct Cpu {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus;  // "0-3,5"
  std::string mems;
  bool operator==(const Cpu&) const = default;
};

struct Pids {
  int64_t limit = 0;  // -1 unlimited
  bool operator==(const Pids&) const = default;
};

struct BlockIo {
  std::optional<uint16_t> weight;
  std::optional<uint16_t> leaf_weight;
  bool operator==(const BlockIo&) const = default;
};

struct HugepageLimit {
  std::string page_size;  // "2MB"
  uint64_t limit = 0;
  bool operator==(const HugepageLimit&) const = default;
};

struct InterfacePriority {
  std::string name;
  uint32_t priority = 0;
  bool operator==(const InterfacePriority&) const = default;
};

struct Network {
  std::optional<uint32_t> class_id;
  std::vector<InterfacePriority> priorities;
  bool operator==(const Network&) const = default;
};

struct Resources {
  std::vector<DeviceCgroup> devices;
  std::optional<Memory> memory;
  std::optional<Cpu> cpu;
  std::optional<Pids> pids;
  std::optional<BlockIo> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<Network> network;
  bool operator==(const Resources&) const = default;
};

struct Linux {
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::map<std::string, std::string> sysctl;
  std::optional<Resources> resources;
  std::string cgroups_path;
  std::vector<Namespace> namespaces;
  std::vector<LinuxDevice> devices;
  std::optional<Json> seccomp;  // raw linux.seccomp object
  std::string rootfs_propagation;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;
  bool operator==(const Linux&) const = default;
};

struct RuntimeSpec {
  std::string oci_version;
  std::optional<Process> process;
  std::optional<Root> root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  std::optional<Hooks> hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;
  bool operator==(const RuntimeSpec&) const = default;
};

// Parses config.json. Errors (kInvalidArgument) start with "config.json: " and name the field.
Result<RuntimeSpec> parse_runtime_spec(std::string_view json);

// config.json as runc writes it: Go's field order, omitempty rules, tab indentation.
std::string serialize_runtime_spec(const RuntimeSpec& spec);

// The spec `runc spec` writes (for `berth-runc spec`): `sh` on a terminal, rootfs "rootfs"
// read-only, hostname "runc", the three capabilities of runc's template, RLIMIT_NOFILE 1024.
RuntimeSpec example_spec();

}  // namespace berth::oci
