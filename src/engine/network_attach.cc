// The container side of networking: prepare at create, attach before start, detach after exit.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "engine/network.h"
#include "engine/network_internal.h"
#include "network/etc_files.h"
#include "network/ipam.h"
#include "network/netlink.h"
#include "network/netns.h"
#include "network/sysctl.h"

namespace berth::engine {
using namespace netint;
namespace netint {

Json net_config(const ContainerRecord& c) {
  Json conf = Json::parse(c.config, nullptr, false);
  if (conf.is_discarded() || !conf.contains("Net")) {
    std::string mode = conf.is_discarded() ? "none" : conf.value("NetworkMode", "none");
    return {{"Mode", mode}, {"Networks", Json::array()}};
  }
  return conf["Net"];
}

std::string mode_of(const Json& net) { return net.value("Mode", "none"); }

bool is_bridge_mode(const std::string& mode) {
  return mode != "host" && mode != "none" && mode.rfind("container:", 0) != 0;
}

// Writes `text` into the file in place: it is bind-mounted into the container, and a rename
// would leave the container looking at the old inode.
Status rewrite_in_place(const std::string& path, const std::string& text) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  return write_all(fd.get(), text);
}

// The names other containers know this one by on a network: its name, short id, and aliases.
std::vector<std::string> names_on(const Endpoint& ep, const EndpointNet& n) {
  std::vector<std::string> names = {ep.name, ep.container.substr(0, 12)};
  for (const auto& a : n.aliases)
    if (std::find(names.begin(), names.end(), a) == names.end()) names.push_back(a);
  return names;
}

// /etc/hosts of `ep`: its --add-host lines, the peers on its user networks (the default bridge
// has no name resolution, as in Docker), then itself.
Status write_hosts(Engine& e, const Endpoint& ep, const std::vector<Endpoint>& all) {
  std::vector<network::HostEntry> extra;
  for (const auto& line : ep.extra_hosts) {
    auto kv = split_once(line, '\t');
    extra.push_back({kv.first, {kv.second}});
  }
  for (const auto& n : ep.nets) {
    if (n.name == "bridge") continue;
    for (const auto& peer : all) {
      if (peer.container == ep.container) continue;
      for (const auto& pn : peer.nets)
        if (pn.network_id == n.network_id) extra.push_back({pn.ip, names_on(peer, pn)});
    }
  }
  std::string own_ip = ep.nets.empty() ? "" : ep.nets.front().ip;
  std::string path = path_join(container_bundle(e, ep.container), "hosts");
  if (!path_exists(dirname(path))) return {};
  return rewrite_in_place(path, network::hosts_file(extra, own_ip, {ep.hostname}));
}

// Rewrites the hosts files of every container sharing a user network with `ep`.
void refresh_peers(Engine& e, const Endpoint& ep) {
  auto all = all_endpoints(e);
  std::set<std::string> nets;
  for (const auto& n : ep.nets)
    if (n.name != "bridge") nets.insert(n.network_id);
  for (const auto& peer : all) {
    if (peer.container == ep.container) continue;
    bool shares = std::any_of(peer.nets.begin(), peer.nets.end(),
                              [&](const auto& pn) { return nets.count(pn.network_id) > 0; });
    if (shares) {
      auto st = write_hosts(e, peer, all);
      if (!st.ok()) spdlog::warn("updating the hosts file of {}: {}", peer.name, st.error().message());
    }
  }
}

// A bound socket of one family on ip:port (port 0: the kernel picks); errno on failure. IPv6
// sockets are IPV6_V6ONLY, so [::]:8080 and 0.0.0.0:8080 are two separate reservations. The IPv4
// ones have no SO_REUSEADDR: two berth reservations must conflict.
Result<UniqueFd> bind_one(const std::string& proto, const std::string& ip, uint16_t port, bool v6,
                          int& err) {
  int type = proto == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0));
  if (!fd) {
    err = errno;
    return sys_error("socket");
  }
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    // The proxy's listener accepts connections, which leave TIME_WAIT sockets on the port after
    // it closes them: without SO_REUSEADDR the port could not be published again for a minute.
    // A TCP socket that listens still conflicts with any other bind of the port; not for UDP,
    // where SO_REUSEADDR would let two bind the same port.
    if (type == SOCK_STREAM) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    ::inet_pton(AF_INET6, ip.c_str(), &sa->sin6_addr);
    len = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &sa->sin_addr);
    len = sizeof *sa;
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0 ||
      (v6 && type == SOCK_STREAM && ::listen(fd.get(), 512) < 0)) {
    err = errno;
    return sys_error("bind");
  }
  return fd;
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// Docker's error for a failed bind of `ip:port`.
Error bind_error(const std::string& proto, const std::string& ip, uint16_t port, bool v6, int err) {
  std::string shown = network::format_host_port(ip, port);
  std::string what = "Error starting userland proxy: listen " + proto + (v6 ? "6 " : "4 ") + shown;
  if (err == EADDRINUSE) return conflict(what + ": bind: address already in use");
  if (err == EADDRNOTAVAIL) return invalid_argument(what + ": bind: cannot assign requested address");
  return sys_error("reserving " + shown, err);
}

