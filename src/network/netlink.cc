#include "network/netlink.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

namespace berth::network {
namespace {

Error nl_error(const std::string& what, int err) {
  int e = err < 0 ? -err : err;
  Code code = e == NLE_OBJ_NOTFOUND || e == NLE_NODEV ? Code::kNotFound
              : e == NLE_EXIST                         ? Code::kAlreadyExists
              : e == NLE_PERM                          ? Code::kPermissionDenied
                                                       : Code::kInternal;
  return Error(code, what + ": " + nl_geterror(e));
}

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p) F(p);
  }
};
using Link = std::unique_ptr<rtnl_link, Deleter<rtnl_link, rtnl_link_put>>;
using Addr = std::unique_ptr<nl_addr, Deleter<nl_addr, nl_addr_put>>;
using RAddr = std::unique_ptr<rtnl_addr, Deleter<rtnl_addr, rtnl_addr_put>>;
using Route = std::unique_ptr<rtnl_route, Deleter<rtnl_route, rtnl_route_put>>;
using Cache = std::unique_ptr<nl_cache, Deleter<nl_cache, nl_cache_free>>;

Addr ipv4_addr(Ipv4 a, int prefix) {
  uint32_t be = htonl(a.v);
  Addr addr(nl_addr_build(AF_INET, &be, 4));
  if (addr) nl_addr_set_prefixlen(addr.get(), prefix);
  return addr;
}

Addr mac_addr(const Mac& m) { return Addr(nl_addr_build(AF_LLC, m.b, 6)); }

}  // namespace

void Netlink::free_sock(nl_sock* s) {
  if (s) nl_socket_free(s);
}

Netlink::~Netlink() = default;

Result<Netlink> Netlink::open() {
  nl_sock* s = nl_socket_alloc();
  if (!s) return internal_error("netlink: cannot allocate a socket");
  Netlink nl(s);
  if (int err = nl_connect(s, NETLINK_ROUTE); err < 0) return nl_error("netlink: connect", err);
  return nl;
}

Result<int> Netlink::ifindex(const std::string& name) {
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw);
  Link link(raw);
  if (err < 0) return nl_error("link " + name, err);
  return rtnl_link_get_ifindex(link.get());
}

Status Netlink::ensure_bridge(const std::string& name) {
  if (exists(name)) return {};
  Link link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  if (int err = rtnl_link_set_type(link.get(), "bridge"); err < 0)
    return nl_error("creating bridge " + name, err);
  int err = rtnl_link_add(sock_.get(), link.get(), NLM_F_CREATE);
  if (err < 0 && err != -NLE_EXIST) return nl_error("creating bridge " + name, err);
  return {};
}

Status Netlink::add_address(const std::string& link, Ipv4 a, int prefix) {
  BERTH_ASSIGN_OR_RETURN(int idx, ifindex(link));
  RAddr ra(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(ra.get(), idx);
  Addr local = ipv4_addr(a, prefix);
  rtnl_addr_set_local(ra.get(), local.get());
  int err = rtnl_addr_add(sock_.get(), ra.get(), 0);
  if (err < 0 && err != -NLE_EXIST)
    return nl_error("adding " + to_string(a) + "/" + std::to_string(prefix) + " to " + link, err);
  return {};
}

Status Netlink::set_up(const std::string& name) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw); err < 0)
    return nl_error("link " + name, err);
  Link orig(raw);
  Link change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock_.get(), orig.get(), change.get(), 0); err < 0)
    return nl_error("setting " + name + " up", err);
  return {};
}

Status Netlink::set_mac(const std::string& name, const Mac& mac) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw); err < 0)
    return nl_error("link " + name, err);
  Link orig(raw);
  Link change(rtnl_link_alloc());
  Addr a = mac_addr(mac);
  rtnl_link_set_addr(change.get(), a.get());
  if (int err = rtnl_link_change(sock_.get(), orig.get(), change.get(), 0); err < 0)
    return nl_error("setting the MAC address of " + name, err);
  return {};
}

