#include "build/shell.h"

#include <gtest/gtest.h>

namespace berth::build {
namespace {

std::string ex(std::string_view w, const Vars& v = {{"a", "A"}, {"e", ""}, {"sp", "x y"}}) {
  auto r = expand_word(w, v);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : "<error>";
}

TEST(Shell, Variables) {
  EXPECT_EQ(ex("$a"), "A");
  EXPECT_EQ(ex("${a}b"), "Ab");
  EXPECT_EQ(ex("$a-b"), "A-b");
  EXPECT_EQ(ex("$nope."), ".");
  EXPECT_EQ(ex("cost $"), "cost $");
}

TEST(Shell, Modifiers) {
  EXPECT_EQ(ex("${nope:-def}"), "def");
  EXPECT_EQ(ex("${e:-def}"), "def");
  EXPECT_EQ(ex("${e-def}"), "");
  EXPECT_EQ(ex("${a:-def}"), "A");
  EXPECT_EQ(ex("${a:+alt}"), "alt");
  EXPECT_EQ(ex("${e:+alt}"), "");
  EXPECT_EQ(ex("${e+alt}"), "alt");
  EXPECT_EQ(ex("${nope:+alt}"), "");
  EXPECT_EQ(ex("${nope:-${a}x}"), "Ax");
  auto r = expand_word("${nope:?must be set}", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "nope: must be set");
  EXPECT_FALSE(expand_word("${a", {}).ok());
}

TEST(Shell, QuotesAndEscapes) {
  EXPECT_EQ(ex("'$a'"), "$a");
  EXPECT_EQ(ex("\"$a b\""), "A b");
  EXPECT_EQ(ex("\\$a"), "$a");
  EXPECT_EQ(ex("a\\ b"), "a b");
  EXPECT_EQ(ex("\"q\\\"\\$a\\n\""), "q\"$a\\n");
  EXPECT_FALSE(expand_word("it's", {}).ok());
}

TEST(Shell, EscapeTokenBacktick) {
  auto r = expand_word("a`$b c:\\x", {{"b", "B"}}, '`');
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "a$b c:\\x");
}

TEST(Shell, HeredocBodiesExpandVariablesOnly) {
  auto r = expand_vars("a=\"$a\" 'x' \\$a \\n\n", {{"a", "A"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "a=\"A\" 'x' $a \\n\n");
}

TEST(Shell, Words) {
  auto r = expand_words("a \"b c\" $sp 'd e'", {{"sp", "x y"}});
  ASSERT_TRUE(r.ok());
  // A variable's value is not re-split (BuildKit keeps it one word).
  EXPECT_EQ(*r, (std::vector<std::string>{"a", "b c", "x y", "d e"}));
  EXPECT_EQ(split_words("k=\"v 1\" k2=v\\ 2"), (std::vector<std::string>{"k=\"v 1\"", "k2=v\\ 2"}));
}

}  // namespace
}  // namespace berth::build
