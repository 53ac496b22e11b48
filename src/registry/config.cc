#include "registry/config.h"

#include <cstdlib>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::registry {
namespace {

std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
    v = v.substr(1, v.size() - 2);
  return std::string(v);
}

}  // namespace

std::vector<std::string> parse_insecure_registries(std::string_view conf) {
  std::vector<std::string> out;
  std::string section, location;
  bool insecure = false;
  auto flush = [&] {
    if (section == "[[registry]]" && insecure && !location.empty()) out.push_back(location);
    location.clear();
    insecure = false;
  };
  for (const auto& raw : split(conf, '\n')) {
    std::string line(trim(split_once(raw, '#').first));
    if (line.empty()) continue;
    if (line.front() == '[') {
      flush();
      section = line;
      continue;
    }
    auto kv = split_once(line, '=');
    if (!kv.found) continue;
    std::string key(trim(kv.first));
    std::string val(trim(kv.second));
    if (section == "[[registry]]") {
      if (key == "location") location = unquote(val);
      if (key == "insecure") insecure = val == "true";
    } else if (section == "[registries.insecure]" && key == "registries") {
      std::string list = val;
      if (!list.empty() && list.front() == '[') list = list.substr(1);
      if (!list.empty() && list.back() == ']') list.pop_back();
      for (const auto& item : split(list, ','))
        if (!unquote(item).empty()) out.push_back(unquote(item));
    }
  }
  flush();
  return out;
}

std::vector<std::string> configured_insecure_registries() {
  const char* env_path = std::getenv("BERTH_REGISTRIES_CONF");
  std::string path = env_path && *env_path ? env_path : "/etc/berth/registries.conf";
  std::vector<std::string> out;
  if (auto data = read_file(path); data.ok()) out = parse_insecure_registries(*data);
  if (const char* env = std::getenv("BERTH_INSECURE_REGISTRIES"))
    for (const auto& r : split(env, ','))
      if (!trim(r).empty()) out.emplace_back(trim(r));
  return out;
}

}  // namespace berth::registry
