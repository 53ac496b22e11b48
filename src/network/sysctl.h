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

// Hairpin mode on a bridge port (IFLA_BRPORT_MODE through one RTM_SETLINK, in this thread's
// network namespace; /sys/class/net shows the namespace /sys was mounted in): with br_netfilter,
// a container's packet to its own published port is DNATed while bridged and must go back out
// the port it came in by, which the bridge drops without hairpin mode.
Status enable_hairpin(const std::string& link);

// Whether the host (this network namespace) has IPv6: any address in /proc/net/if_inet6 (none
// when the kernel has no IPv6, or with net.ipv6.conf.all.disable_ipv6=1, which removes them all,
// ::1 included). Without it `-p 8080:80` publishes on IPv4 only, without an error, as Docker does.
bool host_has_ipv6();

}  // namespace berth::network
