#include "registry/challenge.h"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

TEST(Challenge, DockerHubBearer) {
  auto cs = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].params.at("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].params.at("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].params.at("scope"), "repository:library/busybox:pull");
}

TEST(Challenge, BasicWithSpacesAndCase) {
  auto cs = parse_www_authenticate(R"(BASIC Realm = "basic-realm")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].params.at("realm"), "basic-realm");
}

TEST(Challenge, SeveralChallengesInOneHeader) {
  auto cs = parse_www_authenticate(
      R"(Basic realm="a", Bearer realm="https://t/token", service=reg,error="invalid_token")");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].params.at("realm"), "a");
  EXPECT_EQ(cs[1].scheme, "bearer");
  EXPECT_EQ(cs[1].params.at("service"), "reg");
  EXPECT_EQ(cs[1].params.at("error"), "invalid_token");
}

TEST(Challenge, QuotedEscapesAndCommasInValues) {
  auto cs = parse_www_authenticate(
      R"(Bearer realm="https://x/t",scope="repository:a:pull,push repository:b:pull",q="say \"hi\"")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.at("scope"), "repository:a:pull,push repository:b:pull");
  EXPECT_EQ(cs[0].params.at("q"), "say \"hi\"");
}

TEST(Challenge, SchemeWithoutParamsAndGarbage) {
  auto cs = parse_www_authenticate("Negotiate");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "negotiate");
  EXPECT_TRUE(cs[0].params.empty());
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_TRUE(parse_www_authenticate("   ,  ").empty());
  auto bad = parse_www_authenticate(R"(Bearer realm="unterminated)");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].params.at("realm"), "unterminated");
}

}  // namespace
}  // namespace berth::registry
