#include "network/nft.h"

#include <gtest/gtest.h>

#include "base/fs.h"

namespace berth::network {
namespace {

NftPlan sample() {
  NftPlan p;
  p.networks = {{"berth0", *parse_subnet("172.18.0.0/16"), false},
                {"br-1234", *parse_subnet("172.19.0.0/16"), false},
                {"br-int", *parse_subnet("172.20.0.0/16"), true}};
  p.ports = {{"", 8000, "tcp", *parse_ipv4("172.18.0.2"), 80},
             {"127.0.0.1", 9000, "udp", *parse_ipv4("172.18.0.3"), 53},
             {"192.0.2.2", 8443, "tcp", *parse_ipv4("172.19.0.2"), 443}};
  return p;
}

// The whole table is compared with a golden file: a change of a rule is a reviewed change.
TEST(NftTest, RendersGoldenTable) {
  auto golden = read_file(std::string(BERTH_TESTDATA_DIR) + "/berth.nft");
  ASSERT_TRUE(golden.ok());
  EXPECT_EQ(render_table(sample()), *golden);
}

TEST(NftTest, LoopbackPortsOnlyInOutput) {
  std::string t = render_table(sample());
  auto publish = t.substr(t.find("chain publish {"), t.find("chain publish_local") - t.find("chain publish {"));
  EXPECT_EQ(publish.find("127.0.0.1"), std::string::npos);
  EXPECT_NE(publish.find("tcp dport 8000 dnat to 172.18.0.2:80"), std::string::npos);
  EXPECT_NE(publish.find("ip daddr 192.0.2.2 tcp dport 8443"), std::string::npos);
  auto local = t.substr(t.find("chain publish_local"));
  EXPECT_NE(local.find("ip daddr 127.0.0.1 udp dport 9000 dnat to 172.18.0.3:53"), std::string::npos);
}

TEST(NftTest, ReplaceIsOneBatchOnOnlyOurTable) {
  NftPlan p = sample();
  p.table = "berth-test";
  std::string s = replace_script(p);
  EXPECT_EQ(s.rfind("add table ip berth-test\ndelete table ip berth-test\ntable ip berth-test {", 0), 0u);
  EXPECT_EQ(s.find("flush"), std::string::npos);
  EXPECT_EQ(delete_script("berth"), "add table ip berth\ndelete table ip berth\n");
}

TEST(NftTest, InternalNetworksAreNotMasqueraded) {
  std::string t = render_table(sample());
  EXPECT_EQ(t.find("ip saddr 172.20.0.0/16 oifname"), std::string::npos);
  EXPECT_NE(t.find("iifname \"br-int\" oifname != \"br-int\" drop"), std::string::npos);
  EXPECT_NE(t.find("iifname \"berth0\" oifname { \"br-1234\", \"br-int\" } drop"), std::string::npos);
}

}  // namespace
}  // namespace berth::network
