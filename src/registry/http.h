// HTTP over libcurl for the registry client: one connection cache per HttpClient (use one per
// thread), TLS with the system CAs plus per-registry CAs and client certificates from certs.d,
// streamed request and response bodies.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::registry {

struct TlsOptions {
  bool verify = true;                   // false: no peer or host name check (--tls-verify=false)
  std::vector<std::string> ca_files;    // extra trusted CAs (PEM), on top of the system store
  std::string client_cert, client_key;  // PEM files; both or neither
};

// The certs.d roots searched for a registry's certificates: $BERTH_CERTS_D (':'-separated; tests
// point it at a temp dir), else /etc/docker/certs.d and /etc/containers/certs.d.
std::vector<std::string> default_certs_roots();
// TLS options for `host` ("127.0.0.1:5000"): every <root>/<host>/*.crt is a CA; a *.cert file
// with the *.key of the same name is the client certificate, as Docker reads them.
TlsOptions tls_for_host(std::string_view host, const std::vector<std::string>& roots,
                        bool verify);

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Request body: `body`, or when body_fd >= 0, body_size bytes read from body_fd at offset 0
  // (with pread, so a retry can send it again).
  std::string body;
  bool has_body = false;
  int body_fd = -1;
  uint64_t body_size = 0;
  bool follow_redirects = false;
  // When set, a 2xx response body is streamed here instead of being kept; its first error stops
  // the transfer and is what send() returns. Other statuses' bodies are kept (error messages).
  std::function<Status(std::string_view)> sink;
  // Called with the final status before the first byte reaches the sink.
  std::function<Status(long)> on_status;
  // Progress of the upload: bytes sent so far.
  std::function<void(uint64_t)> on_upload;
  size_t max_body = 16u << 20;  // kept bodies larger than this fail the request
};

struct Response {
  long status = 0;
  // Lowercased names; repeated headers are joined with "\n" (WWW-Authenticate may repeat).
  std::map<std::string, std::string> headers;
  std::string body;
  std::string url;  // after redirects
  std::string header(const std::string& lower_name) const;
};

class HttpClient {
 public:
  explicit HttpClient(TlsOptions tls);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // A transfer failure (refused, reset, TLS, timeout) is kUnavailable, named the way Go's
  // net/http names it: `Get "https://host/v2/": <curl's reason>`. Any HTTP status is a Response.
  Result<Response> send(const Request& req);
  // libcurl's code of the last transfer (0 on success): lets a caller tell "the server does not
  // speak TLS" (fall back to HTTP) from "its certificate is not trusted" (fail).
  int last_curl_code() const { return last_code_; }
  const TlsOptions& tls() const { return tls_; }

 private:
  TlsOptions tls_;
  void* curl_ = nullptr;
  int last_code_ = 0;
};

// Whether a curl code means the peer answered but not with TLS (a plain-HTTP server).
bool is_tls_protocol_error(int curl_code);
// Whether a curl code is a transient transfer failure worth retrying.
bool is_retryable_transfer(int curl_code);
// "Get", "Head", "Put": Go's spelling of a method in error messages.
std::string go_method(std::string_view method);

}  // namespace berth::registry
