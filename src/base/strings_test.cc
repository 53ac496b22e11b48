#include "base/strings.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Strings, SplitJoinTrim) {
  EXPECT_EQ(split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(join({"a", "b"}, ", "), "a, b");
  EXPECT_EQ(trim("  x y \n"), "x y");
  auto p = split_once("k=v=w", '=');
  EXPECT_TRUE(p.found);
  EXPECT_EQ(p.first, "k");
  EXPECT_EQ(p.second, "v=w");
  EXPECT_FALSE(split_once("k", '=').found);
  EXPECT_TRUE(is_hex("0af9"));
  EXPECT_FALSE(is_hex("0AF9"));
}

}  // namespace
}  // namespace berth

namespace berth {
TEST(Strings, StableHash64NeverChanges) {
  // Bridge and nftables names of existing roots are derived from these values.
  EXPECT_EQ(stable_hash64(""), 1469598103934665603ull);
  EXPECT_EQ(stable_hash64("a"), 4953267810257967366ull);
  EXPECT_NE(stable_hash64("/var/lib/berth"), stable_hash64("/var/lib/berth2"));
}
}  // namespace berth
