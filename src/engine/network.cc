// Networks: records under <root>/networks, `network create/ls/inspect/rm/prune/connect/
// disconnect`, the default network, and the nft table derived from all of it.
#include "engine/network.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>

#include <algorithm>
#include <regex>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "engine/network_internal.h"
#include "format/units.h"
#include "network/netlink.h"
#include "network/nft.h"
#include "network/sysctl.h"

namespace berth::engine {
namespace netint {
namespace {

std::string random_hex(size_t n) {
  std::string s;
  static const char* hex = "0123456789abcdef";
  while (s.size() < n) {
    unsigned char b[32];
    if (::getrandom(b, sizeof b, 0) != sizeof b) continue;
    for (unsigned char c : b) {
      s += hex[c >> 4];
      s += hex[c & 15];
    }
  }
  return s.substr(0, n);
}

// FNV-1a: a stable short tag for a root path (std::hash is not stable across builds).
std::string root_tag(const std::string& root) {
  uint64_t h = stable_hash64(root);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf).substr(0, 6);
}

bool is_default_root(Engine& e) { return e.options().root == "/var/lib/berth"; }

Json record_json(const NetworkRecord& r) {
  Json j = {{"Name", r.name},
            {"Id", r.id},
            {"Created", r.created},
            {"Driver", r.driver},
            {"Bridge", r.bridge},
            {"Subnet", r.subnet.to_string()},
            {"Gateway", network::to_string(r.gateway)},
            {"IPRange", r.ip_range ? r.ip_range->to_string() : ""},
            {"Internal", r.internal},
            {"Labels", r.labels},
            {"Options", r.options}};
  return j;
}

// Subnets Docker would pick from, in order: 172.18-31.0.0/16, then 192.168.x.0/20.
std::vector<network::Subnet> candidate_subnets() {
  std::vector<network::Subnet> out;
  for (uint32_t b = 18; b <= 31; ++b) out.push_back({{(172u << 24) | (b << 16)}, 16});
  for (uint32_t c = 0; c < 256; c += 16) out.push_back({{(192u << 24) | (168u << 16) | (c << 8)}, 20});
  return out;
}

Result<network::Subnet> pick_subnet(Engine& e) {
  std::vector<network::Subnet> used;
  BERTH_ASSIGN_OR_RETURN(auto nl, network::Netlink::open());
  BERTH_ASSIGN_OR_RETURN(auto routes, nl.ipv4_routes());
  for (const auto& r : routes)
    if (r.prefix > 0) used.push_back(r);  // the default route overlaps everything: not a conflict
  BERTH_ASSIGN_OR_RETURN(auto nets, list_networks(e));
  for (const auto& n : nets) used.push_back(n.subnet);
  for (const auto& c : candidate_subnets()) {
    bool free = std::none_of(used.begin(), used.end(), [&](const auto& u) { return u.overlaps(c); });
    if (free) return c;
  }
  return unavailable(
      "could not find an available, non-overlapping IPv4 address pool among the defaults to "
      "assign to the network");
}

}  // namespace

std::string networks_dir(Engine& e) { return path_join(e.options().root, "networks"); }
std::string endpoints_dir(Engine& e) { return path_join(networks_dir(e), "endpoints"); }
std::string endpoint_path(Engine& e, const std::string& cid) {
  return path_join(endpoints_dir(e), cid + ".json");
}
std::string ipam_dir(Engine& e, const std::string& id) {
  return path_join(path_join(networks_dir(e), "ipam"), id);
}
std::string netns_path(Engine& e, const std::string& cid) {
  return path_join(path_join(e.options().runroot, "netns"), cid);
}
std::string container_bundle(Engine& e, const std::string& cid) {
  return path_join(path_join(e.options().root, "containers"), cid);
}
std::string default_bridge_name(Engine& e) {
  return is_default_root(e) ? "berth0" : "berth-" + root_tag(e.options().root);
}
std::string nft_table(Engine& e) {
  return is_default_root(e) ? "berth" : "berth-" + root_tag(e.options().root);
}

Result<UniqueFd> lock_network() {
  std::string path = "/run/berth-network.lock";
  auto fd = open_file(path, O_RDWR | O_CREAT, 0600);
  if (!fd.ok()) return std::move(fd).error().context("opening the network lock");
  while (::flock(fd->get(), LOCK_EX) < 0)
    if (errno != EINTR) return sys_error("locking " + path);
  return fd;
}

Result<NetworkRecord> read_record(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(auto text, read_file(path));
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return internal_error("corrupt network record " + path);
  NetworkRecord r;
  r.name = j.value("Name", "");
  r.id = j.value("Id", "");
  r.created = j.value("Created", int64_t{0});
  r.driver = j.value("Driver", "bridge");
  r.bridge = j.value("Bridge", "");
  BERTH_ASSIGN_OR_RETURN(r.subnet, network::parse_subnet(j.value("Subnet", "")));
  BERTH_ASSIGN_OR_RETURN(r.gateway, network::parse_ipv4(j.value("Gateway", "")));
  if (!j.value("IPRange", "").empty()) {
    BERTH_ASSIGN_OR_RETURN(r.ip_range, network::parse_subnet(j.value("IPRange", "")));
  }
  r.internal = j.value("Internal", false);
  if (j.contains("Labels")) r.labels = j["Labels"].get<std::map<std::string, std::string>>();
  if (j.contains("Options")) r.options = j["Options"].get<std::map<std::string, std::string>>();
  return r;
}

Status write_record(Engine& e, const NetworkRecord& r) {
  BERTH_TRY(mkdir_all(networks_dir(e), 0700));
  return atomic_write_file(path_join(networks_dir(e), r.id + ".json"), record_json(r).dump(2), 0600);
}

Status realize_network(const NetworkRecord& r) {
  BERTH_ASSIGN_OR_RETURN(auto nl, network::Netlink::open());
  BERTH_TRY(nl.ensure_bridge(r.bridge));
  BERTH_TRY(nl.add_address(r.bridge, r.gateway, r.subnet.prefix));
  BERTH_TRY(nl.set_up(r.bridge));
  BERTH_TRY(network::enable_route_localnet(r.bridge));
  return network::enable_ip_forward();
}

Result<NetworkRecord> ensure_default_network(Engine& e) {
  BERTH_ASSIGN_OR_RETURN(auto nets, list_networks(e));
  for (const auto& n : nets)
    if (n.name == "bridge") return n;
  NetworkRecord r;
  r.id = random_hex(64);
  r.name = "bridge";
  r.bridge = default_bridge_name(e);
  r.created = image::now_nanos();
  BERTH_ASSIGN_OR_RETURN(r.subnet, pick_subnet(e));
  r.gateway = network::Ipv4{r.subnet.base.v + 1};
  r.options = {{"com.docker.network.bridge.default_bridge", "true"},
               {"com.docker.network.bridge.enable_ip_masquerade", "true"},
               {"com.docker.network.bridge.name", r.bridge},
               {"berth.nftables.table", nft_table(e)}};
  BERTH_TRY(write_record(e, r));
  // The bridge (and so its route) exists from now on: another root choosing a subnet under the
  // same lock sees this one taken.
  BERTH_TRY(realize_network(r));
  return r;
}

Result<Endpoint> read_endpoint(Engine& e, const std::string& cid) {
  BERTH_ASSIGN_OR_RETURN(auto text, read_file(endpoint_path(e, cid)));
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return internal_error("corrupt endpoint record of " + cid);
  Endpoint ep;
  ep.container = j.value("Container", cid);
  ep.name = j.value("Name", "");
  ep.hostname = j.value("Hostname", "");
  ep.netns = j.value("Netns", "");
  ep.supervisor = j.value("Supervisor", 0);
  for (const auto& n : j.value("Networks", Json::array())) {
    EndpointNet en;
    en.network_id = n.value("NetworkID", "");
    en.name = n.value("Name", "");
    en.bridge = n.value("Bridge", "");
    en.ip = n.value("IPAddress", "");
    en.gateway = n.value("Gateway", "");
    en.mac = n.value("MacAddress", "");
    en.host_veth = n.value("HostVeth", "");
    en.ifname = n.value("Interface", "");
    en.prefix = n.value("IPPrefixLen", 0);
    en.internal = n.value("Internal", false);
    en.aliases = n.value("Aliases", std::vector<std::string>{});
    ep.nets.push_back(std::move(en));
  }
  for (const auto& p : j.value("Ports", Json::array()))
    ep.ports.push_back({p.value("HostIp", ""), static_cast<uint16_t>(p.value("HostPort", 0)), 0,
                        static_cast<uint16_t>(p.value("ContainerPort", 0)), p.value("Proto", "tcp")});
  ep.extra_hosts = j.value("ExtraHosts", std::vector<std::string>{});
  return ep;
}

Status write_endpoint(Engine& e, const Endpoint& ep) {
  Json nets = Json::array();
  for (const auto& n : ep.nets)
    nets.push_back({{"NetworkID", n.network_id}, {"Name", n.name}, {"Bridge", n.bridge},
                    {"IPAddress", n.ip}, {"IPPrefixLen", n.prefix}, {"Gateway", n.gateway},
                    {"MacAddress", n.mac}, {"HostVeth", n.host_veth}, {"Interface", n.ifname},
                    {"Internal", n.internal}, {"Aliases", n.aliases}});
  Json ports = Json::array();
  for (const auto& p : ep.ports)
    ports.push_back({{"HostIp", p.host_ip}, {"HostPort", p.host_port},
                     {"ContainerPort", p.container_port}, {"Proto", p.proto}});
  Json j = {{"Container", ep.container}, {"Name", ep.name},       {"Hostname", ep.hostname},
            {"Netns", ep.netns},         {"Supervisor", ep.supervisor}, {"Networks", nets},
            {"Ports", ports},            {"ExtraHosts", ep.extra_hosts}};
  BERTH_TRY(mkdir_all(endpoints_dir(e), 0700));
  return atomic_write_file(endpoint_path(e, ep.container), j.dump(2), 0600);
}

std::vector<Endpoint> all_endpoints(Engine& e) {
  std::vector<Endpoint> out;
  DIR* d = ::opendir(endpoints_dir(e).c_str());
  if (!d) return out;
  while (auto* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (n.size() < 6 || n.substr(n.size() - 5) != ".json") continue;
    auto ep = read_endpoint(e, n.substr(0, n.size() - 5));
    if (ep.ok()) out.push_back(std::move(*ep));
  }
  ::closedir(d);
  return out;
}

namespace {

std::string nft_handle_path(Engine& e) { return path_join(networks_dir(e), "nft-handle"); }

}  // namespace

// The IPv4 published ports of `ep` as map elements (IPv6 ones go through the userland proxy).
std::vector<network::NftPort> nft_ports(const Endpoint& ep) {
  std::vector<network::NftPort> out;
  if (ep.nets.empty()) return out;
  auto dest = network::parse_ipv4(ep.nets.front().ip);
  if (!dest.ok()) return out;
  for (const auto& p : ep.ports)
    if (!network::is_ipv6(p.host_ip))
      out.push_back({p.host_ip, p.host_port, p.proto, *dest, p.container_port});
  return out;
}

Status sync_nft(Engine& e) {
  network::NftPlan plan;
  plan.table = nft_table(e);
  BERTH_ASSIGN_OR_RETURN(auto nets, list_networks(e));
  for (const auto& n : nets) plan.networks.push_back({n.bridge, n.subnet, n.internal});
  for (const auto& ep : all_endpoints(e)) {
    auto ports = nft_ports(ep);
    plan.ports.insert(plan.ports.end(), ports.begin(), ports.end());
  }
  BERTH_TRY(network::nft_run(network::replace_script(plan)));
  // The new table's handle: ensure_nft compares with it to know the table is still ours.
  BERTH_ASSIGN_OR_RETURN(auto handle, network::table_handle(plan.table));
  if (!handle) return internal_error("nftables: table " + plan.table + " is missing after it was written");
  BERTH_TRY(mkdir_all(networks_dir(e), 0700));
  return atomic_write_file(nft_handle_path(e), std::to_string(*handle) + "\n", 0600);
}

Status ensure_nft(Engine& e) {
  auto stored = read_file(nft_handle_path(e));
  BERTH_ASSIGN_OR_RETURN(auto handle, network::table_handle(nft_table(e)));
  if (stored.ok() && handle && std::string(trim(*stored)) == std::to_string(*handle)) return {};
  if (stored.ok()) spdlog::debug("nftables table {} was lost or replaced: rebuilding it", nft_table(e));
  return sync_nft(e);
}

Status publish_nft(Engine& e, const Endpoint& ep) {
  BERTH_TRY(ensure_nft(e));
  auto script = network::add_ports_script(nft_table(e), nft_ports(ep));
  if (script.empty()) return {};
  if (network::nft_run(script).ok()) return {};
  return sync_nft(e);  // whatever went wrong, the records say what the table must hold
}

Status unpublish_nft(Engine& e, const Endpoint& ep) {
  auto script = network::delete_ports_script(nft_table(e), nft_ports(ep));
  if (script.empty()) return {};
  if (network::nft_run(script).ok()) return {};
  return sync_nft(e);  // an element or the table was gone: rebuild from the records
}

}  // namespace netint

