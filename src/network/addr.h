// IPv4 addresses and subnets as values: parsing with Docker's error wording, formatting, tests
// of membership and overlap. Everything is plain data; nothing here touches the host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::network {

// An IPv4 address in host byte order.
struct Ipv4 {
  uint32_t v = 0;
  auto operator<=>(const Ipv4&) const = default;
};

// "172.18.0.2" -> Ipv4. Error: "invalid IP address: <text>" (kInvalidArgument).
Result<Ipv4> parse_ipv4(std::string_view text);
std::string to_string(Ipv4 a);

struct Subnet {
  Ipv4 base;       // the network address (host bits zero)
  int prefix = 0;  // 0..32

  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  Ipv4 network() const { return {base.v & mask()}; }
  Ipv4 broadcast() const { return {base.v | ~mask()}; }
  bool contains(Ipv4 a) const { return (a.v & mask()) == (base.v & mask()); }
  bool overlaps(const Subnet& o) const { return contains(o.base) || o.contains(base); }
  std::string to_string() const;  // "172.18.0.0/16"
  auto operator<=>(const Subnet&) const = default;
};

// "172.18.0.0/16". Host bits must be zero, as Docker requires:
//   "invalid subnet 172.18.0.1/16 : it should be 172.18.0.0/16"; "invalid CIDR address: <text>".
Result<Subnet> parse_subnet(std::string_view text);

// IPv6 addresses are kept as text (only published ports use them): "::1", "fd00::2".
bool is_ipv6(std::string_view text);  // has a ':' (an IPv4 address never does)
// The canonical text of an IPv6 address ("0:0::1" -> "::1"); "invalid IP address: <text>".
Result<std::string> parse_ipv6(std::string_view text);
// "0.0.0.0:8080", "127.0.0.1:80", "[::]:8080" as Docker shows a host binding ("" = 0.0.0.0).
std::string format_host_port(const std::string& ip, uint16_t port);

// 6-byte MAC address as "02:42:ac:12:00:02".
struct Mac {
  uint8_t b[6] = {0, 0, 0, 0, 0, 0};
};
// "02:42:ac:12:00:02"; error: "invalid MAC address: <text>".
Result<Mac> parse_mac(std::string_view text);
std::string to_string(const Mac& m);
// Docker's derived MAC for an address: 02:42 followed by the four bytes of the IPv4 address.
Mac mac_for(Ipv4 a);

}  // namespace berth::network
