#include "base/libcrypto.h"

#include <gtest/gtest.h>

#include <string>

namespace berth {
namespace {

TEST(LibCrypto, LoadedOnFirstUseAndHashes) {
  const LibCrypto& c = libcrypto();
  EXPECT_EQ(&c, &libcrypto());  // loaded once
  EVP_MD_CTX* ctx = c.md_ctx_new();
  ASSERT_NE(ctx, nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  ASSERT_EQ(c.digest_init_ex(ctx, c.sha256(), nullptr), 1);
  ASSERT_EQ(c.digest_update(ctx, "abc", 3), 1);
  ASSERT_EQ(c.digest_final_ex(ctx, md, &len), 1);
  c.md_ctx_free(ctx);
  ASSERT_EQ(len, 32u);
  EXPECT_EQ(md[0], 0xba);  // sha256("abc") = ba7816bf...
  EXPECT_EQ(md[31], 0xad);
  unsigned char b64[16] = {};
  EXPECT_EQ(c.encode_block(b64, reinterpret_cast<const unsigned char*>("abc"), 3), 4);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(b64)), "YWJj");
}

}  // namespace
}  // namespace berth
