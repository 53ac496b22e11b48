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