Status Netlink::delete_link(const std::string& name) {
  Link link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(sock_.get(), link.get());
  if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
    return nl_error("deleting link " + name, err);
  return {};
}

Status Netlink::create_veth(const std::string& host, const std::string& master,
                            const std::string& peer, int peer_netns_fd, const Mac& peer_mac) {
  BERTH_ASSIGN_OR_RETURN(int master_idx, ifindex(master));
  Link link(rtnl_link_veth_alloc());
  if (!link) return internal_error("netlink: cannot allocate a veth");
  rtnl_link_set_name(link.get(), host.c_str());
  rtnl_link_set_master(link.get(), master_idx);
  rtnl_link_set_flags(link.get(), IFF_UP);
  rtnl_link* p = rtnl_link_veth_get_peer(link.get());  // a reference we must put
  rtnl_link_set_name(p, peer.c_str());
  rtnl_link_set_ns_fd(p, peer_netns_fd);
  Addr mac = mac_addr(peer_mac);
  rtnl_link_set_addr(p, mac.get());
  rtnl_link_put(p);
  if (int err = rtnl_link_add(sock_.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return nl_error("creating veth pair " + host, err);
  return {};
}

Status Netlink::add_default_route(Ipv4 gw, const std::string& link) {
  BERTH_ASSIGN_OR_RETURN(int idx, ifindex(link));
  Route r(rtnl_route_alloc());
  rtnl_route_set_family(r.get(), AF_INET);
  Addr dst = ipv4_addr(Ipv4{0}, 0);
  rtnl_route_set_dst(r.get(), dst.get());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();  // owned by the route once added to it
  Addr g = ipv4_addr(gw, 32);
  rtnl_route_nh_set_gateway(nh, g.get());
  rtnl_route_nh_set_ifindex(nh, idx);
  rtnl_route_add_nexthop(r.get(), nh);
  int err = rtnl_route_add(sock_.get(), r.get(), NLM_F_CREATE);
  if (err < 0 && err != -NLE_EXIST) return nl_error("adding the default route via " + to_string(gw), err);
  return {};
}

Result<std::vector<std::string>> Netlink::link_names() {
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sock_.get(), AF_UNSPEC, &raw); err < 0)
    return nl_error("listing links", err);
  Cache cache(raw);
  std::vector<std::string> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o))
    out.push_back(rtnl_link_get_name(reinterpret_cast<rtnl_link*>(o)));
  return out;
}

Result<std::vector<std::string>> Netlink::links_of_master(const std::string& master) {
  auto idx = ifindex(master);
  if (!idx.ok()) return std::vector<std::string>{};
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sock_.get(), AF_UNSPEC, &raw); err < 0)
    return nl_error("listing links", err);
  Cache cache(raw);
  std::vector<std::string> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    if (rtnl_link_get_master(l) == *idx) out.push_back(rtnl_link_get_name(l));
  }
  return out;
}

Result<std::vector<Subnet>> Netlink::ipv4_routes() {
  nl_cache* raw = nullptr;
  if (int err = rtnl_route_alloc_cache(sock_.get(), AF_INET, 0, &raw); err < 0)
    return nl_error("listing routes", err);
  Cache cache(raw);
  std::vector<Subnet> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    nl_addr* dst = rtnl_route_get_dst(r);
    if (!dst || nl_addr_get_family(dst) != AF_INET) continue;
    int prefix = static_cast<int>(nl_addr_get_prefixlen(dst));
    uint32_t be = 0;
    if (nl_addr_get_len(dst) == 4) std::memcpy(&be, nl_addr_get_binary_addr(dst), 4);
    Subnet s{Ipv4{ntohl(be)}, prefix};
    s.base = s.network();
    // Local and broadcast routes of the host's own addresses say nothing about subnets in use.
    if (rtnl_route_get_type(r) != RTN_UNICAST) continue;
    out.push_back(s);
  }
  return out;
}

}  // namespace berth::network
