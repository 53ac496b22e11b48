// Container Device Interface (CDI) specs: the vendor-neutral way to describe devices.
//
// A spec (JSON or YAML, in /etc/cdi and /var/run/cdi by default) names a kind
// ("nvidia.com/gpu"), devices of that kind with their container edits, and edits common to all
// of them. `--device nvidia.com/gpu=0` and `--gpus` (when a spec of kind nvidia.com/gpu exists)
// resolve through here. Later directories win over earlier ones for the same device, as the CDI
// reference does. A spec that does not parse is skipped and reported, never fatal for the
// others: one vendor's broken file must not take every device away.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "gpu/edits.h"

namespace berth::gpu {

struct CdiDevice {
  std::string name;
  ContainerEdits edits;
};

struct CdiSpec {
  std::string path;  // the file it came from
  std::string version;
  std::string kind;  // vendor.com/class
  ContainerEdits edits;
  std::vector<CdiDevice> devices;
};

// Parses one spec's text (JSON or YAML). Errors name the file and the field.
Result<CdiSpec> parse_cdi_spec(const std::string& text, const std::string& path);

// The default spec directories, lowest priority first.
std::vector<std::string> default_cdi_dirs();

class CdiRegistry {
 public:
  // Reads every *.json, *.yaml and *.yml in `dirs` (missing directories are fine).
  static CdiRegistry load(const std::vector<std::string>& dirs);

  bool has_kind(const std::string& kind) const;
  // "vendor.com/class=name" for every device, sorted.
  std::vector<std::string> device_names() const;
  // The merged edits for `names` (each "kind=name"); a kind's common edits are added once.
  // "kind=all" means every device of the kind when the spec defines no device named "all".
  // Error (kNotFound): unresolvable CDI devices a, b.
  Result<ContainerEdits> resolve(const std::vector<std::string>& names) const;
  // "path: why" for each spec that could not be read.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<CdiSpec> specs_;  // in load order; later ones win
  std::vector<std::string> errors_;
};

}  // namespace berth::gpu
