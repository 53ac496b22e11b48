// The few host sysctls bridge networking needs.
#pragma once

#include <string>

#include "base/error.h"

namespace berth::network {

// net.ipv4.ip_forward=1 (host-wide, as Docker sets it; without it nothing leaves a bridge).
Status enable_ip_forward();
// net.ipv4.conf.<link>.route_localnet=1: lets DNATed 127.0.0.1 traffic be routed to that bridge
// (only that link; the host's other interfaces keep dropping loopback-addressed packets).
Status enable_route_localnet(const std::string& link);

}  // namespace berth::network
