#include "registry/client.h"

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "digest/digest.h"
#include "registry/challenge.h"
#include "registry/endpoint.h"
#include "registry/media.h"

namespace berth::registry {
namespace {

using Json = nlohmann::json;

std::string url_escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string status_text(long code) {
  switch (code) {
    case 400: return "400 Bad Request";
    case 401: return "401 Unauthorized";
    case 403: return "403 Forbidden";
    case 404: return "404 Not Found";
    case 405: return "405 Method Not Allowed";
    case 409: return "409 Conflict";
    case 416: return "416 Requested Range Not Satisfiable";
    case 429: return "429 Too Many Requests";
    case 500: return "500 Internal Server Error";
    case 502: return "502 Bad Gateway";
    case 503: return "503 Service Unavailable";
    case 504: return "504 Gateway Timeout";
    default: return std::to_string(code);
  }
}

Code code_for(long status) {
  if (status == 401 || status == 403) return Code::kPermissionDenied;
  if (status == 404) return Code::kNotFound;
  if (status == 400) return Code::kInvalidArgument;
  return Code::kUnavailable;
}

bool retryable_status(long s) { return s == 429 || s == 500 || s == 502 || s == 503 || s == 504; }

std::string with_query(const std::string& url, const std::string& kv) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + kv;
}

}  // namespace

Error registry_error(const Response& resp) {
  Json j = Json::parse(resp.body, nullptr, false);
  std::vector<std::string> parts;
  if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      std::string code = e.value("code", "");
      for (auto& c : code) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
      std::string msg = e.contains("message") && e["message"].is_string()
                            ? e["message"].get<std::string>() : "";
      parts.push_back(code.empty() ? msg : code + ": " + msg);
    }
  } else if (j.is_object() && j.contains("details") && j["details"].is_string()) {
    // Token servers (Docker Hub's auth) answer {"details": "incorrect username or password"}.
    parts.push_back((resp.status == 401 ? "unauthorized: " : "") + j["details"].get<std::string>());
  }
  // HEAD answers carry no body: name the status as the registry's error code would.
  if (parts.empty() && resp.status == 401) parts.push_back("unauthorized: authentication required");
  if (parts.empty() && resp.status == 403)
    parts.push_back("denied: requested access to the resource is denied");
  std::string msg = parts.empty() ? "received unexpected HTTP status: " + status_text(resp.status)
                                  : join(parts, "; ");
  return Error(code_for(resp.status), msg);
}

Result<std::shared_ptr<Client>> Client::connect(const std::string& host, ClientOptions opts) {
  std::shared_ptr<Client> c(new Client(host, std::move(opts)));
  BERTH_TRY(c->ping());
  return c;
}

