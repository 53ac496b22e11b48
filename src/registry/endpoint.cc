#include "registry/endpoint.h"

#include <arpa/inet.h>

#include "base/strings.h"

namespace berth::registry {

std::string host_for_domain(std::string_view domain) {
  if (domain == image::kDefaultDomain || domain == "index.docker.io" ||
      domain == "registry-1.docker.io")
    return "registry-1.docker.io";
  return std::string(domain);
}

Endpoint endpoint_for(const image::Reference& ref) {
  std::string domain = ref.domain.empty() ? std::string(image::kDefaultDomain) : ref.domain;
  return {domain, host_for_domain(domain), ref.path};
}

std::string normalize_server(std::string_view server) {
  std::string s(trim(server));
  for (std::string_view scheme : {"https://", "http://"})
    if (s.rfind(scheme, 0) == 0) s = s.substr(scheme.size());
  // Drop a path ("index.docker.io/v1/", "host/v2/").
  if (auto slash = s.find('/'); slash != std::string::npos) s = s.substr(0, slash);
  if (s.empty() || s == "index.docker.io" || s == "registry-1.docker.io" || s == "docker.io")
    return std::string(image::kDefaultDomain);
  return to_lower(s);
}

std::string auth_key(std::string_view domain) {
  std::string d = normalize_server(domain);
  if (d == image::kDefaultDomain) return std::string(kDockerHubAuthKey);
  return d;
}

bool is_local_host(std::string_view host) {
  std::string h(host);
  // Strip a port: "[::1]:5000", "127.0.0.1:5000", "localhost:5000".
  if (!h.empty() && h.front() == '[') {
    auto end = h.find(']');
    h = end == std::string::npos ? h.substr(1) : h.substr(1, end - 1);
  } else if (std::count(h.begin(), h.end(), ':') == 1) {
    h = h.substr(0, h.find(':'));
  }
  h = to_lower(h);
  if (h == "localhost" || h == "::1") return true;
  in_addr a{};
  if (::inet_pton(AF_INET, h.c_str(), &a) == 1) return (ntohl(a.s_addr) >> 24) == 127;
  return false;
}

}  // namespace berth::registry