// A reserved host binding: the socket that holds it (IPv6: the proxy's listener).
struct Reserved {
  network::PortBinding binding;
  UniqueFd fd;
};

// Reserves the host side of `want` (a random port, one port, or any free port of a host range).
// With `dual` (`-p 8080:80` on a host with IPv6) the same port is taken on [::] too: a port
// free on one family and busy on the other is refused (one port) or skipped (random, range).
// A [::] that cannot be bound for want of IPv6 is left out quietly, as Docker does.
Result<std::vector<Reserved>> reserve_binding(network::PortBinding want, bool dual) {
  bool v6 = network::is_ipv6(want.host_ip);
  std::string ip = want.host_ip.empty() ? "0.0.0.0" : want.host_ip;
  uint16_t first = want.host_port, last = want.host_port_end ? want.host_port_end : want.host_port;
  bool random = first == 0;
  uint32_t tries = random ? 16 : static_cast<uint32_t>(last - first) + 1;
  std::optional<Error> failure;
  for (uint32_t i = 0; i < tries; ++i) {
    uint16_t port = random ? 0 : static_cast<uint16_t>(first + i);
    int err = 0;
    auto fd = bind_one(want.proto, ip, port, v6, err);
    if (!fd.ok()) {
      failure = bind_error(want.proto, ip, port, v6, err);
      if (random || err != EADDRINUSE) break;  // the kernel's random pick failed: no retry helps
      continue;
    }
    network::PortBinding b = want;
    b.host_port = bound_port(fd->get());
    b.host_port_end = 0;
    std::vector<Reserved> out;
    out.push_back({b, std::move(*fd)});
    if (!dual) return out;
    auto fd6 = bind_one(want.proto, "::", b.host_port, true, err);
    if (fd6.ok()) {
      network::PortBinding b6 = b;
      b6.host_ip = "::";
      out.push_back({b6, std::move(*fd6)});
      return out;
    }
    if (err != EADDRINUSE) return out;  // no usable IPv6 after all: IPv4 only
    failure = bind_error(want.proto, "::", b.host_port, true, err);
  }
  return failure ? std::move(*failure) : internal_error("no host port to reserve");
}

// Whether two bindings claim the same host port: same protocol and family, and the same
// address or either on every address of that family.
bool same_host_port(const network::PortBinding& a, const network::PortBinding& b) {
  auto any = [](const std::string& ip) { return ip.empty() || ip == "0.0.0.0" || ip == "::"; };
  return a.proto == b.proto && a.host_port == b.host_port &&
         network::is_ipv6(a.host_ip) == network::is_ipv6(b.host_ip) &&
         (a.host_ip == b.host_ip || any(a.host_ip) || any(b.host_ip));
}

