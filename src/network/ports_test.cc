#include "network/ports.h"

#include <gtest/gtest.h>

#include "network/addr.h"

namespace berth::network {
namespace {

std::vector<PortBinding> ok(const char* s) {
  auto r = parse_publish(s);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : std::vector<PortBinding>{};
}

std::string err(const char* s) {
  auto r = parse_publish(s);
  return r.ok() ? "(ok)" : r.error().message();
}

TEST(PortsTest, Forms) {
  EXPECT_EQ(ok("8000:80"), (std::vector<PortBinding>{{"", 8000, 0, 80, "tcp"}}));
  EXPECT_EQ(ok("127.0.0.1:8000:80/udp"), (std::vector<PortBinding>{{"127.0.0.1", 8000, 0, 80, "udp"}}));
  EXPECT_EQ(ok("127.0.0.1::80"), (std::vector<PortBinding>{{"127.0.0.1", 0, 0, 80, "tcp"}}));
  EXPECT_EQ(ok("80"), (std::vector<PortBinding>{{"", 0, 0, 80, "tcp"}}));
  EXPECT_EQ(ok("80/TCP"), (std::vector<PortBinding>{{"", 0, 0, 80, "tcp"}}));
  EXPECT_EQ(ok("8000-8001:80-81"),
            (std::vector<PortBinding>{{"", 8000, 0, 80, "tcp"}, {"", 8001, 0, 81, "tcp"}}));
  EXPECT_EQ(ok("8000-8010:80"), (std::vector<PortBinding>{{"", 8000, 8010, 80, "tcp"}}));
  EXPECT_EQ(ok("80-81"), (std::vector<PortBinding>{{"", 0, 0, 80, "tcp"}, {"", 0, 0, 81, "tcp"}}));
}

// IPv6 host addresses are bracketed and kept in canonical form.
TEST(PortsTest, Ipv6HostAddresses) {
  EXPECT_EQ(ok("[::1]:8000:80"), (std::vector<PortBinding>{{"::1", 8000, 0, 80, "tcp"}}));
  EXPECT_EQ(ok("[0:0::1]::80/udp"), (std::vector<PortBinding>{{"::1", 0, 0, 80, "udp"}}));
  EXPECT_EQ(ok("[::]:8000:80"), (std::vector<PortBinding>{{"::", 8000, 0, 80, "tcp"}}));
  EXPECT_EQ(ok("[FD00::2]:8000:80"), (std::vector<PortBinding>{{"fd00::2", 8000, 0, 80, "tcp"}}));
  EXPECT_EQ(err("[::g]:8000:80"), "invalid IP address: ::g");
  EXPECT_EQ(err("[::1:8000:80"), "invalid IP address: [::1:8000:80");
}

TEST(PortsTest, DockerErrors) {
  EXPECT_EQ(err("abc"), "invalid containerPort: abc");
  EXPECT_EQ(err("8000:0"), "invalid containerPort: 0");
  EXPECT_EQ(err("x:80"), "invalid hostPort: x");
  EXPECT_EQ(err("70000:80"), "invalid hostPort: 70000");
  EXPECT_EQ(err("1.2.3:8000:80"), "invalid IP address: 1.2.3");
  EXPECT_EQ(err("80/sctpx"), "invalid proto: sctpx");
  EXPECT_EQ(err("8000-8002:80-81"),
            "invalid ranges specified for container and host Ports: 80-81 and 8000-8002");
}

TEST(PortsTest, Expose) {
  auto e = parse_expose("53/udp");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->at(0), (std::pair<uint16_t, std::string>{53, "udp"}));
  EXPECT_EQ(parse_expose("8000-8002")->size(), 3u);
  EXPECT_FALSE(parse_expose("x/tcp").ok());
}

TEST(PortsTest, FormatsLikeDockerPs) {
  EXPECT_EQ(format_ports({{"", 8000, 0, 8000, "tcp"}}), "0.0.0.0:8000->8000/tcp");
  EXPECT_EQ(format_ports({{"127.0.0.1", 9001, 0, 91, "udp"},
                          {"127.0.0.1", 9000, 0, 90, "udp"},
                          {"", 8000, 0, 80, "tcp"}}),
            "0.0.0.0:8000->80/tcp, 127.0.0.1:9000-9001->90-91/udp");
  EXPECT_EQ(format_ports({}), "");
  // `-p 8080:80` on a host with IPv6, as Docker 27 shows it.
  EXPECT_EQ(format_ports({{"::", 8080, 0, 80, "tcp"}, {"", 8080, 0, 80, "tcp"}}),
            "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp");
  EXPECT_EQ(format_ports({{"::1", 8080, 0, 80, "tcp"}, {"::1", 8081, 0, 81, "tcp"}}),
            "[::1]:8080-8081->80-81/tcp");
}

TEST(PortsTest, HostPortText) {
  EXPECT_EQ(format_host_port("", 80), "0.0.0.0:80");
  EXPECT_EQ(format_host_port("127.0.0.1", 80), "127.0.0.1:80");
  EXPECT_EQ(format_host_port("::", 8080), "[::]:8080");
  EXPECT_TRUE(is_ipv6("::1"));
  EXPECT_FALSE(is_ipv6("127.0.0.1"));
}

}  // namespace
}  // namespace berth::network
