// Networking seen from a container that exists: inspect's NetworkSettings and PortBindings,
// `port`, `network connect/disconnect`, and `system check`'s reconciliation.
#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <set>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "engine/network.h"
#include "engine/network_internal.h"
#include "network/ipam.h"
#include "network/netlink.h"
#include "network/netns.h"

namespace berth::engine {
using namespace netint;

Json network_settings(Engine& e, const ContainerRecord& c) {
  Json net = net_config(c);
  std::string mode = mode_of(net);
  auto ep = c.state == "running" ? read_endpoint(e, c.id) : Result<Endpoint>(not_found(""));
  Json networks = Json::object();
  Json ports = Json::object();
  auto empty_endpoint = [] {
    return Json{{"IPAMConfig", nullptr}, {"Links", nullptr}, {"Aliases", nullptr},
                {"NetworkID", ""},       {"EndpointID", ""}, {"Gateway", ""},
                {"IPAddress", ""},       {"IPPrefixLen", 0}, {"MacAddress", ""}};
  };
  if (ep.ok()) {
    for (const auto& n : ep->nets) {
      Json aliases = n.name == "bridge" ? Json(nullptr) : Json(names_on(*ep, n));
      networks[n.name] = {{"IPAMConfig", nullptr}, {"Links", nullptr},     {"Aliases", aliases},
                          {"NetworkID", n.network_id}, {"EndpointID", n.host_veth},
                          {"Gateway", n.gateway},  {"IPAddress", n.ip},    {"IPPrefixLen", n.prefix},
                          {"MacAddress", n.mac}};
    }
    for (const auto& p : ep->ports) {
      std::string key = network::port_key(p);
      if (!ports.contains(key) || ports[key].is_null()) ports[key] = Json::array();
      ports[key].push_back({{"HostIp", p.host_ip.empty() ? "0.0.0.0" : p.host_ip},
                            {"HostPort", std::to_string(p.host_port)}});
    }
  } else if (is_bridge_mode(mode)) {
    for (const auto& n : net.value("Networks", Json::array())) networks[n.value("Name", "")] = empty_endpoint();
  } else {
    networks[mode.rfind("container:", 0) == 0 ? std::string("container") : mode] = empty_endpoint();
  }
  for (const auto& x : net.value("Exposed", std::vector<std::string>{})) {
    auto ps = network::parse_expose(x);
    if (!ps.ok()) continue;
    for (const auto& [port, proto] : *ps) {
      std::string key = std::to_string(port) + "/" + proto;
      if (!ports.contains(key)) ports[key] = nullptr;
    }
  }
  const EndpointNet* primary = ep.ok() && !ep->nets.empty() ? &ep->nets.front() : nullptr;
  bool on_default = primary && primary->name == "bridge";
  return {{"Bridge", ""},
          {"SandboxID", primary ? c.id : ""},
          {"SandboxKey", ep.ok() ? ep->netns : ""},
          {"Ports", ports},
          {"Gateway", on_default ? primary->gateway : ""},
          {"IPAddress", on_default ? primary->ip : ""},
          {"IPPrefixLen", on_default ? primary->prefix : 0},
          {"MacAddress", on_default ? primary->mac : ""},
          {"Networks", networks}};
}

Json port_bindings(const ContainerRecord& c) {
  Json out = Json::object();
  auto ports = requested_ports(net_config(c));
  if (!ports.ok()) return out;
  for (const auto& p : *ports) {
    std::string key = network::port_key(p);
    if (!out.contains(key)) out[key] = Json::array();
    out[key].push_back({{"HostIp", p.host_ip},
                        {"HostPort", p.host_port ? std::to_string(p.host_port) : std::string()}});
  }
  return out;
}

std::vector<network::PortBinding> container_ports(Engine& e, const std::string& cid) {
  auto ep = read_endpoint(e, cid);
  return ep.ok() ? ep->ports : std::vector<network::PortBinding>{};
}

Status reconcile_networks(Engine& e, CheckReport& rep) {
  if (!path_exists(networks_dir(e))) return {};  // never used networking: nothing to check
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_network());
  auto running = running_ids(e);
  std::set<std::string> kept;
  for (const auto& ep : all_endpoints(e)) {
    if (!stale(ep, running)) {
      kept.insert(ep.container);
      continue;
    }
    BERTH_TRY(detach_locked(e, ep.container));
    rep.repaired.push_back("network endpoint of container " + ep.container.substr(0, 12) +
                           " removed (veth, address, published ports)");
  }
  BERTH_ASSIGN_OR_RETURN(auto nets, list_networks(e));
  BERTH_ASSIGN_OR_RETURN(auto nl, network::Netlink::open());
  for (const auto& n : nets) {
    network::Ipam ipam(ipam_dir(e, n.id), n.subnet, n.gateway, n.ip_range);
    BERTH_ASSIGN_OR_RETURN(int freed, ipam.reconcile([&](const std::string& owner) {
      return kept.count(owner) > 0;
    }));
    if (freed)
      rep.repaired.push_back(std::to_string(freed) + " leaked addresses of network " + n.name + " freed");
    // veths on our bridges that no endpoint names.
    auto ports = nl.links_of_master(n.bridge);
    if (!ports.ok()) continue;
    for (const auto& link : *ports) {
      bool owned = false;
      for (const auto& ep : all_endpoints(e))
        for (const auto& en : ep.nets) owned = owned || en.host_veth == link;
      if (owned) continue;
      BERTH_TRY(nl.delete_link(link));
      rep.repaired.push_back("stray interface " + link + " on " + n.bridge + " removed");
    }
  }
  // Pinned namespaces that no endpoint owns.
  std::string dir = path_join(e.options().runroot, "netns");
  if (DIR* d = ::opendir(dir.c_str())) {
    std::vector<std::string> names;
    while (auto* ent = ::readdir(d))
      if (ent->d_name[0] != '.') names.push_back(ent->d_name);
    ::closedir(d);
    for (const auto& n : names) {
      if (kept.count(n)) continue;
      BERTH_TRY(network::remove_netns(path_join(dir, n)));
      rep.repaired.push_back("network namespace of container " + n.substr(0, 12) + " removed");
    }
  }
  if (!nets.empty()) BERTH_TRY(sync_nft(e));
  return {};
}

