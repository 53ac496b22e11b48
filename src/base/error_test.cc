#include "base/error.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("value must be positive");
  return v;
}

Result<int> doubled(int v) {
  BERTH_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  BERTH_TRY_CTX(parse_positive(v), "checking " + std::to_string(v));
  return {};
}

TEST(Error, ResultCarriesValueOrError) {
  auto good = doubled(4);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.error().message(), "value must be positive");
}

TEST(Error, ContextIsPrefixed) {
  Status st = check(0);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "checking 0: value must be positive");
}

TEST(Error, ErrnoMapsToCode) {
  EXPECT_EQ(sys_error("open x", ENOENT).code(), Code::kNotFound);
  EXPECT_EQ(sys_error("open x", EACCES).code(), Code::kPermissionDenied);
  EXPECT_EQ(sys_error("open x", EEXIST).code(), Code::kAlreadyExists);
  EXPECT_EQ(sys_error("open x", ENOENT).message(), "open x: No such file or directory");
  EXPECT_EQ(sys_error("open x", ENOENT).sys_errno(), ENOENT);
}

TEST(Error, HttpStatuses) {
  EXPECT_EQ(http_status(not_found("x")), 404);
  EXPECT_EQ(http_status(conflict("x")), 409);
  EXPECT_EQ(http_status(invalid_argument("x")), 400);
  EXPECT_EQ(http_status(internal_error("x")), 500);
}

}  // namespace
}  // namespace berth