// The bindings the container asked for: -p values, and -P's exposed ports on random ports.
Result<std::vector<network::PortBinding>> requested_ports(const Json& net) {
  std::vector<network::PortBinding> out;
  for (const auto& p : net.value("Ports", std::vector<std::string>{})) {
    BERTH_ASSIGN_OR_RETURN(auto bs, network::parse_publish(p));
    out.insert(out.end(), bs.begin(), bs.end());
  }
  if (net.value("PublishAll", false)) {
    for (const auto& x : net.value("Exposed", std::vector<std::string>{})) {
      BERTH_ASSIGN_OR_RETURN(auto ps, network::parse_expose(x));
      for (const auto& [port, proto] : ps) {
        bool published = std::any_of(out.begin(), out.end(), [&](const auto& b) {
          return b.container_port == port && b.proto == proto;
        });
        if (!published) out.push_back({"", 0, 0, port, proto});
      }
    }
  }
  return out;
}

// The endpoint is stale when neither its supervisor nor its container runs any more.
bool stale(const Endpoint& ep, const std::set<std::string>& running) {
  if (running.count(ep.container)) return false;
  return ep.supervisor <= 0 || ::kill(ep.supervisor, 0) != 0;
}

std::set<std::string> running_ids(Engine& e) {
  std::set<std::string> out;
  auto all = e.list_containers();
  if (all.ok())
    for (const auto& c : *all)
      if (c.state == "running") out.insert(c.id);
  return out;
}

void set_spec_netns(oci::RuntimeSpec& spec, const std::string& path) {
  if (!spec.linux) return;
  for (auto& ns : spec.linux->namespaces)
    if (ns.type == "network") ns.path = path;
}

// Creates the veth pair of `n` (its peer inside the namespace) and configures the peer.
Status add_interface(const Endpoint& ep, const EndpointNet& n, bool default_route) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd nsfd, open_file(ep.netns, O_RDONLY));
  BERTH_ASSIGN_OR_RETURN(auto host, network::Netlink::open());
  BERTH_ASSIGN_OR_RETURN(auto mac, network::parse_mac(n.mac));
  BERTH_TRY(host.create_veth(n.host_veth, n.bridge, n.ifname, nsfd.get(), mac));
  // Only a container with published ports can reach itself through one (hairpin).
  if (!ep.ports.empty()) BERTH_TRY(network::enable_hairpin(n.host_veth));
  BERTH_ASSIGN_OR_RETURN(auto scope, network::NetnsScope::enter(ep.netns));
  BERTH_ASSIGN_OR_RETURN(auto inside, network::Netlink::open());
  BERTH_TRY(inside.set_up("lo"));
  BERTH_ASSIGN_OR_RETURN(auto ip, network::parse_ipv4(n.ip));
  BERTH_TRY(inside.add_address(n.ifname, ip, n.prefix));
  BERTH_TRY(inside.set_up(n.ifname));
  if (default_route) {
    BERTH_ASSIGN_OR_RETURN(auto gw, network::parse_ipv4(n.gateway));
    BERTH_TRY(inside.add_default_route(gw, n.ifname));
  }
  return {};
}

// Creates the namespace and the interfaces of `ep` (whose addresses are allocated). The first
// non-internal network gives the default route; an internal one gives none.
Status build_endpoint(Engine& e, Endpoint& ep) {
  BERTH_TRY(network::create_netns(ep.netns));
  bool routed = false;
  for (const auto& n : ep.nets) {
    bool route = !routed && !n.internal;
    BERTH_TRY(add_interface(ep, n, route));
    routed = routed || route;
  }
  return {};
}

// Adds one network to `ep` (allocating its address), without touching the host.
Status plan_network(Engine& e, Endpoint& ep, const Json& want, size_t index) {
  BERTH_ASSIGN_OR_RETURN(auto rec, find_network(e, want.value("Name", "bridge")));
  BERTH_TRY(realize_network(rec));
  network::Ipam ipam(ipam_dir(e, rec.id), rec.subnet, rec.gateway, rec.ip_range);
  std::optional<network::Ipv4> req_ip;
  if (!want.value("IPAddress", "").empty()) {
    BERTH_ASSIGN_OR_RETURN(req_ip, network::parse_ipv4(want.value("IPAddress", "")));
  }
  BERTH_ASSIGN_OR_RETURN(auto ip, ipam.allocate(ep.container, req_ip));
  EndpointNet n;
  n.network_id = rec.id;
  n.name = rec.name;
  n.bridge = rec.bridge;
  n.ip = network::to_string(ip);
  n.prefix = rec.subnet.prefix;
  n.gateway = network::to_string(rec.gateway);
  n.internal = rec.internal;
  n.mac = want.value("MacAddress", "").empty() ? network::to_string(network::mac_for(ip))
                                               : want.value("MacAddress", "");
  // Host-side names: "vb" + 10 hex of the id + the index stays within IFNAMSIZ.
  n.host_veth = "vb" + ep.container.substr(0, 10) + std::to_string(index);
  n.ifname = "eth" + std::to_string(index);
  n.aliases = want.value("Aliases", std::vector<std::string>{});
  ep.nets.push_back(std::move(n));
  return {};
}

