// Registries allowed over plain HTTP, from a registries.conf in containers-registries.conf(5)
// form (the subset berth reads):
//   [[registry]]                      # v2
//   location = "myreg.example:5000"
//   insecure = true
//   [registries.insecure]             # v1
//   registries = ["a.example", "b.example:5000"]
// The file is /etc/berth/registries.conf, or $BERTH_REGISTRIES_CONF; a missing file lists none.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

std::vector<std::string> parse_insecure_registries(std::string_view conf);
// The file's list plus $BERTH_INSECURE_REGISTRIES (comma-separated).
std::vector<std::string> configured_insecure_registries();

}  // namespace berth::registry
