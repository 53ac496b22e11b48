// Registry credentials, stored the way Docker stores them so berth and docker share logins:
//
// - config.json: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
//     {"auths": {"<key>": {"auth": base64("user:password"), "identitytoken": "..."}},
//      "credsStore": "<helper>", "credHelpers": {"<key>": "<helper>"}}
//   <key> is the registry domain ("localhost:5000"), or "https://index.docker.io/v1/" for
//   Docker Hub; keys written as URLs ("https://host/v2/") match their host when read.
// - Credential helpers: `docker-credential-<helper> get|store|erase` on $PATH, speaking Docker's
//   JSON protocol on stdin/stdout. A helper named for a registry in credHelpers wins over
//   credsStore. A helper keeps passwords out of config.json; without one they sit there in
//   base64 (plain text), which login warns about.
// - Podman's auth.json (${REGISTRY_AUTH_FILE}, else ${XDG_RUNTIME_DIR}/containers/auth.json) is
//   read after config.json, never written.
// Every write of config.json is atomic (temp + rename), mode 0600, and keeps the keys berth does
// not know.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace berth::registry {

struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;  // OAuth2 refresh token some registries issue instead of a password
};

struct AuthFiles {
  std::string docker_config;    // config.json path
  std::string containers_auth;  // auth.json path, "" when none
  // From $DOCKER_CONFIG, $HOME, $REGISTRY_AUTH_FILE and $XDG_RUNTIME_DIR.
  static AuthFiles from_env();
};

std::string encode_basic(std::string_view user, std::string_view password);
// "user:password" from base64; kInvalidArgument "invalid auth configuration" otherwise.
Result<std::pair<std::string, std::string>> decode_basic(std::string_view b64);

// The credentials stored for a registry domain ("docker.io", "localhost:5000"); nullopt when
// none. A broken config.json is an error naming the file.
Result<std::optional<Credentials>> lookup_credentials(const AuthFiles& files,
                                                      std::string_view domain);

struct StoreResult {
  bool plain_text = false;  // true: written into config.json (base64), not into a helper
  std::string path;         // the config.json written
};
Result<StoreResult> store_credentials(const AuthFiles& files, std::string_view domain,
                                      const Credentials& creds);
// false when nothing was stored for the domain.
Result<bool> erase_credentials(const AuthFiles& files, std::string_view domain);

// Credential-helper protocol (exposed for tests). `helper` is the suffix ("pass", "secretservice").
Result<std::optional<Credentials>> helper_get(const std::string& helper, const std::string& server);
Status helper_store(const std::string& helper, const std::string& server, const Credentials& c);
Status helper_erase(const std::string& helper, const std::string& server);

}  // namespace berth::registry
