// dlopen of libcurl (see curl_api.h).
#include "registry/curl_api.h"

#include <mutex>

#include "base/dl.h"

namespace berth::registry {

Result<const CurlApi*> curl_api() {
  static std::once_flag once;
  static CurlApi api;
  static std::string error;
  std::call_once(once, [] {
    DlLibrary lib("libcurl.so.4");
    lib.get(api.global_init, "curl_global_init");
    lib.get(api.easy_init, "curl_easy_init");
    lib.get(api.easy_cleanup, "curl_easy_cleanup");
    lib.get(api.easy_reset, "curl_easy_reset");
    lib.get(api.easy_setopt, "curl_easy_setopt");
    lib.get(api.easy_perform, "curl_easy_perform");
    lib.get(api.easy_getinfo, "curl_easy_getinfo");
    lib.get(api.easy_strerror, "curl_easy_strerror");
    lib.get(api.slist_append, "curl_slist_append");
    lib.get(api.slist_free_all, "curl_slist_free_all");
    error = lib.error();
    if (error.empty()) api.global_init(CURL_GLOBAL_DEFAULT);
  });
  if (!error.empty()) return unavailable(error);
  return &api;
}

}  // namespace berth::registry
