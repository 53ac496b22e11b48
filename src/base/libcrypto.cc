// dlopen of libcrypto (see libcrypto.h).
#include "base/libcrypto.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "base/dl.h"

namespace berth {

const LibCrypto& libcrypto() {
  static std::once_flag once;
  static LibCrypto api;
  std::call_once(once, [] {
    DlLibrary lib("libcrypto.so.3");
    lib.get(api.md_ctx_new, "EVP_MD_CTX_new");
    lib.get(api.md_ctx_free, "EVP_MD_CTX_free");
    lib.get(api.sha256, "EVP_sha256");
    lib.get(api.digest_init_ex, "EVP_DigestInit_ex");
    lib.get(api.digest_update, "EVP_DigestUpdate");
    lib.get(api.digest_final_ex, "EVP_DigestFinal_ex");
    lib.get(api.encode_block, "EVP_EncodeBlock");
    lib.get(api.decode_block, "EVP_DecodeBlock");
    lib.get(api.x509_store_load_file, "X509_STORE_load_file");
    if (!lib.error().empty()) {
      std::fprintf(stderr, "berth: %s\n", lib.error().c_str());
      std::abort();
    }
  });
  return api;
}

}  // namespace berth
