// `--gpus` as Docker parses it, into HostConfig.DeviceRequests' shape.
//
// Accepted values: `all`, a count (`2`), or CSV fields `count=N|all`, `device=ID[,ID]` (indexes
// or GPU UUIDs; quote the field when it holds commas: '"device=0,1"'), `driver=nvidia`,
// `capabilities=compute,utility`, `options=k=v`. Errors carry Docker's wording; the CLI wraps
// them as `invalid argument "x" for "--gpus" flag: ...`.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::gpu {

struct DeviceRequest {
  std::string driver;  // "" or "nvidia": NVIDIA GPUs; "cdi": device_ids are CDI names
  int count = 0;       // -1: all; 0 with device_ids: those devices
  std::vector<std::string> device_ids;
  std::vector<std::vector<std::string>> capabilities;  // [["gpu"]] by default
  std::map<std::string, std::string> options;
  bool operator==(const DeviceRequest&) const = default;
};

Result<DeviceRequest> parse_gpus(std::string_view value);

// A CDI device name: "vendor.com/class=name" (vendor a domain-like name, class and name of
// letters, digits and -_.:). `--device` takes these besides host paths.
bool is_cdi_name(std::string_view s);
struct CdiName {
  std::string kind;  // vendor.com/class
  std::string name;
};
Result<CdiName> parse_cdi_name(std::string_view s);

// Docker's JSON for one entry of HostConfig.DeviceRequests, and back (for records on disk).
nlohmann::ordered_json to_json(const DeviceRequest& r);
DeviceRequest from_json(const nlohmann::json& j);

}  // namespace berth::gpu