std::unique_ptr<HttpClient> Client::take_http() {
  {
    std::lock_guard lk(mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  return std::make_unique<HttpClient>(tls_);
}

void Client::give_http(std::unique_ptr<HttpClient> h) {
  std::lock_guard lk(mu_);
  idle_.push_back(std::move(h));
}

Status Client::ping() {
  bool may_fall_back = !opts_.tls_verify || is_local_host(host_);
  for (const auto& r : opts_.insecure_registries)
    if (normalize_server(r) == normalize_server(host_)) may_fall_back = true;
  tls_ = tls_for_host(host_, opts_.certs_roots, opts_.tls_verify);
  HttpClient http(tls_);
  std::vector<std::string> schemes = {"https"};
  if (may_fall_back) schemes.push_back("http");
  for (int attempt = 0;; ++attempt) {
    Result<Response> resp = unavailable("no scheme tried");
    for (const auto& scheme : schemes) {
      Request req;
      req.url = scheme + "://" + host_ + "/v2/";
      resp = http.send(req);
      if (resp.ok()) {
        base_ = scheme + "://" + host_;
        break;
      }
      // Only a peer that does not speak TLS at all may be tried over plain HTTP.
      if (!is_tls_protocol_error(http.last_curl_code())) break;
    }
    if (resp.ok()) {
      if (resp->status == 401) learn_challenge(*resp);
      return {};
    }
    // Another try for a registry that is still starting or restarting.
    if (attempt >= 1 || opts_.retries == 0 || !is_retryable_transfer(http.last_curl_code()))
      return std::move(resp).error();
    std::this_thread::sleep_for(std::chrono::milliseconds(opts_.backoff_ms));
  }
}

void Client::learn_challenge(const Response& resp) {
  auto it = resp.headers.find("www-authenticate");
  if (it == resp.headers.end()) return;
  std::vector<Challenge> all;
  for (const auto& line : split(it->second, '\n'))
    for (auto& c : parse_www_authenticate(line)) all.push_back(std::move(c));
  std::lock_guard lk(mu_);
  // Bearer wins over Basic when a registry offers both, as Docker chooses.
  for (const char* want : {"bearer", "basic"}) {
    for (const auto& c : all) {
      if (c.scheme != want) continue;
      if (scheme_ != c.scheme || challenge_.count("realm") == 0 ||
          challenge_["realm"] != (c.params.count("realm") ? c.params.at("realm") : "")) {
        tokens_.clear();
      }
      scheme_ = c.scheme;
      challenge_ = c.params;
      return;
    }
  }
}

Result<std::optional<Credentials>> Client::credentials() {
  std::lock_guard lk(mu_);
  if (!creds_loaded_) {
    if (opts_.credentials) {
      creds_ = opts_.credentials;
    } else {
      // Credentials are filed under the registry's domain; docker.io's host maps back to it.
      std::string domain = host_ == "registry-1.docker.io" ? "docker.io" : host_;
      BERTH_ASSIGN_OR_RETURN(creds_, lookup_credentials(opts_.auth_files, domain));
    }
    creds_loaded_ = true;
  }
  return creds_;
}

std::string Client::scope(const std::string& repo) const {
  return "repository:" + repo + (push_ ? ":pull,push" : ":pull");
}

Result<std::string> Client::fetch_token(const std::vector<std::string>& scopes) {
  std::string realm, service;
  {
    std::lock_guard lk(mu_);
    realm = challenge_.count("realm") ? challenge_["realm"] : "";
    service = challenge_.count("service") ? challenge_["service"] : "";
  }
  if (realm.empty()) return permission_denied("bearer challenge without a realm from " + host_);
  BERTH_ASSIGN_OR_RETURN(auto creds, credentials());
  Request req;
  std::string query;
  if (!service.empty()) query += "service=" + url_escape(service);
  for (const auto& s : scopes) query += (query.empty() ? "" : "&") + ("scope=" + url_escape(s));
  if (creds && !creds->identity_token.empty()) {
    // OAuth2 refresh-token grant (what an identity token is for).
    req.method = "POST";
    req.url = realm;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    req.body = query + "&grant_type=refresh_token&client_id=berth&refresh_token=" +
               url_escape(creds->identity_token);
    req.has_body = true;
  } else {
    req.url = query.empty() ? realm : with_query(realm, query);
    if (creds && (!creds->username.empty() || !creds->password.empty()))
      req.headers.push_back("Authorization: Basic " +
                            encode_basic(creds->username, creds->password));
  }
  req.max_body = 1u << 20;
  // The token server is another host: its own TLS settings.
  std::string th = realm;
  for (std::string_view p : {"https://", "http://"})
    if (th.rfind(p, 0) == 0) th = th.substr(p.size());
  th = split_once(th, '/').first;
  HttpClient http(tls_for_host(th, opts_.certs_roots, opts_.tls_verify));
  BERTH_ASSIGN_OR_RETURN(auto resp, http.send(req));
  if (resp.status != 200) {
    Error e = registry_error(resp);
    if (resp.status == 401 && creds && e.message().rfind("received unexpected", 0) == 0)
      e = permission_denied("unauthorized: incorrect username or password");
    return std::move(e).context(go_method(req.method) + " \"" + realm + "\"");
  }
  Json j = Json::parse(resp.body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    if (j.contains("token") && j["token"].is_string()) token = j["token"];
    if (token.empty() && j.contains("access_token") && j["access_token"].is_string())
      token = j["access_token"];
  }
  if (token.empty()) return unavailable("token server " + realm + " returned no token");
  return token;
}

Result<std::string> Client::authorization(const std::vector<std::string>& scopes, bool refresh) {
  std::string scheme;
  {
    std::lock_guard lk(mu_);
    scheme = scheme_;
  }
  if (scheme == "basic") {
    BERTH_ASSIGN_OR_RETURN(auto creds, credentials());
    if (!creds) return std::string();
    return "Authorization: Basic " + encode_basic(creds->username, creds->password);
  }
  if (scheme != "bearer") return std::string();
  std::string key = join(scopes, " ");
  {
    std::lock_guard lk(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && !refresh) return "Authorization: Bearer " + it->second;
  }
  BERTH_ASSIGN_OR_RETURN(std::string token, fetch_token(scopes));
  std::lock_guard lk(mu_);
  tokens_[key] = token;
  return "Authorization: Bearer " + token;
}

Result<Response> Client::send_retrying(const Request& req) {
  Request r = req;
  uint64_t delivered = 0;
  if (req.sink) {
    r.sink = [&](std::string_view d) {
      delivered += d.size();
      return req.sink(d);
    };
  }
  int wait = opts_.backoff_ms;
  for (int attempt = 0;; ++attempt) {
    auto http = take_http();
    auto resp = http->send(r);
    int code = http->last_curl_code();
    give_http(std::move(http));
    bool last = attempt >= opts_.retries || delivered > 0;
    if (!resp.ok()) {
      if (last || !is_retryable_transfer(code)) return resp;
    } else if (!retryable_status(resp->status) || last) {
      return resp;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    wait *= 2;
  }
}

Result<Response> Client::send(Request req, const std::vector<std::string>& scopes) {
  for (int round = 0;; ++round) {
    Request r = req;
    BERTH_ASSIGN_OR_RETURN(std::string auth, authorization(scopes, round > 0));
    if (!auth.empty()) r.headers.push_back(auth);
    BERTH_ASSIGN_OR_RETURN(auto resp, send_retrying(r));
    if (resp.status != 401 || round > 0) return resp;
    std::string before;
    {
      std::lock_guard lk(mu_);
      before = scheme_;
    }
    learn_challenge(resp);
    std::string after;
    {
      std::lock_guard lk(mu_);
      after = scheme_;
    }
    // Worth a second try only with something new to offer.
    BERTH_ASSIGN_OR_RETURN(auto creds, credentials());
    if (after.empty() || (after == "basic" && (!creds || before == "basic"))) return resp;
  }
}

Status Client::verify_login() {
  BERTH_ASSIGN_OR_RETURN(auto creds, credentials());
  std::string scheme;
  {
    std::lock_guard lk(mu_);
    scheme = scheme_;
  }
  if (scheme.empty()) return {};  // the registry asks for no credentials
  std::string v2 = url("/v2/");
  if (scheme == "bearer") {
    auto tok = fetch_token({});
    if (!tok.ok()) {
      // Docker: `Get "https://host/v2/": unauthorized: incorrect username or password`.
      std::string m = tok.error().message();
      auto pos = m.find("\": ");
      if (pos != std::string::npos) m = m.substr(pos + 3);
      return Error(tok.error().code(), "Get \"" + v2 + "\": " + m);
    }
    return {};
  }
  Request req;
  req.url = v2;
  if (creds)
    req.headers.push_back("Authorization: Basic " + encode_basic(creds->username, creds->password));
  BERTH_ASSIGN_OR_RETURN(auto resp, send_retrying(req));
  if (resp.status == 200) return {};
  return Error(code_for(resp.status), "login attempt to " + v2 + " failed with status: " +
                                          status_text(resp.status));
}

Result<FetchedManifest> Client::get_manifest(const std::string& repo, const std::string& ref) {
  Request req;
  req.url = url("/v2/" + repo + "/manifests/" + ref);
  req.headers.push_back("Accept: " + manifest_accept_header());
  req.max_body = 4u << 20;
  BERTH_ASSIGN_OR_RETURN(auto resp, send(req, {scope(repo)}));
  if (resp.status != 200) return registry_error(resp);
  FetchedManifest m;
  m.bytes = std::move(resp.body);
  m.digest = digest::sha256_of(m.bytes).str();
  if (ref.find(':') != std::string::npos && ref != m.digest)
    return invalid_argument("manifest verification failed for digest " + ref + ": got " +
                            m.digest);
  std::string ct(trim(split_once(resp.header("content-type"), ';').first));
  std::string inner = embedded_media_type(m.bytes);
  bool generic = ct.empty() || ct == "application/json" || ct == "text/plain" ||
                 ct == "application/octet-stream";
  m.media_type = generic && !inner.empty() ? inner : ct;
  if (m.media_type.empty() || generic) {
    auto kind = classify_manifest(m.media_type, m.bytes);
    if (kind == ManifestKind::kIndex) m.media_type = oci::kMediaTypeOciIndex;
    if (kind == ManifestKind::kImage) m.media_type = oci::kMediaTypeOciManifest;
  }
  return m;
}

Result<std::string> Client::put_manifest(const std::string& repo, const std::string& ref,
                                         const std::string& media_type, const std::string& bytes) {
  Request req;
  req.method = "PUT";
  req.url = url("/v2/" + repo + "/manifests/" + ref);
  req.headers.push_back("Content-Type: " + media_type);
  req.body = bytes;
  req.has_body = true;
  BERTH_ASSIGN_OR_RETURN(auto resp, send(req, {scope(repo)}));
  if (resp.status != 201 && resp.status != 200 && resp.status != 202) return registry_error(resp);
  return digest::sha256_of(bytes).str();
}

Result<std::vector<std::string>> Client::list_tags(const std::string& repo) {
  std::vector<std::string> out;
  std::string next = url("/v2/" + repo + "/tags/list");
  for (int page = 0; page < 1000 && !next.empty(); ++page) {
    Request req;
    req.url = next;
    BERTH_ASSIGN_OR_RETURN(auto resp, send(req, {scope(repo)}));
    if (resp.status != 200) return registry_error(resp);
    Json j = Json::parse(resp.body, nullptr, false);
    if (j.is_object() && j.contains("tags") && j["tags"].is_array())
      for (const auto& t : j["tags"])
        if (t.is_string()) out.push_back(t);
    // Pagination: Link: </v2/<repo>/tags/list?last=x&n=y>; rel="next"
    next.clear();
    std::string link = resp.header("link");
    auto lt = link.find('<'), gt = link.find('>');
    if (lt != std::string::npos && gt != std::string::npos && gt > lt &&
        link.find("rel=\"next\"") != std::string::npos)
      next = resolve_location(link.substr(lt + 1, gt - lt - 1));
  }
  return out;
}

Result<std::string> Client::get_blob(const std::string& repo, const std::string& digest,
                                     size_t max_size) {
  Request req;
  req.url = url("/v2/" + repo + "/blobs/" + digest);
  req.follow_redirects = true;
  req.max_body = max_size;
  std::string data;
  req.sink = [&](std::string_view d) -> Status {
    if (data.size() + d.size() > max_size)
      return invalid_argument("blob " + digest + " is larger than " + std::to_string(max_size) +
                              " bytes");
    data.append(d);
    return {};
  };
  req.on_status = [&](long) -> Status {
    data.clear();
    return {};
  };
  // A transfer cut short starts over: the blob is small.
  Result<Response> sent = unavailable("not sent");
  for (int attempt = 0; attempt <= opts_.retries; ++attempt) {
    sent = send(req, {scope(repo)});
    if (sent.ok() || sent.error().code() != Code::kUnavailable) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(opts_.backoff_ms << attempt));
  }
  if (!sent.ok()) return std::move(sent).error();
  const Response& resp = *sent;
  if (resp.status != 200) return registry_error(resp);
  std::string got = digest::sha256_of(data).str();
  if (got != digest)
    return invalid_argument("digest mismatch: expected " + digest + ", got " + got);
  return data;
}

Result<std::string> Client::download_blob(const std::string& repo, const oci::Descriptor& desc,
                                          content::ContentStore& store, const Progress& progress) {
  BERTH_ASSIGN_OR_RETURN(auto writer, store.writer());
  uint64_t limit = desc.size > 0 ? static_cast<uint64_t>(desc.size) : UINT64_MAX;
  std::optional<Error> last;
  for (int attempt = 0; attempt <= opts_.retries + 2; ++attempt) {
    uint64_t offset = writer.size();
    Request req;
    req.url = url("/v2/" + repo + "/blobs/" + desc.digest);
    req.follow_redirects = true;
    if (offset > 0) req.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
    req.on_status = [&](long code) -> Status {
      if (offset > 0 && code == 200) {
        // The server ignored the range: start over.
        BERTH_ASSIGN_OR_RETURN(writer, store.writer());
      }
      return {};
    };
    req.sink = [&](std::string_view d) -> Status {
      if (writer.size() + d.size() > limit)
        return invalid_argument("blob " + desc.digest + " is larger than the " +
                                std::to_string(limit) + " bytes its descriptor says");
      BERTH_TRY(writer.write(d));
      if (progress) progress(writer.size());
      return {};
    };
    auto resp = send(req, {scope(repo)});
    if (!resp.ok()) {
      if (resp.error().code() != Code::kUnavailable) return std::move(resp).error();
      last = std::move(resp).error();
      if (writer.size() == offset)
        std::this_thread::sleep_for(std::chrono::milliseconds(opts_.backoff_ms));
      continue;  // resume from what arrived
    }
    if (resp->status != 200 && resp->status != 206) return registry_error(*resp);
    std::optional<uint64_t> size;
    if (desc.size > 0) size = static_cast<uint64_t>(desc.size);
    auto committed = writer.commit(desc.digest, size);
    if (!committed.ok())
      return std::move(committed).error().context(
          "filesystem layer verification failed for digest " + desc.digest);
    return committed;
  }
  return std::move(*last);
}

Result<bool> Client::has_blob(const std::string& repo, const std::string& digest) {
  Request req;
  req.method = "HEAD";
  req.url = url("/v2/" + repo + "/blobs/" + digest);
  req.follow_redirects = true;
  BERTH_ASSIGN_OR_RETURN(auto resp, send(req, {scope(repo)}));
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  return registry_error(resp);
}

std::string Client::resolve_location(const std::string& loc) const {
  if (loc.rfind("http://", 0) == 0 || loc.rfind("https://", 0) == 0) return loc;
  if (!loc.empty() && loc[0] == '/') return base_ + loc;
  return base_ + "/" + loc;
}

Result<bool> Client::mount_blob(const std::string& repo, const std::string& digest,
                                const std::string& from_repo) {
  Request req;
  req.method = "POST";
  req.url = url("/v2/" + repo + "/blobs/uploads/?mount=" + url_escape(digest) +
                "&from=" + url_escape(from_repo));
  BERTH_ASSIGN_OR_RETURN(auto resp,
                         send(req, {scope(repo), "repository:" + from_repo + ":pull"}));
  if (resp.status == 201) return true;
  if (resp.status == 202) {
    std::lock_guard lk(mu_);
    pending_uploads_[repo + "@" + digest] = resolve_location(resp.header("location"));
    return false;
  }
  return registry_error(resp);
}

Status Client::upload_blob(const std::string& repo, const std::string& digest, int fd,
                           uint64_t size, const Progress& progress) {
  std::string location;
  {
    std::lock_guard lk(mu_);
    auto it = pending_uploads_.find(repo + "@" + digest);
    if (it != pending_uploads_.end()) {
      location = it->second;
      pending_uploads_.erase(it);
    }
  }
  if (location.empty()) {
    Request start;
    start.method = "POST";
    start.url = url("/v2/" + repo + "/blobs/uploads/");
    BERTH_ASSIGN_OR_RETURN(auto resp, send(start, {scope(repo)}));
    if (resp.status != 202) return registry_error(resp);
    location = resolve_location(resp.header("location"));
    if (location.empty()) return unavailable("registry started an upload without a Location");
  }
  // The whole blob in one PATCH (a streamed upload, as Docker sends it), then PUT to close it.
  Request patch;
  patch.method = "PATCH";
  patch.url = location;
  patch.headers.push_back("Content-Type: application/octet-stream");
  patch.body_fd = fd;
  patch.body_size = size;
  if (progress) patch.on_upload = progress;
  BERTH_ASSIGN_OR_RETURN(auto presp, send(patch, {scope(repo)}));
  if (presp.status != 202 && presp.status != 204) return registry_error(presp);
  std::string loc2 = presp.header("location");
  if (!loc2.empty()) location = resolve_location(loc2);
  Request put;
  put.method = "PUT";
  put.url = with_query(location, "digest=" + url_escape(digest));
  BERTH_ASSIGN_OR_RETURN(auto resp, send(put, {scope(repo)}));
  if (resp.status != 201 && resp.status != 204 && resp.status != 200) return registry_error(resp);
  return {};
}

}  // namespace berth::registry