Status attach_locked(Engine& e, const ContainerRecord& c, const Json& net, Endpoint& ep,
                     std::shared_ptr<NetworkAttachment>& att) {
  // Endpoints whose container and supervisor are gone hold addresses and ports: free them first.
  auto running = running_ids(e);
  for (const auto& old : all_endpoints(e))
    if (old.container == c.id || stale(old, running)) (void)detach_locked(e, old.container);
  ep.container = c.id;
  ep.name = c.name;
  Json conf = Json::parse(c.config, nullptr, false);
  ep.hostname = conf.is_discarded() ? c.id.substr(0, 12) : conf.value("Hostname", c.id.substr(0, 12));
  ep.netns = netns_path(e, c.id);
  ep.supervisor = ::getpid();
  // Written before anything exists on the host: after a crash, detach finds what to remove.
  BERTH_TRY(write_endpoint(e, ep));
  size_t i = 0;
  for (const auto& want : net.value("Networks", Json::array())) {
    BERTH_TRY(plan_network(e, ep, want, i++));
    BERTH_TRY(write_endpoint(e, ep));  // each allocation is on record before the next
  }
  if (ep.nets.empty()) return internal_error("no network to attach " + c.name + " to");
  for (const auto& h : net.value("ExtraHosts", std::vector<std::string>{})) {
    BERTH_ASSIGN_OR_RETURN(auto entry, network::parse_add_host(h, ep.nets.front().gateway));
    ep.extra_hosts.push_back(entry.ip + "\t" + join(entry.names, " "));
  }
  BERTH_ASSIGN_OR_RETURN(auto ports, requested_ports(net));
  auto others = all_endpoints(e);
  bool dual = !ports.empty() && network::host_has_ipv6();
  std::vector<network::ProxyRoute> routes;
  for (auto& p : ports) {
    bool both = dual && p.host_ip.empty();
    std::vector<network::PortBinding> claims = {p};
    if (both) claims.push_back({"::", p.host_port, p.host_port_end, p.container_port, p.proto});
    for (const auto& claim : claims)
      for (const auto& o : others)
        for (const auto& op : o.ports)
          if (o.container != c.id && claim.host_port != 0 && same_host_port(claim, op))
            return conflict("Bind for " + network::format_host_port(claim.host_ip, claim.host_port) +
                            " failed: port is already allocated");
    auto got = reserve_binding(p, both);
    if (!got.ok())
      return Error(got.error().code(), "driver failed programming external connectivity on endpoint " +
                                           c.name + " (" + c.id + "): " + got.error().message());
    for (auto& r : *got) {
      ep.ports.push_back(r.binding);
      if (!network::is_ipv6(r.binding.host_ip)) {
        att->reservations.push_back(std::move(r.fd));
        continue;
      }
      network::ProxyRoute route;
      route.listener = std::move(r.fd);
      route.udp = r.binding.proto == "udp";
      route.target.sin_family = AF_INET;
      route.target.sin_port = htons(r.binding.container_port);
      BERTH_ASSIGN_OR_RETURN(auto dest, network::parse_ipv4(ep.nets.front().ip));
      route.target.sin_addr.s_addr = htonl(dest.v);
      routes.push_back(std::move(route));
    }
  }
  BERTH_TRY(write_endpoint(e, ep));
  BERTH_TRY(build_endpoint(e, ep));
  BERTH_TRY(write_hosts(e, ep, all_endpoints(e)));
  refresh_peers(e, ep);
  // Only this container's own map elements: none at all for a container without ports.
  BERTH_TRY(publish_nft(e, ep));
  if (!routes.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto proxy, network::UserlandProxy::start(std::move(routes)));
    att->proxy.emplace(std::move(proxy));
  }
  return {};
}

