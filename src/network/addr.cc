#include "network/addr.h"

#include <arpa/inet.h>

#include <cstdio>

#include "base/strings.h"

namespace berth::network {
namespace {

bool parse_u32(std::string_view s, uint32_t max, uint32_t& out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  // No leading zeros ("01"): Go's netip rejects them, and so do we, so "010" is not octal-ambiguous.
  if (s.size() > 1 && s[0] == '0') return false;
  out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

Result<Ipv4> parse_ipv4(std::string_view text) {
  auto parts = split(text, '.');
  if (parts.size() != 4) return invalid_argument("invalid IP address: " + std::string(text));
  uint32_t v = 0;
  for (const auto& p : parts) {
    uint32_t octet = 0;
    if (!parse_u32(p, 255, octet)) return invalid_argument("invalid IP address: " + std::string(text));
    v = (v << 8) | octet;
  }
  return Ipv4{v};
}

std::string to_string(Ipv4 a) {
  return std::to_string(a.v >> 24) + "." + std::to_string((a.v >> 16) & 255) + "." +
         std::to_string((a.v >> 8) & 255) + "." + std::to_string(a.v & 255);
}

std::string Subnet::to_string() const {
  return network::to_string(base) + "/" + std::to_string(prefix);
}

Result<Subnet> parse_subnet(std::string_view text) {
  auto kv = split_once(text, '/');
  uint32_t prefix = 0;
  auto ip = parse_ipv4(kv.first);
  if (!kv.found || !ip.ok() || !parse_u32(kv.second, 32, prefix))
    return invalid_argument("invalid CIDR address: " + std::string(text));
  Subnet s{*ip, static_cast<int>(prefix)};
  if (s.network() != s.base)
    return invalid_argument("invalid subnet " + std::string(text) + " : it should be " +
                            Subnet{s.network(), s.prefix}.to_string());
  return s;
}

Result<Mac> parse_mac(std::string_view text) {
  auto parts = split(to_lower(text), ':');
  Mac m;
  if (parts.size() != 6) return invalid_argument("invalid MAC address: " + std::string(text));
  for (size_t i = 0; i < 6; ++i) {
    if (parts[i].size() != 2 || !is_hex(parts[i]))
      return invalid_argument("invalid MAC address: " + std::string(text));
    m.b[i] = static_cast<uint8_t>(std::stoul(parts[i], nullptr, 16));
  }
  return m;
}

std::string to_string(const Mac& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m.b[0], m.b[1], m.b[2], m.b[3],
                m.b[4], m.b[5]);
  return buf;
}

Mac mac_for(Ipv4 a) {
  return Mac{{0x02, 0x42, static_cast<uint8_t>(a.v >> 24), static_cast<uint8_t>(a.v >> 16),
              static_cast<uint8_t>(a.v >> 8), static_cast<uint8_t>(a.v)}};
}

bool is_ipv6(std::string_view text) { return text.find(':') != std::string_view::npos; }

Result<std::string> parse_ipv6(std::string_view text) {
  std::string s(text);
  in6_addr a{};
  if (s.empty() || ::inet_pton(AF_INET6, s.c_str(), &a) != 1) return invalid_argument("invalid IP address: " + s);
  char buf[INET6_ADDRSTRLEN];
  ::inet_ntop(AF_INET6, &a, buf, sizeof buf);
  return std::string(buf);
}

std::string format_host_port(const std::string& ip, uint16_t port) {
  std::string shown = ip.empty() ? "0.0.0.0" : ip;
  if (is_ipv6(shown)) shown = "[" + shown + "]";
  return shown + ":" + std::to_string(port);
}

}  // namespace berth::network
