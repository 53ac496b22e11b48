// Container networking for the engine: network records (`network create/ls/inspect/rm/prune`),
// and the hooks the container lifecycle calls: prepare (at create), attach (before the first
// process starts), detach (when it has exited, on rm, and from `system check`).
//
// State (all under the berth root, so it survives the runroot; `system check` reconciles it):
//   networks/<id>.json             a network: name, subnet, gateway, bridge, options
//   networks/ipam/<id>/<a.b.c.d>   an allocated address (network/ipam.h), content: container id
//   networks/endpoints/<cid>.json  a started container's attachment: addresses, veths, ports
//   <runroot>/netns/<cid>          the container's pinned network namespace
// Every change takes a host-wide lock (/run/berth-network.lock): bridges, subnets and ports are
// host-wide resources that concurrent berth processes, even with different roots, share.
//
// Host objects: the default network "bridge" is the link berth0 and nft table `berth` for the
// default root (/var/lib/berth); another root (tests) gets berth-<hash> for both, so two roots
// never share a bridge, an address pool or a table. User networks are br-<id12>.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "engine/engine.h"
#include "network/addr.h"
#include "network/ports.h"
#include "network/proxy.h"

namespace berth::engine {

struct NetworkRecord {
  std::string id, name, driver = "bridge", bridge;
  network::Subnet subnet;
  network::Ipv4 gateway;
  std::optional<network::Subnet> ip_range;
  bool internal = false;
  std::map<std::string, std::string> labels, options;
  int64_t created = 0;
};

struct NetworkCreateRequest {
  std::string name, driver = "bridge", subnet, gateway, ip_range;
  bool internal = false;
  std::vector<std::string> labels;   // k=v
  std::vector<std::string> options;  // -o k=v
};

// The pseudo networks Docker lists besides the bridges.
inline bool is_builtin_network(const std::string& n) {
  return n == "bridge" || n == "host" || n == "none";
}

Result<NetworkRecord> create_network(Engine& e, const NetworkCreateRequest& req);
// "bridge", user networks (sorted by name); host and none are the CLI's to add.
Result<std::vector<NetworkRecord>> list_networks(Engine& e);
// By name, full id or unique id prefix; "network <x> not found" (kNotFound).
Result<NetworkRecord> find_network(Engine& e, const std::string& name_or_id);
// Docker's network inspect object (Name, Id, Created, Scope, Driver, IPAM, Internal,
// Containers, Options, Labels).
Result<Json> inspect_network(Engine& e, const std::string& name_or_id);
// Refuses the predefined ones and networks with attached containers (Docker's messages).
Status remove_network(Engine& e, const std::string& name_or_id);
// Removes user networks no container uses; returns their names.
Result<std::vector<std::string>> prune_networks(Engine& e);
// `network connect/disconnect`: changes the container's configured networks; a running
// container is attached/detached at once.
Status connect_network(Engine& e, const std::string& network, const std::string& container,
                       const std::vector<std::string>& aliases, const std::string& ip);
Status disconnect_network(Engine& e, const std::string& network, const std::string& container);

// ---- container hooks ----

// At create: validates the network flags of `req` against the records, fills o.network /
// o.netns_path / o.hostname, and returns the "Net" object stored in the container's config.
// Also writes the bundle's hosts and resolv.conf for its mode.
Result<Json> prepare_container_network(Engine& e, const RunRequest& req, const std::string& id,
                                       const std::string& bundle, runtime::RunOptions& o,
                                       const std::vector<std::string>& image_exposed);

// Held for as long as the container runs: the sockets reserving its published IPv4 host ports
// (DNATed by nftables), and the userland proxy serving its IPv6 ones (network/proxy.h).
struct NetworkAttachment {
  std::vector<UniqueFd> reservations;
  std::optional<network::UserlandProxy> proxy;
};

// Before launch: namespace, veths, addresses, routes, /etc/hosts, NAT. Points the spec's network
// namespace at the container's (or, for container:<x>, at that container's). Undoes what it did
// when it fails. Returns null for host and none.
Result<std::shared_ptr<NetworkAttachment>> attach_container_network(Engine& e,
                                                                    const ContainerRecord& c,
                                                                    oci::RuntimeSpec& spec);
// After the container exited, on rm, after a crash: idempotent, and quiet about what is gone.
Status detach_container_network(Engine& e, const std::string& container_id);

// inspect's NetworkSettings for the container (addresses only while it runs, as Docker).
Json network_settings(Engine& e, const ContainerRecord& c);
// HostConfig.PortBindings: the -p/-P requests as asked ("80/tcp": [{"HostIp","HostPort"}]).
Json port_bindings(const ContainerRecord& c);
// The published ports of a running container (host ports resolved), for `port` and `ps`.
std::vector<network::PortBinding> container_ports(Engine& e, const std::string& container_id);

// `system check`: detaches containers that are not running, frees addresses of containers that
// are gone, removes berth veths and namespaces nobody owns, and rewrites the nft table.
Status reconcile_networks(Engine& e, CheckReport& rep);

}  // namespace berth::engine