// container:<x>: the other container's namespace, hosts and resolv.conf.
Status join_container(Engine& e, const ContainerRecord& c, const std::string& target,
                      oci::RuntimeSpec& spec) {
  BERTH_ASSIGN_OR_RETURN(auto other, e.find_container(target));
  if (other.state != "running")
    return failed_precondition("cannot join network of a non running container: " + target);
  set_spec_netns(spec, "/proc/" + std::to_string(other.pid) + "/ns/net");
  for (const char* f : {"hosts", "resolv.conf"}) {
    auto text = read_file(path_join(container_bundle(e, other.id), f));
    if (text.ok()) BERTH_TRY(rewrite_in_place(path_join(container_bundle(e, c.id), f), *text));
  }
  return {};
}

}  // namespace netint

Result<Json> prepare_container_network(Engine& e, const RunRequest& req, const std::string& id,
                                       const std::string& bundle, runtime::RunOptions& o,
                                       const std::vector<std::string>& image_exposed) {
  std::string mode = req.network.empty() || req.network == "default" ? "bridge" : req.network;
  Json net = {{"Mode", mode}, {"Networks", Json::array()}, {"Ports", req.publish},
              {"PublishAll", req.publish_all}, {"ExtraHosts", req.add_hosts},
              {"Dns", req.dns}, {"DnsSearch", req.dns_search}, {"DnsOptions", req.dns_options}};
  std::vector<std::string> exposed = image_exposed;
  for (const auto& x : req.expose) {
    BERTH_TRY(network::parse_expose(x));
    exposed.push_back(x);
  }
  net["Exposed"] = exposed;
  for (const auto& p : req.publish) BERTH_TRY(network::parse_publish(p));
  for (const auto& h : req.add_hosts) BERTH_TRY(network::parse_add_host(h, "0.0.0.0"));
  if (!req.mac_address.empty()) BERTH_TRY(network::parse_mac(req.mac_address));
  if (!req.ip.empty()) BERTH_TRY(network::parse_ipv4(req.ip));
  for (const auto& d : req.dns)
    if (d.find(':') == std::string::npos) BERTH_TRY(network::parse_ipv4(d));
  bool host_net = false;
  std::string hosts_own_ip;
  if (mode == "host") {
    o.network = runtime::NetworkMode::kHost;
    host_net = true;
    if (o.hostname.empty()) {
      char h[256] = {0};
      ::gethostname(h, sizeof h - 1);
      o.hostname = h;
    }
  } else if (mode == "none") {
    o.network = runtime::NetworkMode::kNone;
  } else if (mode.rfind("container:", 0) == 0) {
    if (!o.hostname.empty()) return invalid_argument("conflicting options: hostname and the network mode");
    if (!req.publish.empty() || req.publish_all)
      return invalid_argument("conflicting options: port publishing and the container type network mode");
    BERTH_ASSIGN_OR_RETURN(auto other, e.find_container(mode.substr(10)));
    net["Mode"] = "container:" + other.id;
    o.network = runtime::NetworkMode::kJoin;
    o.netns_path = netns_path(e, other.id);  // the real path is set at start (see attach)
  } else {
    BERTH_ASSIGN_OR_RETURN(auto rec, find_network(e, mode));
    if (rec.name == "bridge" && !req.ip.empty())
      return invalid_argument("user specified IP address is supported on user defined networks only");
    if (rec.name == "bridge" && !req.aliases.empty())
      return invalid_argument("network-scoped alias is supported only for containers in user defined networks");
    net["Mode"] = rec.name;
    net["Networks"].push_back({{"Name", rec.name}, {"NetworkID", rec.id}, {"Aliases", req.aliases},
                               {"IPAddress", req.ip}, {"MacAddress", req.mac_address}});
    o.network = runtime::NetworkMode::kJoin;
    o.netns_path = netns_path(e, id);
  }
  if (!is_bridge_mode(mode) && (!req.ip.empty() || !req.mac_address.empty() || !req.aliases.empty()))
    return invalid_argument("conflicting options: --ip, --mac-address and --network-alias need a bridge network");
  if (o.hostname.empty()) o.hostname = id.substr(0, 12);
  std::vector<network::HostEntry> extra;
  for (const auto& h : req.add_hosts) {
    auto entry = network::parse_add_host(h, "");
    if (entry.ok()) extra.push_back(*entry);  // host-gateway is known at start
  }
  std::string hosts = network::hosts_file(extra, hosts_own_ip, {o.hostname});
  if (host_net) {
    // The host's network: the host's /etc/hosts (as Docker copies it), plus --add-host.
    auto host_hosts = read_file("/etc/hosts");
    hosts = host_hosts.ok() ? *host_hosts : hosts;
    if (!hosts.empty() && hosts.back() != '\n') hosts += "\n";
    for (const auto& x : extra) hosts += x.ip + "\t" + join(x.names, " ") + "\n";
  }
  // Unsynced: create_container syncs the whole bundle before its record commits.
  BERTH_TRY(write_file_unsynced(path_join(bundle, "hosts"), hosts));
  auto host_resolv = read_file("/etc/resolv.conf");
  network::DnsOptions dns{req.dns, req.dns_search, req.dns_options};
  BERTH_TRY(write_file_unsynced(path_join(bundle, "resolv.conf"),
                              network::container_resolv_conf(host_resolv.ok() ? *host_resolv : "",
                                                             dns, host_net)));
  return net;
}

