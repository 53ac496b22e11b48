// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
//          scope="repository:x:pull"
//   Basic realm="basic-realm"
// Several challenges may share one header ("Basic realm=a, Bearer realm=b") or come in several
// headers. Scheme names are compared case-insensitively and returned lowercase; parameter names
// are lowercased; quoted values are unescaped (\" and \\).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

struct Challenge {
  std::string scheme;                         // "bearer", "basic"
  std::map<std::string, std::string> params;  // "realm", "service", "scope", "error", ...
};

// Parses one header value. Malformed trailing parts are dropped, never an error: a registry's
// odd header must not hide the challenges that parsed.
std::vector<Challenge> parse_www_authenticate(std::string_view header);

}  // namespace berth::registry
