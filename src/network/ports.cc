#include "network/ports.h"

#include <algorithm>
#include <tuple>

#include "base/strings.h"
#include "network/addr.h"

namespace berth::network {
namespace {

struct Range {
  uint32_t start = 0, end = 0;
};

bool parse_port_number(std::string_view s, uint32_t& out) {
  if (s.empty() || s.size() > 5) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  out = v;
  return true;
}

// "80" or "8000-8010"; a port of 0 is allowed only where `allow_zero` (a host port).
bool parse_range(std::string_view s, Range& r, bool allow_zero) {
  auto kv = split_once(s, '-');
  if (!parse_port_number(kv.first, r.start)) return false;
  r.end = r.start;
  if (kv.found && !parse_port_number(kv.second, r.end)) return false;
  if (r.end < r.start) return false;
  if (!allow_zero && r.start == 0) return false;
  return true;
}

}  // namespace

Result<std::vector<PortBinding>> parse_publish(std::string_view spec) {
  std::string s(spec);
  std::string proto = "tcp";
  if (auto slash = s.rfind('/'); slash != std::string::npos) {
    proto = to_lower(s.substr(slash + 1));
    s = s.substr(0, slash);
    if (proto != "tcp" && proto != "udp") return invalid_argument("invalid proto: " + proto);
  }
  std::string ip, host, ctr;
  // An IPv6 host address is bracketed: [::1]:8000:80.
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos) return invalid_argument("invalid IP address: " + s);
    ip = s.substr(1, close - 1);
    s = s.substr(close + 1);
    if (s.empty() || s[0] != ':') return invalid_argument("invalid containerPort: " + std::string(spec));
    s = s.substr(1);
    auto kv = split_once(s, ':');
    if (!kv.found) return invalid_argument("invalid containerPort: " + std::string(spec));
    host = kv.first;
    ctr = kv.second;
  } else {
    auto parts = split(s, ':');
    if (parts.size() == 1) {
      ctr = parts[0];
    } else if (parts.size() == 2) {
      host = parts[0];
      ctr = parts[1];
    } else if (parts.size() == 3) {
      ip = parts[0];
      host = parts[1];
      ctr = parts[2];
    } else {
      return invalid_argument("invalid hostPort: " + s);
    }
  }
  if (!ip.empty()) {
    if (is_ipv6(ip)) {
      BERTH_ASSIGN_OR_RETURN(ip, parse_ipv6(ip));  // canonical: [0::1] is ::1
    } else {
      BERTH_TRY(parse_ipv4(ip));
    }
  }
  Range cr, hr;
  if (!parse_range(ctr, cr, false)) return invalid_argument("invalid containerPort: " + ctr);
  bool host_given = !host.empty();
  if (host_given && !parse_range(host, hr, true)) return invalid_argument("invalid hostPort: " + host);
  uint32_t count = cr.end - cr.start + 1;
  std::vector<PortBinding> out;
  if (host_given && hr.end != hr.start && count == 1) {
    // One container port, a host range: any free port of the range.
    out.push_back({ip, static_cast<uint16_t>(hr.start), static_cast<uint16_t>(hr.end),
                   static_cast<uint16_t>(cr.start), proto});
    return out;
  }
  if (host_given && hr.end - hr.start + 1 != count)
    return invalid_argument("invalid ranges specified for container and host Ports: " + ctr +
                            " and " + host);
  for (uint32_t i = 0; i < count; ++i) {
    PortBinding b;
    b.host_ip = ip;
    b.host_port = host_given && hr.start != 0 ? static_cast<uint16_t>(hr.start + i) : 0;
    b.container_port = static_cast<uint16_t>(cr.start + i);
    b.proto = proto;
    out.push_back(b);
  }
  return out;
}

Result<std::vector<std::pair<uint16_t, std::string>>> parse_expose(std::string_view spec) {
  auto kv = split_once(spec, '/');
  std::string proto = kv.found ? to_lower(kv.second) : "tcp";
  if (proto != "tcp" && proto != "udp") return invalid_argument("invalid proto: " + proto);
  Range r;
  if (!parse_range(kv.first, r, false)) return invalid_argument("invalid containerPort: " + kv.first);
  std::vector<std::pair<uint16_t, std::string>> out;
  for (uint32_t p = r.start; p <= r.end; ++p) out.emplace_back(static_cast<uint16_t>(p), proto);
  return out;
}

std::string port_key(const PortBinding& b) {
  return std::to_string(b.container_port) + "/" + b.proto;
}

std::string format_ports(std::vector<PortBinding> bs) {
  std::sort(bs.begin(), bs.end(), [](const PortBinding& a, const PortBinding& b) {
    return std::tie(a.host_ip, a.proto, a.host_port, a.container_port) <
           std::tie(b.host_ip, b.proto, b.host_port, b.container_port);
  });
  std::vector<std::string> parts;
  auto range = [](uint32_t a, uint32_t b) {
    return a == b ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b);
  };
  for (size_t i = 0; i < bs.size();) {
    size_t j = i;
    // Grow the run while host and container ports both advance by one.
    while (j + 1 < bs.size() && bs[j + 1].host_ip == bs[i].host_ip &&
           bs[j + 1].proto == bs[i].proto && bs[j + 1].host_port == bs[j].host_port + 1 &&
           bs[j + 1].container_port == bs[j].container_port + 1)
      ++j;
    std::string ip = bs[i].host_ip.empty() ? "0.0.0.0" : bs[i].host_ip;
    if (is_ipv6(ip)) ip = "[" + ip + "]";
    parts.push_back(ip + ":" + range(bs[i].host_port, bs[j].host_port) + "->" +
                    range(bs[i].container_port, bs[j].container_port) + "/" + bs[i].proto);
    i = j + 1;
  }
  return join(parts, ", ");
}

}  // namespace berth::network
