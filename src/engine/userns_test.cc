#include "engine/userns.h"

#include <gtest/gtest.h>

namespace berth::engine {
namespace {

TEST(Userns, ModesAsTyped) {
  EXPECT_EQ(*parse_userns_mode(""), 0u);
  EXPECT_EQ(*parse_userns_mode("host"), 0u);
  EXPECT_EQ(*parse_userns_mode("auto"), 65536u);
  EXPECT_EQ(*parse_userns_mode("auto:size=1024"), 1024u);
  for (const char* bad : {"private", "auto:size=0", "auto:size=x", "auto:size=", "keep-id"}) {
    auto r = parse_userns_mode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(Userns, PoolFromTheBerthEntryOfSubuid) {
  auto p = userns_pool("debian:100000:65536\nberth:200000:131072\n");
  EXPECT_EQ(p.start, 200000u);
  EXPECT_EQ(p.count, 131072u);
  auto d = userns_pool("debian:100000:65536\n");
  EXPECT_EQ(d.start, 1u << 30) << "no berth entry: the default pool, above distribution uids";
}

TEST(Userns, BlocksNeverOverlapAndFillThePool) {
  UsernsRange pool{200000, 4 * 65536};
  std::vector<UsernsRange> used;
  for (int i = 0; i < 4; ++i) {
    auto b = pick_userns_block(pool, 65536, "container-" + std::to_string(i), used);
    ASSERT_TRUE(b.ok()) << i;
    EXPECT_EQ((*b - pool.start) % 65536, 0u);
    for (const auto& u : used) EXPECT_NE(u.start, *b);
    used.push_back({*b, 65536});
  }
  auto full = pick_userns_block(pool, 65536, "one-more", used);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.error().message().find("no free block"), std::string::npos);
  // The same id, on an empty pool, lands on the same slot: the hash picks it.
  EXPECT_EQ(*pick_userns_block(pool, 65536, "abc", {}), *pick_userns_block(pool, 65536, "abc", {}));
}

}  // namespace
}  // namespace berth::engine
