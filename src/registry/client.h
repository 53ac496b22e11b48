// A client of one registry (OCI distribution spec v1 / Docker registry API v2).
//
// connect() pings /v2/ to choose the scheme and learn how the registry authenticates:
// - HTTPS, verified against the system CAs plus certs.d (http.h). Registries on localhost,
//   127.0.0.0/8 and ::1, those listed as insecure and any with tls_verify=false fall back to
//   plain HTTP when the server does not speak TLS; a server that speaks TLS with an untrusted
//   certificate is an error (unless tls_verify=false), never a silent downgrade.
// - Auth: anonymous; Basic (credentials sent after a Basic challenge); Bearer tokens fetched
//   from the challenge's realm for the scopes a request needs (repository:<repo>:pull[,push]),
//   with Basic credentials or an identity token, cached per scope set and refetched once on 401.
// - Transient failures (connection refused or reset, 5xx, 429) are retried with backoff; blob
//   downloads resume with a Range request from the bytes already verified-written.
// Thread-safe: requests may run from several threads at once (each takes its own connection).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "content/store.h"
#include "oci/image.h"
#include "registry/credentials.h"
#include "registry/http.h"

namespace berth::registry {

struct ClientOptions {
  bool tls_verify = true;
  std::vector<std::string> certs_roots = default_certs_roots();
  std::vector<std::string> insecure_registries;  // hosts allowed to fall back to plain HTTP
  AuthFiles auth_files = AuthFiles::from_env();
  // Use these instead of the stored ones (login checks them before storing).
  std::optional<Credentials> credentials;
  int retries = 3;  // extra attempts after a transient failure
  int backoff_ms = 250;  // first wait; doubles each retry
};

struct FetchedManifest {
  std::string bytes;
  std::string media_type;  // Content-Type, or the manifest's own mediaType when that is generic
  std::string digest;      // sha256 of bytes (checked against the digest asked for)
};

// Docker's text for a registry's error response: "unauthorized: authentication required",
// "manifest unknown: manifest unknown", or "received unexpected HTTP status: 500 Internal Server
// Error". The Code follows the status (401/403 permission, 404 not found, else unavailable).
Error registry_error(const Response& resp);

class Client {
 public:
  using Progress = std::function<void(uint64_t bytes_done)>;

  // `host` is what is dialed ("registry-1.docker.io", "127.0.0.1:5000").
  static Result<std::shared_ptr<Client>> connect(const std::string& host, ClientOptions opts);

  const std::string& base_url() const { return base_; }  // "https://127.0.0.1:5000"
  const std::string& host() const { return host_; }

  // Checks the credentials of the options (login): kPermissionDenied with Docker's message when
  // the registry refuses them.
  Status verify_login();

  // GET /v2/<repo>/manifests/<reference>, where reference is a tag or a digest.
  Result<FetchedManifest> get_manifest(const std::string& repo, const std::string& reference);
  // PUT a manifest under a tag or digest; returns the manifest's digest.
  Result<std::string> put_manifest(const std::string& repo, const std::string& reference,
                                   const std::string& media_type, const std::string& bytes);
  Result<std::vector<std::string>> list_tags(const std::string& repo);

  // A small blob (a config) in memory, verified against its digest.
  Result<std::string> get_blob(const std::string& repo, const std::string& digest,
                               size_t max_size = 32u << 20);
  // Streams a blob into the content store, verifying digest and size while it streams; returns
  // the committed digest. A mismatch or failure leaves nothing in the store.
  Result<std::string> download_blob(const std::string& repo, const oci::Descriptor& desc,
                                    content::ContentStore& store, const Progress& progress = {});
  // HEAD /v2/<repo>/blobs/<digest>: whether the registry has it.
  Result<bool> has_blob(const std::string& repo, const std::string& digest);
  // Cross-repository mount from `from_repo` on the same registry. true when mounted; false when
  // the registry started a normal upload instead (then upload_blob uses that session).
  Result<bool> mount_blob(const std::string& repo, const std::string& digest,
                          const std::string& from_repo);
  // Uploads size bytes of fd (from offset 0) as blob `digest`: POST, one PATCH, PUT ?digest=.
  Status upload_blob(const std::string& repo, const std::string& digest, int fd, uint64_t size,
                     const Progress& progress = {});

  // The client pushes: tokens ask for pull,push on the repositories it touches.
  void set_push(bool push) { push_ = push; }

 private:
  Client(std::string host, ClientOptions opts) : host_(std::move(host)), opts_(std::move(opts)) {}
  Status ping();
  Result<Response> send(Request req, const std::vector<std::string>& scopes);
  Result<Response> send_retrying(const Request& req);
  Result<std::string> authorization(const std::vector<std::string>& scopes, bool refresh);
  Result<std::string> fetch_token(const std::vector<std::string>& scopes);
  void learn_challenge(const Response& resp);
  Result<std::optional<Credentials>> credentials();
  std::string scope(const std::string& repo) const;
  std::string url(const std::string& path) const { return base_ + path; }
  std::string resolve_location(const std::string& location) const;

  // Connections: one HttpClient per concurrent request, reused.
  std::unique_ptr<HttpClient> take_http();
  void give_http(std::unique_ptr<HttpClient> h);

  std::string host_;
  ClientOptions opts_;
  std::string base_;
  TlsOptions tls_;
  bool push_ = false;

  std::mutex mu_;  // guards everything below
  std::vector<std::unique_ptr<HttpClient>> idle_;
  std::string scheme_;  // "bearer", "basic" or "" (anonymous)
  std::map<std::string, std::string> challenge_;
  bool creds_loaded_ = false;
  std::optional<Credentials> creds_;
  std::map<std::string, std::string> tokens_;  // scopes joined by ' ' -> token
  std::map<std::string, std::string> pending_uploads_;  // repo + digest -> upload location
};

}  // namespace berth::registry
