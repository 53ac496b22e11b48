// dlopen of libcrypto (see libcrypto.h).
#include "base/libcrypto.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <type_traits>

namespace berth {

const LibCrypto& libcrypto() {
  static std::once_flag once;
  static LibCrypto api;
  std::call_once(once, [] {
    void* lib = ::dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    auto fail = [](const char* what) {
      std::fprintf(stderr, "berth: loading libcrypto.so.3: %s\n", what);
      std::abort();
    };
    if (!lib) fail(::dlerror());
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      if (!fn) fail(name);
    };
    sym(api.md_ctx_new, "EVP_MD_CTX_new");
    sym(api.md_ctx_free, "EVP_MD_CTX_free");
    sym(api.sha256, "EVP_sha256");
    sym(api.digest_init_ex, "EVP_DigestInit_ex");
    sym(api.digest_update, "EVP_DigestUpdate");
    sym(api.digest_final_ex, "EVP_DigestFinal_ex");
    sym(api.encode_block, "EVP_EncodeBlock");
    sym(api.decode_block, "EVP_DecodeBlock");
    sym(api.x509_store_load_file, "X509_STORE_load_file");
  });
  return api;
}

}  // namespace berth
