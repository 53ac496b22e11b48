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

// Ports are map elements: on every address in pub_any, on one address in pub_addr. The rules
// that look them up return for 127.0.0.0/8 in prerouting first, so a loopback binding is reached
// only from the host itself.
TEST(NftTest, PortsAreMapElements) {
  std::string t = render_table(sample());
  EXPECT_NE(t.find("elements = { tcp . 8000 : 172.18.0.2 . 80 }"), std::string::npos);
  EXPECT_NE(t.find("elements = { 127.0.0.1 . udp . 9000 : 172.18.0.3 . 53, "
                   "192.0.2.2 . tcp . 8443 : 172.19.0.2 . 443 }"),
            std::string::npos);
  auto pre = t.substr(t.find("chain prerouting"), t.find("chain output") - t.find("chain prerouting"));
  EXPECT_LT(pre.find("ip daddr 127.0.0.0/8 return"), pre.find("dnat"));
  auto out = t.substr(t.find("chain output"), t.find("chain postrouting") - t.find("chain output"));
  EXPECT_EQ(out.find("127.0.0.0/8"), std::string::npos);
  EXPECT_NE(out.find("map @pub_addr"), std::string::npos);
}

// A container's start and exit change only its own elements; no ports, no batch at all.
TEST(NftTest, PortScriptsTouchOnlyTheElements) {
  std::vector<NftPort> ports = {{"", 8000, "tcp", *parse_ipv4("172.18.0.2"), 80},
                                {"0.0.0.0", 8001, "udp", *parse_ipv4("172.18.0.2"), 81},
                                {"127.0.0.1", 9000, "tcp", *parse_ipv4("172.18.0.2"), 90}};
  EXPECT_EQ(add_ports_script("berth", ports),
            "add element ip berth pub_any { tcp . 8000 : 172.18.0.2 . 80, udp . 8001 : 172.18.0.2 . 81 }\n"
            "add element ip berth pub_addr { 127.0.0.1 . tcp . 9000 : 172.18.0.2 . 90 }\n");
  EXPECT_EQ(delete_ports_script("berth", ports),
            "delete element ip berth pub_any { tcp . 8000, udp . 8001 }\n"
            "delete element ip berth pub_addr { 127.0.0.1 . tcp . 9000 }\n");
  EXPECT_EQ(add_ports_script("berth", {}), "");
  EXPECT_EQ(delete_ports_script("berth", {}), "");
  EXPECT_EQ(add_ports_script("berth", {ports[2]}).find("pub_any"), std::string::npos);
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

// Published ports pass between networks (hairpin through the host's address); the internal
// network's drops come first, so a published port does not open a way out of one.
TEST(NftTest, DnatPassesIsolationButNotInternal) {
  std::string t = render_table(sample());
  auto fwd = t.substr(t.find("chain forward"));
  size_t accept = fwd.find("ct status dnat accept");
  ASSERT_NE(accept, std::string::npos);
  EXPECT_LT(fwd.find("iifname \"br-int\" oifname != \"br-int\" drop"), accept);
  EXPECT_GT(fwd.find("iifname \"berth0\" oifname {"), accept);
}

}  // namespace
}  // namespace berth::network
