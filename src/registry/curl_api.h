// libcurl, loaded on the first HTTP request instead of at every berth start.
//
// libcurl and the ~30 libraries it needs (Kerberos, LDAP, SSH, IDN, ...) cost about half of the
// start of a short command such as `run --rm` (docs/benchmarks.md), which never speaks HTTP.
// Only the ten entry points berth calls are looked up; curl's headers still give the types.
#pragma once

#include <curl/curl.h>

#include "base/error.h"

namespace berth::registry {

struct CurlApi {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL* handle);
  void (*easy_reset)(CURL* handle);
  CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...);
  CURLcode (*easy_perform)(CURL* handle);
  CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...);
  const char* (*easy_strerror)(CURLcode code);
  curl_slist* (*slist_append)(curl_slist* list, const char* text);
  void (*slist_free_all)(curl_slist* list);
};

// Loads libcurl.so.4 once (thread-safe) and runs curl_global_init. Error (kUnavailable):
// "loading libcurl.so.4: <dlerror>" when the library or a symbol is missing.
Result<const CurlApi*> curl_api();

}  // namespace berth::registry
