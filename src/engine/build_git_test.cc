#include "engine/build_git.h"

#include <gtest/gtest.h>

namespace berth::engine::buildimpl {
namespace {

TEST(GitSource, RecognisesBuildKitsFormsAndSplitsTheFragment) {
  auto a = parse_git_source("https://github.com/moby/buildkit.git#v0.12.0:frontend");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->url, "https://github.com/moby/buildkit.git");
  EXPECT_EQ(a->ref, "v0.12.0");
  EXPECT_EQ(a->subdir, "frontend");
  auto b = parse_git_source("git@github.com:org/repo.git");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->url, "git@github.com:org/repo.git");
  EXPECT_EQ(b->ref, "");
  auto c = parse_git_source("ssh://git@host/x#:/docs/");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->ref, "");
  EXPECT_EQ(c->subdir, "docs");
  EXPECT_TRUE(parse_git_source("git://host/repo").has_value());
  // Not git: a plain download, or a local path.
  EXPECT_FALSE(parse_git_source("https://example.com/model.bin").has_value());
  EXPECT_FALSE(parse_git_source("https://example.com/repo.git.tar.gz").has_value());
  EXPECT_FALSE(parse_git_source("repo.git").has_value());
}

}  // namespace
}  // namespace berth::engine::buildimpl
