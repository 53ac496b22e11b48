// nftables: berth's NAT and filtering as one table that berth owns alone.
//
// The table's rules depend only on the networks, so they are rendered whole and replaced in one
// atomic batch ("add table; delete table; table {...}") when a network is created or removed, when
// the table is found missing, and by `system check`. Published ports are elements of two maps
// that the rules look up, so starting or stopping a container that publishes ports adds or
// deletes only its own elements (a few-line batch), and one that publishes none touches nothing.
// Nothing outside berth's table is ever read, changed or flushed.
//
// What the table does:
//  - prerouting/output (nat, dstnat): traffic to a local address and a published port is DNATed to
//    the container, through the maps pub_addr (ports published on one address) and pub_any (on
//    every address). prerouting returns for 127.0.0.0/8 first, so a port published on a loopback
//    address is reached only from the host itself (`output`) and a port published everywhere is
//    never reached through 127.0.0.1 from outside (CVE-2020-8558): never wider than asked.
//  - postrouting (nat, srcnat): masquerade what leaves a non-internal network for elsewhere, what
//    reaches a bridge from 127.0.0.0/8 (the DNATed loopback traffic; the bridge has
//    route_localnet=1 so the kernel routes it at all), and DNATed traffic from a container back
//    onto its own bridge (hairpin through a published port).
//  - forward (filter): drop traffic between two berth networks, and anything into or out of an
//    internal network. DNATed connections (a published port, reached through the host's address)
//    pass between non-internal networks, as a published port is reachable by all who reach the host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "network/addr.h"

namespace berth::network {

struct NftNetwork {
  std::string bridge;  // interface name
  Subnet subnet;
  bool internal = false;
};

struct NftPort {
  std::string host_ip;  // "" or "0.0.0.0" = every local address; IPv4 only
  uint16_t host_port = 0;
  std::string proto = "tcp";
  Ipv4 dest;
  uint16_t dest_port = 0;
};

struct NftPlan {
  std::string table = "berth";  // family ip
  std::vector<NftNetwork> networks;
  std::vector<NftPort> ports;
};

// The table's text (`table ip <name> { ... }`), deterministic for a plan.
std::string render_table(const NftPlan& plan);
// The batch that replaces the table atomically (creates it when absent).
std::string replace_script(const NftPlan& plan);
// The batch that deletes the table (a no-op when absent).
std::string delete_script(const std::string& table);
// The batches that add or delete the map elements of `ports` ("" when there are none). Adding an
// element that exists is a no-op; deleting one that is absent fails (then rebuild the table).
std::string add_ports_script(const std::string& table, const std::vector<NftPort>& ports);
std::string delete_ports_script(const std::string& table, const std::vector<NftPort>& ports);

// Runs a batch through libnftables; the error carries nft's own message.
Status nft_run(const std::string& script);

// The handle of `table` (family ip) through one NFT_MSG_GETTABLE on a netfilter netlink socket:
// a cheap "is our table still there" (a deleted and recreated table has a new handle). nullopt
// when there is no such table.
Result<std::optional<uint64_t>> table_handle(const std::string& table);

}  // namespace berth::network
