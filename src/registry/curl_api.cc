// dlopen of libcurl (see curl_api.h).
#include "registry/curl_api.h"

#include <dlfcn.h>

#include <mutex>

namespace berth::registry {

Result<const CurlApi*> curl_api() {
  static std::once_flag once;
  static CurlApi api;
  static std::string error;
  std::call_once(once, [] {
    // Never dlclose'd: curl keeps global state for the life of the process.
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      error = std::string("loading libcurl.so.4: ") + ::dlerror();
      return;
    }
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      if (!fn && error.empty()) error = std::string("loading libcurl.so.4: no symbol ") + name;
    };
    sym(api.global_init, "curl_global_init");
    sym(api.easy_init, "curl_easy_init");
    sym(api.easy_cleanup, "curl_easy_cleanup");
    sym(api.easy_reset, "curl_easy_reset");
    sym(api.easy_setopt, "curl_easy_setopt");
    sym(api.easy_perform, "curl_easy_perform");
    sym(api.easy_getinfo, "curl_easy_getinfo");
    sym(api.easy_strerror, "curl_easy_strerror");
    sym(api.slist_append, "curl_slist_append");
    sym(api.slist_free_all, "curl_slist_free_all");
    if (error.empty()) api.global_init(CURL_GLOBAL_DEFAULT);
  });
  if (!error.empty()) return unavailable(error);
  return &api;
}

}  // namespace berth::registry
