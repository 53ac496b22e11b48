#include "network/addr.h"

#include <gtest/gtest.h>

namespace berth::network {
namespace {

TEST(AddrTest, ParsesAndFormatsIpv4) {
  auto a = parse_ipv4("172.18.0.2");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->v, 0xAC120002u);
  EXPECT_EQ(to_string(*a), "172.18.0.2");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.x", "01.2.3.4", "1..3.4"}) {
    auto r = parse_ipv4(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message(), std::string("invalid IP address: ") + bad);
  }
}

TEST(AddrTest, SubnetsRequireZeroHostBits) {
  auto s = parse_subnet("172.18.0.0/16");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->to_string(), "172.18.0.0/16");
  EXPECT_EQ(to_string(s->broadcast()), "172.18.255.255");
  EXPECT_TRUE(s->contains(*parse_ipv4("172.18.9.9")));
  EXPECT_FALSE(s->contains(*parse_ipv4("172.19.0.1")));
  auto bad = parse_subnet("172.18.0.1/16");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "invalid subnet 172.18.0.1/16 : it should be 172.18.0.0/16");
  EXPECT_EQ(parse_subnet("10.0.0.0/33").error().message(), "invalid CIDR address: 10.0.0.0/33");
  EXPECT_EQ(parse_subnet("10.0.0.0").error().message(), "invalid CIDR address: 10.0.0.0");
}

TEST(AddrTest, Overlap) {
  auto a = *parse_subnet("172.18.0.0/16");
  EXPECT_TRUE(a.overlaps(*parse_subnet("172.18.5.0/24")));
  EXPECT_TRUE(a.overlaps(*parse_subnet("0.0.0.0/0")));
  EXPECT_FALSE(a.overlaps(*parse_subnet("172.19.0.0/16")));
}

TEST(AddrTest, Mac) {
  EXPECT_EQ(to_string(mac_for(*parse_ipv4("172.18.0.2"))), "02:42:ac:12:00:02");
  auto m = parse_mac("02:42:AC:11:00:09");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(to_string(*m), "02:42:ac:11:00:09");
  EXPECT_EQ(parse_mac("02:42:ac:11:00").error().message(), "invalid MAC address: 02:42:ac:11:00");
  EXPECT_FALSE(parse_mac("02:42:ac:11:00:zz").ok());
}

}  // namespace
}  // namespace berth::network
