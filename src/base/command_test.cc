#include "base/command.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

using namespace std::chrono_literals;

TEST(RunCommand, CapturesOutputErrorAndStatus) {
  auto r = run_command({"sh", "-c", "echo out; echo err >&2; echo $EXTRA; exit 3"}, 10s, {"EXTRA=given"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->out, "out\ngiven\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->status, 3);
}

TEST(RunCommand, KillsWhatOutlivesItsTimeAndSaysSo) {
  auto start = std::chrono::steady_clock::now();
  // The child's own child keeps the pipes open: the whole process group must go.
  auto r = run_command({"sh", "-c", "sleep 30 & sleep 30"}, 300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kUnavailable);
  EXPECT_NE(r.error().message().find("did not finish within 300 ms"), std::string::npos);
}

TEST(RunCommand, AMissingProgramIsNotFound) {
  auto r = run_command({"berth-no-such-program"}, 1s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth
