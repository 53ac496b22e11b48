// ADD <url>: downloads for the builder (see build_internal.h).
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "digest/digest.h"
#include "engine/build_internal.h"
#include "registry/http.h"

namespace berth::engine::buildimpl {
namespace {

// The last path segment of a URL, without query or fragment ("" when the path ends in '/').
std::string url_file_name(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  size_t slash = rest.find('/');
  if (slash == std::string::npos) return "";
  std::string path = rest.substr(slash);
  path = path.substr(0, path.find_first_of("?#"));
  return basename(path) == "/" ? "" : path.substr(path.rfind('/') + 1);
}

// RFC 7231's IMF-fixdate, the only form servers send today.
std::optional<int64_t> http_date(const std::string& s) {
  struct tm tm = {};
  const char* end = ::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end) return std::nullopt;
  return static_cast<int64_t>(::timegm(&tm));
}

}  // namespace

Result<Download> download_url(const std::string& url, const std::string& dir,
                              const std::optional<std::string>& checksum) {
  Download d;
  d.name = url_file_name(url);
  if (d.name.empty()) return invalid_argument("cannot determine filename from url: " + url);
  d.path = path_join(dir, "download-" + random_hex(8));
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(d.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  bool kept = false;
  ScopeExit drop([&] {
    if (!kept) ::unlink(d.path.c_str());
  });
  registry::HttpClient http(registry::TlsOptions{});
  registry::Request req;
  req.url = url;
  req.follow_redirects = true;
  digest::Sha256 hash;
  req.sink = [&](std::string_view chunk) -> Status {
    hash.update(chunk);
    return write_all(fd.get(), chunk);
  };
  BERTH_ASSIGN_OR_RETURN(auto resp, http.send(req));
  if (resp.status < 200 || resp.status >= 300)
    return unavailable("failed to load cache key: invalid response status " +
                       std::to_string(resp.status) + " from " + url);
  if (::fsync(fd.get()) != 0) return sys_error("writing " + d.path);
  d.digest = hash.finish().str();
  if (checksum && *checksum != d.digest)
    return invalid_argument("digest mismatch " + d.digest + ": " + *checksum + " (ADD " + url + ")");
  d.mtime = http_date(resp.header("last-modified"));
  kept = true;
  return d;
}

}  // namespace berth::engine::buildimpl
