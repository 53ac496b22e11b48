// --format templates are user input: parsing and executing never crash.
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "format/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::json dot = nlohmann::json::parse(R"({
    "Id": "sha256:abc", "RepoTags": ["busybox:latest"], "Size": 1234, "Flag": true,
    "Config": {"Labels": {"a": "b", "org.label-schema.docker.cmd": "run"}, "Env": ["A=1"], "Cmd": null},
    "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.2"}}}})");
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto t = berth::format::Template::parse(s);
  if (t.ok()) (void)t->execute(dot);
  return 0;
}
