// OpenSSL's libcrypto, loaded on the first hash instead of at every berth start.
//
// libcrypto has ~21000 relocations over ~100 pages of data: mapping and relocating it cost
// every berth process about a hundred page faults, and most commands (`run`, `ps`, `stop`,
// the monitor's finish) never hash anything. Only the entry points berth calls are looked up;
// OpenSSL's headers still give the types. Loaded once, never closed (thread-safe).
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace berth {

struct LibCrypto {
  EVP_MD_CTX* (*md_ctx_new)();
  void (*md_ctx_free)(EVP_MD_CTX* ctx);
  const EVP_MD* (*sha256)();
  int (*digest_init_ex)(EVP_MD_CTX* ctx, const EVP_MD* type, ENGINE* impl);
  int (*digest_update)(EVP_MD_CTX* ctx, const void* data, size_t size);
  int (*digest_final_ex)(EVP_MD_CTX* ctx, unsigned char* md, unsigned int* size);
  int (*encode_block)(unsigned char* out, const unsigned char* in, int n);
  int (*decode_block)(unsigned char* out, const unsigned char* in, int n);
  int (*x509_store_load_file)(X509_STORE* store, const char* file);
};

// The loaded library. A berth without libcrypto.so.3 (Debian's libssl3, which berth's package
// depends on) cannot check any content: it prints "berth: loading libcrypto.so.3: <dlerror>"
// and aborts, as it does when OpenSSL fails to hash.
const LibCrypto& libcrypto();

}  // namespace berth
