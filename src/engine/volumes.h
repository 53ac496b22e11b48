// Named volumes (Docker's "local" driver) and the parsing of -v / --mount.
//
// A volume is a directory <root>/volumes/<name>/ holding _data (what containers see) and
// volume.json (driver, labels, options, creation time). It is created in a temp directory and
// renamed into place, so a crash never leaves a half-made volume under a real name. Which
// containers use a volume is read from their records (HostConfig mounts), never stored twice.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::engine {

// The label Docker puts on volumes made for `-v /path` and image VOLUMEs: `volume prune`
// without -a removes only these.
inline constexpr const char* kAnonymousVolumeLabel = "com.docker.volume.anonymous";

struct Volume {
  std::string name;
  std::string driver = "local";
  std::string mountpoint;  // <root>/volumes/<name>/_data
  int64_t created = 0;     // unix nanos
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
  bool anonymous() const { return labels.count(kAnonymousVolumeLabel) != 0; }
};

class VolumeStore {
 public:
  explicit VolumeStore(std::string dir) : dir_(std::move(dir)) {}

  // Creates the volume, or returns the existing one of that name (as Docker does). An empty
  // name makes an anonymous volume with a random 64-hex name. `created_new` tells which.
  Result<Volume> create(const std::string& name, const std::map<std::string, std::string>& labels,
                        const std::map<std::string, std::string>& options,
                        bool* created_new = nullptr);
  // "get <name>: no such volume" (kNotFound).
  Result<Volume> get(const std::string& name) const;
  Result<std::vector<Volume>> list() const;
  // Removes the directory (renamed aside first, so a crash midway leaves no half volume).
  Status remove(const std::string& name);
  // Leftovers of crashed creates/removes.
  Result<std::vector<std::string>> clean_temp();

 private:
  std::string dir_;
};

// Docker's rule for local volume names.
Status validate_volume_name(const std::string& name);

// One mount asked for by -v, --mount or --tmpfs, parsed.
struct MountRequest {
  std::string type;    // bind|volume|tmpfs
  std::string source;  // host path (bind), volume name (volume; empty = anonymous)
  std::string target;  // absolute path in the container
  bool readonly = false;
  bool nocopy = false;           // volume: do not copy the image's content into a new volume
  bool idmap = false;            // bind: -v's idmap option (seen through --userns mappings)
  std::string propagation;       // bind: rprivate (default), private, rshared, ...
  std::string mode;              // -v's option string, as inspect shows it ("ro", "z", "")
  std::string tmpfs_options;     // tmpfs: "size=64m,mode=1777"
  std::map<std::string, std::string> volume_labels;  // --mount volume-label=
  bool explicit_mount = false;   // from --mount: a missing bind source is an error
};

// -v /host:/ctr[:opts], -v name:/ctr[:opts], -v /ctr (anonymous volume).
// Errors read as Docker's: `invalid volume specification: 'x'`, `invalid mount config for type
// "volume": invalid mount path: 'x' mount path must be absolute`.
Result<MountRequest> parse_volume_flag(const std::string& spec);
// --mount type=bind|volume|tmpfs,source=...,target=...,readonly,bind-propagation=...,
// volume-nocopy,volume-label=k=v,tmpfs-size=...,tmpfs-mode=...
Result<MountRequest> parse_mount_flag(const std::string& spec);

}  // namespace berth::engine
