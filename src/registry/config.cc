#include "registry/config.h"

#include <cstdlib>

#include "base/fs.h"
#include "base/strings.h"
#include "registry/endpoint.h"

namespace berth::registry {
namespace {

std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
    v = v.substr(1, v.size() - 2);
  return std::string(v);
}

// A location names a domain the way references do: "docker.io", "index.docker.io" alike.
std::string domain_of(const std::string& location) { return normalize_server(location); }

}  // namespace

RegistriesConf parse_registries_conf(std::string_view conf) {
  RegistriesConf out;
  std::string section, registry, location;
  bool insecure = false, blocked = false;
  auto flush = [&] {
    if (section == "[[registry]]") {
      registry = location;
      if (insecure && !location.empty()) out.insecure.push_back(location);
      if (blocked && !location.empty()) out.blocked.insert(domain_of(location));
    } else if (section == "[[registry.mirror]]" && !location.empty() && !registry.empty()) {
      out.mirrors[domain_of(registry)].push_back(location);
      if (insecure) out.insecure.push_back(location);
    }
    location.clear();
    insecure = blocked = false;
  };
  for (const auto& raw : split(conf, '\n')) {
    std::string line(trim(split_once(raw, '#').first));
    if (line.empty()) continue;
    if (line.front() == '[') {
      flush();
      section = line;
      if (section != "[[registry.mirror]]") registry.clear();
      continue;
    }
    auto kv = split_once(line, '=');
    if (!kv.found) continue;
    std::string key(trim(kv.first));
    std::string val(trim(kv.second));
    if (section == "[[registry]]" || section == "[[registry.mirror]]") {
      if (key == "location") location = unquote(val);
      if (key == "insecure") insecure = val == "true";
      if (key == "blocked") blocked = val == "true";
    } else if (section == "[registries.insecure]" && key == "registries") {
      std::string list = val;
      if (!list.empty() && list.front() == '[') list = list.substr(1);
      if (!list.empty() && list.back() == ']') list.pop_back();
      for (const auto& item : split(list, ','))
        if (!unquote(item).empty()) out.insecure.push_back(unquote(item));
    }
  }
  flush();
  return out;
}

RegistriesConf load_registries_conf() {
  const char* env_path = std::getenv("BERTH_REGISTRIES_CONF");
  std::string path = env_path && *env_path ? env_path : "/etc/berth/registries.conf";
  RegistriesConf out;
  if (auto data = read_file(path); data.ok()) out = parse_registries_conf(*data);
  if (const char* env = std::getenv("BERTH_INSECURE_REGISTRIES"))
    for (const auto& r : split(env, ','))
      if (!trim(r).empty()) out.insecure.emplace_back(trim(r));
  if (const char* env = std::getenv("BERTH_REGISTRY_MIRRORS"))
    for (const auto& r : split(env, ','))
      if (!trim(r).empty()) out.mirrors["docker.io"].emplace_back(trim(r));
  return out;
}

}  // namespace berth::registry
