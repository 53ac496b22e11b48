#include "registry/credentials.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/libcrypto.h"
#include "base/fs.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "registry/endpoint.h"

extern char** environ;

namespace berth::registry {
namespace {

using Json = nlohmann::ordered_json;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

Result<Json> read_json_file(const std::string& path) {
  auto data = read_file(path);
  if (!data.ok()) {
    if (data.error().code() == Code::kNotFound) return Json::object();
    return std::move(data).error();
  }
  if (trim(*data).empty()) return Json::object();
  Json j = Json::parse(*data, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return invalid_argument("loading config file " + path + ": not a JSON object");
  return j;
}

// The entry of `obj` whose key names `domain` ("https://host/v2/" matches "host").
const Json* find_entry(const Json& obj, std::string_view domain) {
  if (!obj.is_object()) return nullptr;
  std::string want = normalize_server(domain);
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (normalize_server(it.key()) == want) return &it.value();
  return nullptr;
}

// The helper for a domain: credHelpers first, then credsStore; "" for none.
std::string helper_for(const Json& cfg, std::string_view domain) {
  if (auto it = cfg.find("credHelpers"); it != cfg.end())
    if (const Json* h = find_entry(*it, domain); h && h->is_string()) return h->get<std::string>();
  if (auto it = cfg.find("credsStore"); it != cfg.end() && it->is_string())
    return it->get<std::string>();
  return "";
}

Result<std::optional<Credentials>> from_auths(const Json& cfg, std::string_view domain,
                                              const std::string& path) {
  auto auths = cfg.find("auths");
  if (auths == cfg.end()) return std::optional<Credentials>();
  const Json* e = find_entry(*auths, domain);
  if (!e || !e->is_object()) return std::optional<Credentials>();
  Credentials c;
  if (auto a = e->find("auth"); a != e->end() && a->is_string() && !a->get<std::string>().empty()) {
    auto up = decode_basic(a->get<std::string>());
    if (!up.ok()) return std::move(up).error().context(path);
    c.username = up->first;
    c.password = up->second;
  }
  if (auto a = e->find("username"); a != e->end() && a->is_string()) c.username = *a;
  if (auto a = e->find("password"); a != e->end() && a->is_string()) c.password = *a;
  if (auto a = e->find("identitytoken"); a != e->end() && a->is_string()) c.identity_token = *a;
  if (c.username.empty() && c.password.empty() && c.identity_token.empty())
    return std::optional<Credentials>();
  return std::optional<Credentials>(c);
}

// Runs docker-credential-<helper> <action>, feeding `input`; returns exit status and stdout.
Result<std::pair<int, std::string>> run_helper(const std::string& helper, const char* action,
                                               const std::string& input) {
  std::string prog = "docker-credential-" + helper;
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0) return sys_error("pipe");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) < 0) return sys_error("pipe");
  UniqueFd out_r(out[0]), out_w(out[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  ScopeExit destroy([&] { posix_spawn_file_actions_destroy(&fa); });
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  std::vector<char*> argv = {prog.data(), const_cast<char*>(action), nullptr};
  pid_t pid;
  int rc = ::posix_spawnp(&pid, prog.c_str(), &fa, nullptr, argv.data(), environ);
  if (rc != 0)
    return Error(Code::kNotFound, "error getting credentials - err: exec: \"" + prog +
                                      "\": executable file not found in $PATH", rc);
  in_r.reset();
  out_w.reset();
  Status wr = write_all(in_w.get(), input);
  in_w.reset();
  std::string output;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(out_r.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!wr.ok() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) return std::move(wr).error();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return std::make_pair(code, output);
}

// Docker's helper server URL for a domain: Docker Hub's v1 URL, the bare domain otherwise.
std::string helper_server(std::string_view domain) { return auth_key(domain); }

}  // namespace

AuthFiles AuthFiles::from_env() {
  AuthFiles f;
  std::string dir = env_or("DOCKER_CONFIG", "");
  if (dir.empty()) dir = path_join(env_or("HOME", "/root"), ".docker");
  f.docker_config = path_join(dir, "config.json");
  f.containers_auth = env_or("REGISTRY_AUTH_FILE", "");
  if (f.containers_auth.empty()) {
    std::string xdg = env_or("XDG_RUNTIME_DIR", "");
    if (!xdg.empty()) f.containers_auth = path_join(xdg, "containers/auth.json");
  }
  return f;
}

std::string encode_basic(std::string_view user, std::string_view password) {
  std::string in = std::string(user) + ":" + std::string(password);
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = libcrypto().encode_block(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::pair<std::string, std::string>> decode_basic(std::string_view b64) {
  std::string in(trim(b64));
  auto bad = [] { return invalid_argument("invalid auth configuration"); };
  if (in.empty() || in.size() % 4 != 0) return bad();
  std::string out(in.size() / 4 * 3 + 1, '\0');
  int n = libcrypto().decode_block(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return bad();
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) --len;
  out.resize(len);
  auto p = split_once(out, ':');
  if (!p.found) return bad();
  return std::make_pair(p.first, p.second);
}

Result<std::optional<Credentials>> helper_get(const std::string& helper,
                                              const std::string& server) {
  BERTH_ASSIGN_OR_RETURN(auto r, run_helper(helper, "get", server));
  if (r.first != 0) {
    std::string msg(trim(r.second));
    if (msg.find("credentials not found") != std::string::npos) return std::optional<Credentials>();
    return unavailable("error getting credentials - err: exit status " + std::to_string(r.first) +
                       ", out: `" + msg + "`");
  }
  Json j = Json::parse(r.second, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return unavailable("error getting credentials - err: docker-credential-" + helper +
                       " printed no JSON");
  Credentials c;
  c.username = j.value("Username", "");
  std::string secret = j.value("Secret", "");
  // Docker's convention: the user "<token>" means the secret is an identity token.
  if (c.username == "<token>") {
    c.username.clear();
    c.identity_token = secret;
  } else {
    c.password = secret;
  }
  return std::optional<Credentials>(c);
}

Status helper_store(const std::string& helper, const std::string& server, const Credentials& c) {
  Json j = Json::object();
  j["ServerURL"] = server;
  j["Username"] = c.identity_token.empty() ? c.username : "<token>";
  j["Secret"] = c.identity_token.empty() ? c.password : c.identity_token;
  BERTH_ASSIGN_OR_RETURN(auto r, run_helper(helper, "store", j.dump()));
  if (r.first != 0)
    return unavailable("error storing credentials - err: exit status " +
                       std::to_string(r.first) + ", out: `" + std::string(trim(r.second)) + "`");
  return {};
}

Status helper_erase(const std::string& helper, const std::string& server) {
  BERTH_ASSIGN_OR_RETURN(auto r, run_helper(helper, "erase", server));
  if (r.first != 0 && r.second.find("credentials not found") == std::string::npos)
    return unavailable("error erasing credentials - err: exit status " +
                       std::to_string(r.first) + ", out: `" + std::string(trim(r.second)) + "`");
  return {};
}

Result<std::optional<Credentials>> lookup_credentials(const AuthFiles& files,
                                                      std::string_view domain) {
  BERTH_ASSIGN_OR_RETURN(Json cfg, read_json_file(files.docker_config));
  std::string helper = helper_for(cfg, domain);
  if (!helper.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto c, helper_get(helper, helper_server(domain)));
    if (c) return c;
  }
  BERTH_ASSIGN_OR_RETURN(auto c, from_auths(cfg, domain, files.docker_config));
  if (c) return c;
  if (!files.containers_auth.empty()) {
    BERTH_ASSIGN_OR_RETURN(Json podman, read_json_file(files.containers_auth));
    return from_auths(podman, domain, files.containers_auth);
  }
  return std::optional<Credentials>();
}

Result<StoreResult> store_credentials(const AuthFiles& files, std::string_view domain,
                                      const Credentials& creds) {
  BERTH_ASSIGN_OR_RETURN(Json cfg, read_json_file(files.docker_config));
  std::string key = auth_key(domain);
  std::string helper = helper_for(cfg, domain);
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) cfg["auths"] = Json::object();
  // Drop entries that name the same registry under another spelling.
  Json& auths = cfg["auths"];
  std::string want = normalize_server(domain);
  for (auto it = auths.begin(); it != auths.end();) {
    if (it.key() != key && normalize_server(it.key()) == want) it = auths.erase(it);
    else ++it;
  }
  StoreResult res{helper.empty(), files.docker_config};
  if (!helper.empty()) {
    BERTH_TRY(helper_store(helper, helper_server(domain), creds));
    auths[key] = Json::object();  // as Docker does: the entry says a login exists
  } else {
    Json e = Json::object();
    e["auth"] = encode_basic(creds.username, creds.password);
    if (!creds.identity_token.empty()) e["identitytoken"] = creds.identity_token;
    auths[key] = e;
  }
  BERTH_TRY(mkdir_all(dirname(files.docker_config), 0700));
  BERTH_TRY_CTX(atomic_write_file(files.docker_config, cfg.dump(1, '\t') + "\n", 0600),
                "saving credentials to " + files.docker_config);
  return res;
}

Result<bool> erase_credentials(const AuthFiles& files, std::string_view domain) {
  BERTH_ASSIGN_OR_RETURN(Json cfg, read_json_file(files.docker_config));
  std::string helper = helper_for(cfg, domain);
  bool found = false;
  if (!helper.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto c, helper_get(helper, helper_server(domain)));
    if (c) {
      found = true;
      BERTH_TRY(helper_erase(helper, helper_server(domain)));
    }
  }
  if (cfg.contains("auths") && cfg["auths"].is_object()) {
    Json& auths = cfg["auths"];
    std::string want = normalize_server(domain);
    for (auto it = auths.begin(); it != auths.end();) {
      if (normalize_server(it.key()) == want) {
        it = auths.erase(it);
        found = true;
      } else {
        ++it;
      }
    }
  }
  if (found && path_exists(files.docker_config))
    BERTH_TRY_CTX(atomic_write_file(files.docker_config, cfg.dump(1, '\t') + "\n", 0600),
                  "saving " + files.docker_config);
  return found;
}

}  // namespace berth::registry