namespace {

// `network connect` of a running container: one more interface in its namespace.
Status connect_running(Engine& e, const ContainerRecord& c, const Json& want) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_network());
  auto found = read_endpoint(e, c.id);
  if (!found.ok())
    return failed_precondition("container " + c.name + " has no network namespace of its own to connect");
  Endpoint ep = std::move(*found);
  size_t index = 0;
  for (const auto& n : ep.nets) index = std::max<size_t>(index, std::stoul(n.ifname.substr(3)) + 1);
  BERTH_TRY(plan_network(e, ep, want, index));
  BERTH_TRY(write_endpoint(e, ep));
  auto st = add_interface(ep, ep.nets.back(), false);
  if (!st.ok()) {
    auto n = ep.nets.back();
    if (auto nl = network::Netlink::open(); nl.ok()) (void)nl->delete_link(n.host_veth);
    if (auto rec = find_network(e, n.network_id); rec.ok())
      (void)network::Ipam(ipam_dir(e, rec->id), rec->subnet, rec->gateway).release(*network::parse_ipv4(n.ip));
    ep.nets.pop_back();
    (void)write_endpoint(e, ep);
    return std::move(st).error();
  }
  BERTH_TRY(write_hosts(e, ep, all_endpoints(e)));
  refresh_peers(e, ep);
  return sync_nft(e);
}

// `network disconnect` of a running container: its interface on that network goes away.
Status disconnect_running(Engine& e, const ContainerRecord& c, const std::string& network_id) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_network());
  auto found = read_endpoint(e, c.id);
  if (!found.ok()) return {};
  Endpoint before = *found, ep = std::move(*found);
  auto it = std::find_if(ep.nets.begin(), ep.nets.end(),
                         [&](const auto& n) { return n.network_id == network_id; });
  if (it == ep.nets.end()) return {};
  BERTH_ASSIGN_OR_RETURN(auto nl, network::Netlink::open());
  BERTH_TRY(nl.delete_link(it->host_veth));
  if (auto rec = find_network(e, network_id); rec.ok())
    BERTH_TRY(network::Ipam(ipam_dir(e, rec->id), rec->subnet, rec->gateway).release(*network::parse_ipv4(it->ip)));
  ep.nets.erase(it);
  BERTH_TRY(write_endpoint(e, ep));
  BERTH_TRY(write_hosts(e, ep, all_endpoints(e)));
  refresh_peers(e, before);  // the peers on the network it left forget it
  return sync_nft(e);
}

}  // namespace

Status connect_network(Engine& e, const std::string& network_name, const std::string& container,
                       const std::vector<std::string>& aliases, const std::string& ip) {
  BERTH_ASSIGN_OR_RETURN(auto c, e.find_container(container));
  BERTH_ASSIGN_OR_RETURN(auto rec, find_network(e, network_name));
  Json conf = Json::parse(c.config, nullptr, false);
  if (conf.is_discarded()) return internal_error("corrupt config of container " + c.name);
  Json net = net_config(c);
  if (!is_bridge_mode(mode_of(net)))
    return invalid_argument("container cannot be disconnected from host network or connected to host network");
  for (const auto& n : net["Networks"])
    if (n.value("Name", "") == rec.name)
      return conflict("endpoint with name " + c.name + " already exists in network " + rec.name);
  if (!ip.empty()) BERTH_TRY(network::parse_ipv4(ip));
  net["Networks"].push_back({{"Name", rec.name}, {"NetworkID", rec.id}, {"Aliases", aliases},
                             {"IPAddress", ip}, {"MacAddress", ""}});
  if (c.state == "running") BERTH_TRY(connect_running(e, c, net["Networks"].back()));
  conf["Net"] = net;
  return e.store().db().run("UPDATE containers SET config = ?2 WHERE id = ?1", c.id, conf.dump());
}

Status disconnect_network(Engine& e, const std::string& network_name, const std::string& container) {
  BERTH_ASSIGN_OR_RETURN(auto c, e.find_container(container));
  BERTH_ASSIGN_OR_RETURN(auto rec, find_network(e, network_name));
  Json conf = Json::parse(c.config, nullptr, false);
  if (conf.is_discarded()) return internal_error("corrupt config of container " + c.name);
  Json net = net_config(c);
  Json kept = Json::array();
  bool found = false;
  for (const auto& n : net.value("Networks", Json::array())) {
    if (n.value("Name", "") == rec.name) found = true;
    else kept.push_back(n);
  }
  if (!found)
    return not_found("container " + c.id + " is not connected to network " + rec.name);
  if (c.state == "running") BERTH_TRY(disconnect_running(e, c, rec.id));
  net["Networks"] = kept;
  if (kept.empty()) net["Mode"] = "none";
  conf["Net"] = net;
  if (kept.empty()) conf["NetworkMode"] = "none";
  return e.store().db().run("UPDATE containers SET config = ?2 WHERE id = ?1", c.id, conf.dump());
}

}  // namespace berth::engine
