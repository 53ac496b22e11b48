// nftables: berth's NAT and filtering as one table that berth owns alone, rebuilt from berth's
// records in one atomic transaction each time something changes.
//
// Why rebuild instead of adding and deleting single rules: the table is derived state (networks
// and the ports of running containers), so rendering it whole makes every update idempotent,
// makes crash recovery trivial (render again from the records), and never needs rule handles.
// The replace is one nft batch ("add table; delete table; table {...}"), so packets never see a
// half table. Nothing outside berth's table is ever read, changed or flushed.
//
// What the table does:
//  - prerouting/output (nat, dstnat): traffic to a local address and a published port is DNATed to
//    the container. Ports published on a loopback address are matched only in `output` (locally
//    generated traffic), and ports published on every address never match 127.0.0.0/8 arriving
//    from outside, so a port is never reachable wider than the user asked.
//  - postrouting (nat, srcnat): masquerade what leaves a non-internal network for elsewhere, what
//    reaches a bridge from 127.0.0.0/8 (the DNATed loopback traffic; the bridge has
//    route_localnet=1 so the kernel routes it at all), and DNATed traffic from a container back
//    onto its own bridge (hairpin through a published port).
//  - forward (filter): drop traffic between two berth networks, and anything into or out of an
//    internal network.
#pragma once

#include <cstdint>
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
  std::string host_ip;  // "" = every local address
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

// Runs a batch through libnftables; the error carries nft's own message.
Status nft_run(const std::string& script);

}  // namespace berth::network
