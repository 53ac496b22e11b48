// Where a reference lives: registry host, repository path, URLs, and the names credentials are
// filed under. Docker Hub's special cases live here: "docker.io" is served by
// registry-1.docker.io and its credentials are filed under "https://index.docker.io/v1/".
#pragma once

#include <string>
#include <string_view>

#include "image/reference.h"

namespace berth::registry {

// The key Docker files Docker Hub credentials under in config.json.
inline constexpr std::string_view kDockerHubAuthKey = "https://index.docker.io/v1/";

struct Endpoint {
  std::string domain;      // as in the reference: "docker.io", "127.0.0.1:5000"
  std::string host;        // what is dialed: "registry-1.docker.io", "127.0.0.1:5000"
  std::string repository;  // "library/busybox"
};

Endpoint endpoint_for(const image::Reference& ref);
// The host dialed for a registry domain ("docker.io" -> "registry-1.docker.io").
std::string host_for_domain(std::string_view domain);

// The registry a user names on `login`/`logout` ("", "docker.io", "https://index.docker.io/v1/",
// "localhost:5000", "https://localhost:5000/v2/") as a domain: "docker.io", "localhost:5000".
std::string normalize_server(std::string_view server);
// The config.json key for a domain: kDockerHubAuthKey for Docker Hub, else the domain itself.
std::string auth_key(std::string_view domain);

// localhost, 127.0.0.0/8 and ::1, with or without a port: registries that may be reached over
// plain HTTP when they do not speak TLS.
bool is_local_host(std::string_view host);

}  // namespace berth::registry
