// The container's /etc/resolv.conf and /etc/hosts, as Docker writes them. Plain text in, plain
// text out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::network {

struct DnsOptions {
  std::vector<std::string> servers;  // --dns: replace the host's nameservers
  std::vector<std::string> search;   // --dns-search: replace the search list ("." clears it)
  std::vector<std::string> options;  // --dns-option: replace the options
};

// The host's resolv.conf made usable inside a network namespace, with Docker's rules:
// nameservers on loopback (127.0.0.0/8, ::1: systemd-resolved, dnsmasq) cannot be reached from
// the container and are dropped; when none is left, Google's public resolvers (8.8.8.8,
// 8.8.4.4) are used, as Docker does. --dns/--dns-search/--dns-option replace their parts.
// With `host_network` the host's file is kept as is (the container shares the host's loopback).
std::string container_resolv_conf(std::string_view host_text, const DnsOptions& dns,
                                   bool host_network);

// --add-host "name:ip" (also "name=ip"; "host-gateway" is replaced by `gateway_ip`).
// Error: "invalid argument \"x\" for \"--add-host\" flag: bad format for add-host: \"x\"".
struct HostEntry {
  std::string ip;
  std::vector<std::string> names;
};
Result<HostEntry> parse_add_host(std::string_view value, std::string_view gateway_ip);

// Docker's /etc/hosts: the localhost and IPv6 lines, then `extra` (--add-host, then the peers of
// user networks), then the container's own address and names (no line when `own_ip` is empty,
// as for --network none, where Docker writes only the localhost lines).
std::string hosts_file(const std::vector<HostEntry>& extra, std::string_view own_ip,
                       const std::vector<std::string>& own_names);

}  // namespace berth::network
