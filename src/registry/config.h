// Registry settings from a registries.conf in containers-registries.conf(5) form (the subset
// berth reads):
//   [[registry]]                      # v2
//   location = "myreg.example:5000"
//   insecure = true                   # may be reached over plain HTTP
//   blocked = true                    # never contacted itself (its mirrors still are)
//   [[registry.mirror]]               # mirrors of the [[registry]] above, tried first
//   location = "127.0.0.1:5000"
//   insecure = true
//   [registries.insecure]             # v1
//   registries = ["a.example", "b.example:5000"]
// The file is /etc/berth/registries.conf, or $BERTH_REGISTRIES_CONF; a missing file sets nothing.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

struct RegistriesConf {
  std::vector<std::string> insecure;                          // hosts allowed over plain HTTP
  std::map<std::string, std::vector<std::string>> mirrors;    // domain -> mirror hosts, in order
  std::set<std::string> blocked;                              // domains never contacted
};

RegistriesConf parse_registries_conf(std::string_view conf);
// The file, plus $BERTH_INSECURE_REGISTRIES (comma-separated hosts) and
// $BERTH_REGISTRY_MIRRORS (comma-separated mirror hosts for docker.io, as Docker's
// registry-mirrors).
RegistriesConf load_registries_conf();

}  // namespace berth::registry