Result<std::shared_ptr<NetworkAttachment>> attach_container_network(Engine& e,
                                                                    const ContainerRecord& c,
                                                                    oci::RuntimeSpec& spec) {
  Json net = net_config(c);
  std::string mode = mode_of(net);
  if (mode.rfind("container:", 0) == 0) {
    BERTH_TRY(join_container(e, c, mode.substr(10), spec));
    return std::shared_ptr<NetworkAttachment>();
  }
  if (!is_bridge_mode(mode)) return std::shared_ptr<NetworkAttachment>();
  if (net.value("Networks", Json::array()).empty()) {
    set_spec_netns(spec, "");  // disconnected from every network: a namespace with only lo
    return std::shared_ptr<NetworkAttachment>();
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_network());
  auto att = std::make_shared<NetworkAttachment>();
  Endpoint ep;
  auto st = attach_locked(e, c, net, ep, att);
  if (!st.ok()) {
    (void)detach_locked(e, c.id);
    return std::move(st).error();
  }
  set_spec_netns(spec, ep.netns);
  return att;
}

namespace netint {

Status detach_locked(Engine& e, const std::string& cid) {
  auto ep = read_endpoint(e, cid);
  std::string ns = netns_path(e, cid);
  if (ep.ok()) {
    BERTH_ASSIGN_OR_RETURN(auto nl, network::Netlink::open());
    for (const auto& n : ep->nets) {
      BERTH_TRY(nl.delete_link(n.host_veth));
      auto rec = find_network(e, n.network_id);
      auto ip = network::parse_ipv4(n.ip);
      if (rec.ok() && ip.ok())
        BERTH_TRY(network::Ipam(ipam_dir(e, rec->id), rec->subnet, rec->gateway).release(*ip));
    }
    if (!ep->netns.empty()) ns = ep->netns;
  }
  BERTH_TRY(network::remove_netns(ns));
  if (!ep.ok()) return {};
  if (::unlink(endpoint_path(e, cid).c_str()) < 0 && errno != ENOENT)
    return sys_error("removing the endpoint of " + cid);
  refresh_peers(e, *ep);
  return unpublish_nft(e, *ep);
}

}  // namespace netint

Status detach_container_network(Engine& e, const std::string& cid) {
  if (!path_exists(endpoint_path(e, cid)) && !network::is_netns(netns_path(e, cid))) return {};
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_network());
  return detach_locked(e, cid);
}

}  // namespace berth::engine
