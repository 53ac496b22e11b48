#include "build/dockerignore.h"

#include <gtest/gtest.h>

namespace berth::build {
namespace {

IgnoreMatcher m(std::string_view text) {
  auto r = IgnoreMatcher::parse(text);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : IgnoreMatcher{};
}

TEST(DockerIgnore, SimpleAndDirectories) {
  auto x = m("# comment\nnode_modules\n/build\n*.log\n");
  EXPECT_TRUE(x.excluded("node_modules"));
  EXPECT_TRUE(x.excluded("node_modules/a/b.js"));
  EXPECT_TRUE(x.excluded("build/out"));
  EXPECT_TRUE(x.excluded("x.log"));
  EXPECT_FALSE(x.excluded("sub/x.log"));  // '*' stays in one component
  EXPECT_FALSE(x.excluded("src/main.c"));
}

TEST(DockerIgnore, DoubleStarQuestionAndClasses) {
  auto x = m("**/*.pyc\ndata/?.csv\n[ab]*.txt\n");
  EXPECT_TRUE(x.excluded("a.pyc"));
  EXPECT_TRUE(x.excluded("pkg/sub/m.pyc"));
  EXPECT_TRUE(x.excluded("data/1.csv"));
  EXPECT_FALSE(x.excluded("data/12.csv"));
  EXPECT_TRUE(x.excluded("apple.txt"));
  EXPECT_FALSE(x.excluded("cherry.txt"));
}

TEST(DockerIgnore, NegationLastMatchWins) {
  auto x = m("*.md\n!README.md\nREADME*.md\n!README-keep.md\n");
  EXPECT_TRUE(x.excluded("CHANGES.md"));
  EXPECT_TRUE(x.excluded("README.md"));
  EXPECT_FALSE(x.excluded("README-keep.md"));
  EXPECT_TRUE(x.has_exclusions());
}

TEST(DockerIgnore, DescendsIntoAnExcludedDirectoryOnlyForANegationBelowIt) {
  auto x = m("build/\n!build/keep.txt\nlogs\n!**/*.log\n");
  EXPECT_TRUE(x.excluded("build"));
  EXPECT_FALSE(x.excluded("build/keep.txt"));
  EXPECT_TRUE(x.excluded("build/out.bin"));
  EXPECT_TRUE(x.descend("build"));
  EXPECT_TRUE(x.descend("build/"));
  EXPECT_FALSE(x.descend("buil"));  // a prefix of the name is not the directory
  // Docker's rule looks at the pattern's text: a wildcard in front does not open a directory.
  EXPECT_FALSE(x.descend("logs"));
  EXPECT_FALSE(m("build\n").descend("build"));
}

TEST(DockerIgnore, CleansPatterns) {
  auto x = m("./a/../b//c\n");
  EXPECT_TRUE(x.excluded("b/c"));
}

TEST(Glob, GoFilepathMatch) {
  EXPECT_TRUE(*glob_match("*.txt", "a.txt"));
  EXPECT_FALSE(*glob_match("*.txt", "d/a.txt"));
  EXPECT_TRUE(*glob_match("d/?.txt", "d/a.txt"));
  EXPECT_TRUE(*glob_match("[a-c]x", "bx"));
  EXPECT_FALSE(*glob_match("[a-c]x", "dx"));
  EXPECT_FALSE(glob_match("[a", "a").ok());
  EXPECT_TRUE(has_glob("a*"));
  EXPECT_FALSE(has_glob("a/b"));
  EXPECT_EQ(clean_path("a//b/../c/."), "a/c");
  EXPECT_EQ(clean_path("/../x"), "/x");
  EXPECT_EQ(clean_path(""), ".");
}

}  // namespace
}  // namespace berth::build
