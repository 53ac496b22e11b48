// Links, addresses and routes through rtnetlink (libnl-route-3), never by running `ip`.
//
// A Netlink object is one NETLINK_ROUTE socket, which the kernel binds to the network namespace
// of the thread that opened it: to configure a container's namespace, enter it (NetnsScope) and
// open a Netlink there.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "network/addr.h"

struct nl_sock;

namespace berth::network {

class Netlink {
 public:
  static Result<Netlink> open();
  Netlink(Netlink&&) noexcept = default;
  Netlink& operator=(Netlink&&) noexcept = default;
  ~Netlink();

  // kNotFound when there is no such link.
  Result<int> ifindex(const std::string& name);
  bool exists(const std::string& name) { return ifindex(name).ok(); }
  // Creates a bridge (no-op when a link of that name exists).
  Status ensure_bridge(const std::string& name);
  // Adds a.b.c.d/prefix to the link (no-op when present).
  Status add_address(const std::string& link, Ipv4 a, int prefix);
  Status set_up(const std::string& link);
  Status set_mac(const std::string& link, const Mac& mac);
  // Deletes the link (no-op when absent). Deleting one end of a veth pair deletes both.
  Status delete_link(const std::string& name);
  // A veth pair: `host` here, enslaved to `master` (a bridge) and up; `peer` created directly in
  // the namespace `peer_netns_fd` refers to, with `peer_mac`.
  Status create_veth(const std::string& host, const std::string& master, const std::string& peer,
                     int peer_netns_fd, const Mac& peer_mac);
  // default via gw dev link.
  Status add_default_route(Ipv4 gw, const std::string& link);
  Result<std::vector<std::string>> link_names();
  // The links enslaved to `master` (a bridge's ports); empty when there is no such bridge.
  Result<std::vector<std::string>> links_of_master(const std::string& master);
  // Destinations of the IPv4 routes of every table (the default route is 0.0.0.0/0).
  Result<std::vector<Subnet>> ipv4_routes();

 private:
  explicit Netlink(nl_sock* s) : sock_(s, &free_sock) {}
  static void free_sock(nl_sock* s);
  std::unique_ptr<nl_sock, void (*)(nl_sock*)> sock_;
};

}  // namespace berth::network
