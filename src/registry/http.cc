#include "registry/http.h"

#include <curl/curl.h>

#include "registry/curl_api.h"
#include <dirent.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <cstdlib>
#include <mutex>

#include "base/dl.h"
#include "base/fs.h"
#include "base/libcrypto.h"
#include "base/scope_exit.h"
#include "base/strings.h"

namespace berth::registry {
namespace {

// The loaded libcurl; only called after HttpClient's constructor loaded it successfully.
const CurlApi& cu() { return **curl_api(); }

struct Transfer {
  const Request* req = nullptr;
  Response* resp = nullptr;
  CURL* curl = nullptr;
  uint64_t upload_offset = 0;
  bool status_reported = false;
  std::optional<Error> error;  // the sink's or on_status's error
  bool too_large = false;

  Status report_status() {
    if (status_reported) return {};
    status_reported = true;
    long code = 0;
    cu().easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    resp->status = code;
    if (req->on_status) return req->on_status(code);
    return {};
  }
};

bool is_success(long code) { return code >= 200 && code < 300; }

size_t on_header(char* data, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp->headers.clear();  // a new response (after a redirect or 100 Continue)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name = to_lower(trim(line.substr(0, colon)));
  std::string value(trim(line.substr(colon + 1)));
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
  auto& slot = t->resp->headers[name];
  slot = slot.empty() ? value : slot + "\n" + value;
  return size * n;
}

size_t on_write(char* data, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  size_t len = size * n;
  auto st = t->report_status();
  if (!st.ok()) {
    t->error = std::move(st).error();
    return 0;
  }
  if (t->req->sink && is_success(t->resp->status)) {
    auto s = t->req->sink(std::string_view(data, len));
    if (!s.ok()) {
      t->error = std::move(s).error();
      return 0;
    }
    return len;
  }
  if (t->resp->body.size() + len > t->req->max_body) {
    t->too_large = true;
    return 0;
  }
  t->resp->body.append(data, len);
  return len;
}

size_t on_read(char* buf, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  size_t want = size * n;
  const Request& r = *t->req;
  if (r.body_fd < 0) {
    size_t left = r.body.size() - std::min<size_t>(t->upload_offset, r.body.size());
    size_t k = std::min(want, left);
    std::memcpy(buf, r.body.data() + t->upload_offset, k);
    t->upload_offset += k;
    return k;
  }
  uint64_t left = r.body_size - t->upload_offset;
  size_t k = static_cast<size_t>(std::min<uint64_t>(want, left));
  if (k == 0) return 0;
  ssize_t got;
  do {
    got = ::pread(r.body_fd, buf, k, static_cast<off_t>(t->upload_offset));
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return CURL_READFUNC_ABORT;  // the file shrank or failed: never send short data
  t->upload_offset += static_cast<uint64_t>(got);
  if (r.on_upload) r.on_upload(t->upload_offset);
  return static_cast<size_t>(got);
}

// Rewinds the upload when curl must resend the body (a redirect, an auth round).
int on_seek(void* ud, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(ud);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  t->upload_offset = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

CURLcode on_ssl_ctx(CURL*, void* ssl_ctx, void* ud) {
  auto* tls = static_cast<const TlsOptions*>(ud);
  // libssl is loaded by then: libcurl (dlopen'd) links it. Looked up, not linked, so that berth
  // itself loads neither libssl nor libcrypto at start (base/libcrypto.h).
  using GetStore = X509_STORE* (*)(const SSL_CTX*);
  static GetStore get_store = [] {
    GetStore fn;
    DlLibrary("libssl.so.3").get(fn, "SSL_CTX_get_cert_store");
    return fn;
  }();
  if (!get_store) return CURLE_SSL_CACERT_BADFILE;
  X509_STORE* store = get_store(static_cast<SSL_CTX*>(ssl_ctx));
  for (const auto& f : tls->ca_files)
    if (libcrypto().x509_store_load_file(store, f.c_str()) != 1) return CURLE_SSL_CACERT_BADFILE;
  return CURLE_OK;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string Response::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) return "";
  return split_once(it->second, '\n').first;
}

std::vector<std::string> default_certs_roots() {
  if (const char* env = std::getenv("BERTH_CERTS_D"); env && *env) return split(env, ':');
  return {"/etc/docker/certs.d", "/etc/containers/certs.d"};
}

TlsOptions tls_for_host(std::string_view host, const std::vector<std::string>& roots,
                        bool verify) {
  TlsOptions t;
  t.verify = verify;
  for (const auto& root : roots) {
    if (root.empty()) continue;
    std::string dir = path_join(root, host);
    for (const auto& name : list_dir(dir)) {
      std::string p = path_join(dir, name);
      if (ends_with(name, ".crt")) t.ca_files.push_back(p);
      if (ends_with(name, ".cert")) {
        std::string key = path_join(dir, name.substr(0, name.size() - 5) + ".key");
        if (path_exists(key) && t.client_cert.empty()) {
          t.client_cert = p;
          t.client_key = key;
        }
      }
    }
  }
  return t;
}

bool is_tls_protocol_error(int c) {
  // 35: the handshake failed ("wrong version number": the peer speaks plain HTTP).
  return c == CURLE_SSL_CONNECT_ERROR;
}

bool is_retryable_transfer(int c) {
  switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

std::string go_method(std::string_view m) {
  std::string s = to_lower(m);
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

HttpClient::HttpClient(TlsOptions tls) : tls_(std::move(tls)) {
  if (curl_api().ok()) curl_ = cu().easy_init();
}

HttpClient::~HttpClient() {
  if (curl_) cu().easy_cleanup(static_cast<CURL*>(curl_));
}

Result<Response> HttpClient::send(const Request& req) {
  CURL* c = static_cast<CURL*>(curl_);
  if (!c) {
    BERTH_TRY(curl_api());
    return internal_error("curl_easy_init failed");
  }
  cu().easy_reset(c);
  Response resp;
  Transfer t;
  t.req = &req;
  t.resp = &resp;
  t.curl = c;

  char errbuf[CURL_ERROR_SIZE] = {0};
  cu().easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  cu().easy_setopt(c, CURLOPT_URL, req.url.c_str());
  cu().easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  cu().easy_setopt(c, CURLOPT_USERAGENT, "berth/0.1");
  cu().easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A transfer that moves no byte for a minute is dead; retries take over.
  cu().easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  cu().easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  // Large buffers: layers stream through the sink (hash + write) in fewer, bigger calls.
  cu().easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
  cu().easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
  cu().easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  cu().easy_setopt(c, CURLOPT_HEADERDATA, &t);
  cu().easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  cu().easy_setopt(c, CURLOPT_WRITEDATA, &t);
  cu().easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  cu().easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (req.follow_redirects) {
    cu().easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    cu().easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  }
  if (!tls_.verify) {
    cu().easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    cu().easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!tls_.ca_files.empty()) {
    cu().easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
    cu().easy_setopt(c, CURLOPT_SSL_CTX_DATA, &tls_);
  }
  if (!tls_.client_cert.empty()) {
    cu().easy_setopt(c, CURLOPT_SSLCERT, tls_.client_cert.c_str());
    cu().easy_setopt(c, CURLOPT_SSLKEY, tls_.client_key.c_str());
  }

  curl_slist* headers = nullptr;
  ScopeExit free_headers([&] { cu().slist_free_all(headers); });
  for (const auto& h : req.headers) headers = cu().slist_append(headers, h.c_str());
  headers = cu().slist_append(headers, "Expect:");  // no 100-continue round trip

  bool body = req.has_body || req.body_fd >= 0;
  if (req.method == "HEAD") {
    cu().easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (body) {
    cu().easy_setopt(c, CURLOPT_UPLOAD, 1L);
    cu().easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    cu().easy_setopt(c, CURLOPT_READDATA, &t);
    cu().easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
    cu().easy_setopt(c, CURLOPT_SEEKDATA, &t);
    cu().easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(req.body_fd >= 0 ? req.body_size : req.body.size()));
    cu().easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method != "GET") {
    cu().easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH")
      headers = cu().slist_append(headers, "Content-Length: 0");
  }
  cu().easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = cu().easy_perform(c);
  last_code_ = rc;
  if (t.error) return std::move(*t.error);
  if (rc == CURLE_OK) {
    auto st = t.report_status();  // a response without a body never reached on_write
    if (!st.ok()) return std::move(st).error();
    char* eff = nullptr;
    cu().easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
    if (eff) resp.url = eff;
    return resp;
  }
  std::string where = go_method(req.method) + " \"" + req.url + "\": ";
  if (t.too_large)
    return invalid_argument(where + "response body larger than " +
                            std::to_string(req.max_body) + " bytes");
  return Error(Code::kUnavailable, where + (errbuf[0] ? errbuf : cu().easy_strerror(rc)));
}

}  // namespace berth::registry
