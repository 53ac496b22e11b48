// Published ports: `-p` parsing with Docker's grammar and errors, and Docker's renderings
// (`ps` PORTS, `port`).
//
//   -p 8000:80            host port 8000 on every address -> container port 80/tcp
//   -p 127.0.0.1:8000:80  only on 127.0.0.1
//   -p 127.0.0.1::80      a random host port on 127.0.0.1
//   -p [::1]:8000:80      only on ::1 (IPv6 addresses are bracketed, kept canonical: "::1")
//   -p 80                 a random host port on every address
//   -p 8000-8001:80-81/udp  ranges (same length), or a host range for one container port
//                           (any free port of the range)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::network {

struct PortBinding {
  std::string host_ip;          // "" = every address (shown as 0.0.0.0); "::" = every IPv6 one
  uint16_t host_port = 0;       // 0 = choose one (a random port, or one of the host range)
  uint16_t host_port_end = 0;   // with a host range for one container port: the range's end
  uint16_t container_port = 0;
  std::string proto = "tcp";    // tcp|udp
  bool operator==(const PortBinding&) const = default;
};

// One -p value to its bindings (a range gives one binding per port). Errors (kInvalidArgument),
// as Docker's: "invalid containerPort: x", "invalid hostPort: x", "invalid IP address: x",
// "invalid proto: x", "invalid ranges specified for container and host Ports: a and b".
Result<std::vector<PortBinding>> parse_publish(std::string_view spec);

// EXPOSE / --expose entries: "80/tcp", "53/udp", "8000-8001" -> (port, proto) pairs.
Result<std::vector<std::pair<uint16_t, std::string>>> parse_expose(std::string_view spec);

// Docker's PORTS column: "0.0.0.0:8000->80/tcp, [::]:8000->80/tcp, 127.0.0.1:9000-9001->90-91/udp";
// IPv6 addresses bracketed, as Docker 27 shows them; consecutive
// ports with the same address and protocol are shown as ranges, as Docker does.
std::string format_ports(std::vector<PortBinding> bindings);
// "80/tcp" as the key of inspect's NetworkSettings.Ports.
std::string port_key(const PortBinding& b);

}  // namespace berth::network
