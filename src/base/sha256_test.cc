#include "base/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace berth {
namespace {

// FIPS 180-2's examples.
TEST(Sha256State, KnownAnswers) {
  Sha256State s;
  EXPECT_EQ(s.finish_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  s.update("abc", 3);
  EXPECT_EQ(s.finish_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  s.update(m.data(), 10);  // in pieces, as a stream arrives
  s.update(m.data() + 10, m.size() - 10);
  EXPECT_EQ(s.finish_hex(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256State, MillionAs) {
  Sha256State s;
  std::string a(1000, 'a');
  for (int i = 0; i < 1000; ++i) s.update(a.data(), a.size());
  EXPECT_EQ(s.finish_hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace berth
