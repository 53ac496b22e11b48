#include "engine/build_history.h"

#include <gtest/gtest.h>

namespace berth::engine::buildimpl {
namespace {

TEST(BuildHistory, GoDurationsAsTimeDurationStringWritesThem) {
  EXPECT_EQ(go_duration(0), "0s");
  EXPECT_EQ(go_duration(30'000'000'000), "30s");
  EXPECT_EQ(go_duration(90'000'000'000), "1m30s");
  EXPECT_EQ(go_duration(3'600'000'000'000), "1h0m0s");
  EXPECT_EQ(go_duration(1'500'000'000), "1.5s");
  EXPECT_EQ(go_duration(500'000'000), "500ms");
  EXPECT_EQ(go_duration(1'250'000), "1.25ms");
  EXPECT_EQ(go_duration(2'000), "2µs");
  EXPECT_EQ(go_duration(7), "7ns");
  EXPECT_EQ(go_duration(-5'000'000'000), "-5s");
}

TEST(BuildHistory, HealthcheckIsGosQuotedStruct) {
  oci::HealthConfig hc;
  hc.test = {"CMD-SHELL", "curl -f \"http://x/\" || exit 1"};
  hc.interval = 30'000'000'000;
  hc.timeout = 3'000'000'000;
  hc.start_period = 5'000'000'000;
  hc.retries = 2;
  EXPECT_EQ(healthcheck_created_by(hc),
            "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f \\\"http://x/\\\" || exit 1\"] \"30s\" \"3s\" "
            "\"5s\" \"0s\" '\\x02'}");
  hc.retries = 10;  // a rune with a short escape
  EXPECT_NE(healthcheck_created_by(hc).find("'\\n'}"), std::string::npos);
  hc.retries = 65;  // a printable rune
  EXPECT_NE(healthcheck_created_by(hc).find("'A'}"), std::string::npos);
}

TEST(BuildHistory, ListsAndRunWithItsBuildArgs) {
  EXPECT_EQ(quoted_list({"a b", "tab\there"}), "[\"a b\" \"tab\\there\"]");
  EXPECT_EQ(plain_list({"/data", "/cache"}), "[/data /cache]");
  EXPECT_EQ(run_created_by({{"A", "1"}, {"UNSET", ""}}, {"/bin/sh", "-c", "make"}),
            "RUN |2 A=1 UNSET= /bin/sh -c make");
  EXPECT_EQ(run_created_by({}, {"/bin/true"}), "RUN /bin/true");
}

}  // namespace
}  // namespace berth::engine::buildimpl