using namespace netint;

Result<std::vector<NetworkRecord>> list_networks(Engine& e) {
  std::vector<NetworkRecord> out;
  DIR* d = ::opendir(networks_dir(e).c_str());
  if (!d) return out;
  while (auto* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (n.size() < 6 || n.substr(n.size() - 5) != ".json") continue;
    auto r = read_record(path_join(networks_dir(e), n));
    if (r.ok()) out.push_back(std::move(*r));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<NetworkRecord> find_network(Engine& e, const std::string& name_or_id) {
  BERTH_ASSIGN_OR_RETURN(auto nets, list_networks(e));
  for (const auto& n : nets)
    if (n.name == name_or_id || n.id == name_or_id) return n;
  if (name_or_id == "bridge") {
    BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_network());
    return ensure_default_network(e);
  }
  std::vector<const NetworkRecord*> hits;
  for (const auto& n : nets)
    if (!name_or_id.empty() && n.id.rfind(name_or_id, 0) == 0) hits.push_back(&n);
  if (hits.size() == 1) return *hits.front();
  return not_found("network " + name_or_id + " not found");
}

Result<NetworkRecord> create_network(Engine& e, const NetworkCreateRequest& req) {
  static const std::regex kName("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
  if (!std::regex_match(req.name, kName))
    return invalid_argument("invalid network name \"" + req.name + "\"");
  if (req.driver != "bridge") return not_found("plugin \"" + req.driver + "\" not found");
  if (is_builtin_network(req.name))
    return conflict("network with name " + req.name + " already exists");
  NetworkRecord r;
  r.name = req.name;
  r.id = random_hex(64);
  r.created = image::now_nanos();
  r.internal = req.internal;
  for (const auto& l : req.labels) {
    auto kv = split_once(l, '=');
    r.labels[kv.first] = kv.second;
  }
  for (const auto& o : req.options) {
    auto kv = split_once(o, '=');
    r.options[kv.first] = kv.second;
  }
  r.bridge = r.options.count("com.docker.network.bridge.name")
                 ? r.options["com.docker.network.bridge.name"]
                 : "br-" + r.id.substr(0, 12);
  if (r.bridge.size() > 15) return invalid_argument("bridge name " + r.bridge + " is longer than 15 characters");
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_network());
  BERTH_ASSIGN_OR_RETURN(auto nets, list_networks(e));
  for (const auto& n : nets) {
    if (n.name == req.name) return conflict("network with name " + req.name + " already exists");
    if (n.bridge == r.bridge) return conflict("bridge name " + r.bridge + " is in use by network " + n.name);
  }
  if (!req.subnet.empty()) {
    BERTH_ASSIGN_OR_RETURN(r.subnet, network::parse_subnet(req.subnet));
    for (const auto& n : nets)
      if (n.subnet.overlaps(r.subnet))
        return conflict("Pool overlaps with other one on this address space");
  } else {
    if (!req.gateway.empty() || !req.ip_range.empty())
      return invalid_argument("--gateway and --ip-range need --subnet");
    BERTH_ASSIGN_OR_RETURN(r.subnet, pick_subnet(e));
  }
  r.gateway = network::Ipv4{r.subnet.base.v + 1};
  if (!req.gateway.empty()) {
    BERTH_ASSIGN_OR_RETURN(r.gateway, network::parse_ipv4(req.gateway));
    if (!r.subnet.contains(r.gateway)) return invalid_argument("no matching subnet for gateway " + req.gateway);
  }
  if (!req.ip_range.empty()) {
    BERTH_ASSIGN_OR_RETURN(r.ip_range, network::parse_subnet(req.ip_range));
    if (!r.subnet.contains(r.ip_range->base) || r.ip_range->prefix < r.subnet.prefix)
      return invalid_argument("no matching subnet for range " + req.ip_range);
  }
  r.options["berth.nftables.table"] = nft_table(e);
  BERTH_TRY(write_record(e, r));
  auto st = realize_network(r);
  if (st.ok()) st = sync_nft(e);
  if (!st.ok()) {
    (void)::unlink(path_join(networks_dir(e), r.id + ".json").c_str());
    if (auto nl = network::Netlink::open(); nl.ok()) (void)nl->delete_link(r.bridge);
    return std::move(st).error();
  }
  return r;
}

Result<Json> inspect_network(Engine& e, const std::string& name_or_id) {
  BERTH_ASSIGN_OR_RETURN(auto r, find_network(e, name_or_id));
  Json cfg = {{"Subnet", r.subnet.to_string()}, {"Gateway", network::to_string(r.gateway)}};
  if (r.ip_range) cfg["IPRange"] = r.ip_range->to_string();
  Json containers = Json::object();
  for (const auto& ep : all_endpoints(e))
    for (const auto& n : ep.nets)
      if (n.network_id == r.id)
        containers[ep.container] = {{"Name", ep.name},
                                    {"EndpointID", n.host_veth},
                                    {"MacAddress", n.mac},
                                    {"IPv4Address", n.ip + "/" + std::to_string(n.prefix)},
                                    {"IPv6Address", ""}};
  Json j = {{"Name", r.name},
            {"Id", r.id},
            {"Created", format::format_rfc3339_nano(r.created)},
            {"Scope", "local"},
            {"Driver", r.driver},
            {"EnableIPv6", false},
            {"IPAM", {{"Driver", "default"}, {"Options", Json::object()}, {"Config", Json::array({cfg})}}},
            {"Internal", r.internal},
            {"Attachable", false},
            {"Ingress", false},
            {"ConfigFrom", {{"Network", ""}}},
            {"ConfigOnly", false},
            {"Containers", containers},
            {"Options", r.options},
            {"Labels", r.labels}};
  return j;
}

namespace {

// The containers with an active endpoint on the network (Docker refuses to remove those).
Result<std::vector<std::string>> users_of(Engine& e, const NetworkRecord& r) {
  std::vector<std::string> out;
  for (const auto& ep : all_endpoints(e))
    for (const auto& n : ep.nets)
      if (n.network_id == r.id) out.push_back(ep.container);
  return out;
}

Status remove_locked(Engine& e, const NetworkRecord& r) {
  BERTH_ASSIGN_OR_RETURN(auto nl, network::Netlink::open());
  BERTH_TRY(nl.delete_link(r.bridge));
  BERTH_TRY(remove_all(ipam_dir(e, r.id)));
  if (::unlink(path_join(networks_dir(e), r.id + ".json").c_str()) < 0 && errno != ENOENT)
    return sys_error("removing network " + r.name);
  return sync_nft(e);
}

}  // namespace

Status remove_network(Engine& e, const std::string& name_or_id) {
  if (is_builtin_network(name_or_id))
    return permission_denied(name_or_id + " is a pre-defined network and cannot be removed");
  BERTH_ASSIGN_OR_RETURN(auto r, find_network(e, name_or_id));
  if (r.name == "bridge")
    return permission_denied("bridge is a pre-defined network and cannot be removed");
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_network());
  BERTH_ASSIGN_OR_RETURN(auto users, users_of(e, r));
  if (!users.empty())
    return conflict("error while removing network: network " + r.name + " id " + r.id +
                    " has active endpoints");
  return remove_locked(e, r);
}

Result<std::vector<std::string>> prune_networks(Engine& e) {
  BERTH_ASSIGN_OR_RETURN(auto nets, list_networks(e));
  BERTH_ASSIGN_OR_RETURN(auto containers, e.list_containers());
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_network());
  std::vector<std::string> out;
  for (const auto& r : nets) {
    if (r.name == "bridge") continue;
    BERTH_ASSIGN_OR_RETURN(auto users, users_of(e, r));
    // A stopped container configured with it keeps it too, as Docker's prune does.
    bool configured = std::any_of(containers.begin(), containers.end(), [&](const auto& c) {
      Json conf = Json::parse(c.config, nullptr, false);
      if (conf.is_discarded() || !conf.contains("Net")) return false;
      for (const auto& n : conf["Net"].value("Networks", Json::array()))
        if (n.value("Name", "") == r.name || n.value("Name", "") == r.id) return true;
      return false;
    });
    if (!users.empty() || configured) continue;
    BERTH_TRY(remove_locked(e, r));
    out.push_back(r.name);
  }
  return out;
}

}  // namespace berth::engine
