// Shared by network.cc (records, commands) and network_attach.cc (the container lifecycle).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "engine/network.h"
#include "network/nft.h"

namespace berth::engine::netint {

// One network of a started container, as recorded in its endpoint file.
struct EndpointNet {
  std::string network_id, name, bridge;
  std::string ip, gateway, mac, host_veth, ifname;
  int prefix = 0;
  bool internal = false;
  std::vector<std::string> aliases;
};

struct Endpoint {
  std::string container, name, hostname, netns;
  int supervisor = 0;  // pid of the process that holds the container (CLI or monitor)
  std::vector<EndpointNet> nets;
  std::vector<network::PortBinding> ports;   // host ports resolved
  std::vector<std::string> extra_hosts;      // "ip\tname" lines from --add-host
};

std::string networks_dir(Engine& e);
std::string endpoints_dir(Engine& e);
std::string endpoint_path(Engine& e, const std::string& cid);
std::string ipam_dir(Engine& e, const std::string& network_id);
std::string netns_path(Engine& e, const std::string& cid);
std::string container_bundle(Engine& e, const std::string& cid);
// berth0/berth for the default root, berth-<hash> for any other.
std::string default_bridge_name(Engine& e);
std::string nft_table(Engine& e);

// The host-wide lock every network change holds.
Result<UniqueFd> lock_network();

Result<NetworkRecord> read_record(const std::string& path);
Status write_record(Engine& e, const NetworkRecord& r);
// The default network's record, created on first use (under the lock).
Result<NetworkRecord> ensure_default_network(Engine& e);
// The bridge link with its gateway address, up, with route_localnet; ip_forward on.
Status realize_network(const NetworkRecord& r);

Result<Endpoint> read_endpoint(Engine& e, const std::string& cid);
Status write_endpoint(Engine& e, const Endpoint& ep);
std::vector<Endpoint> all_endpoints(Engine& e);

// network_attach.cc's pieces that network_ops.cc uses too.
Json net_config(const ContainerRecord& c);  // the "Net" object of the container's config
std::string mode_of(const Json& net);
bool is_bridge_mode(const std::string& mode);
// The names peers know a container by on one network: name, short id, aliases.
std::vector<std::string> names_on(const Endpoint& ep, const EndpointNet& n);
// Rewrites the container's /etc/hosts in place; refresh_peers does it for everyone sharing a
// user network with `ep`.
Status write_hosts(Engine& e, const Endpoint& ep, const std::vector<Endpoint>& all);
void refresh_peers(Engine& e, const Endpoint& ep);
Result<std::vector<network::PortBinding>> requested_ports(const Json& net);
bool stale(const Endpoint& ep, const std::set<std::string>& running);
std::set<std::string> running_ids(Engine& e);
// Allocates an address on the network `want` names and appends it to ep.nets (host untouched).
Status plan_network(Engine& e, Endpoint& ep, const Json& want, size_t index);
// The veth pair of `n`, its peer configured inside ep.netns.
Status add_interface(const Endpoint& ep, const EndpointNet& n, bool default_route);

// Renders the nft table from every network and endpoint of this root, applies it in one batch,
// and records the table's handle (networks/nft-handle).
Status sync_nft(Engine& e);
// sync_nft only when the table is not the one last written (lost, or replaced by someone): one
// netlink lookup of the table's handle, nothing written when it is in place.
Status ensure_nft(Engine& e);
// A started container's published IPv4 ports as elements of the table's maps: added at attach
// (after ensure_nft), deleted at detach; nothing is written for a container without ports.
std::vector<network::NftPort> nft_ports(const Endpoint& ep);
Status publish_nft(Engine& e, const Endpoint& ep);
Status unpublish_nft(Engine& e, const Endpoint& ep);
// Detach with the lock held.
Status detach_locked(Engine& e, const std::string& cid);

}  // namespace berth::engine::netint
