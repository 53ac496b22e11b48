// IP address management for one network: which addresses of its subnet are taken, by whom.
//
// State lives in a directory, one file per allocated address (<dir>/<a.b.c.d>, content: the
// owner, a container id). An allocation is a file created with link(2) from a fully written temp
// file, so it is atomic and exclusive: two processes (two `berth run`s at once) can never get the
// same address, and a crash leaves either a complete allocation or none (plus a temp file that
// reconcile removes). Releasing is unlink, idempotent.
//
// Never allocated: the network address, the broadcast address, the gateway.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/error.h"
#include "network/addr.h"

namespace berth::network {

class Ipam {
 public:
  // `range` (--ip-range) limits dynamic allocation to a part of the subnet; it must lie inside.
  Ipam(std::string dir, Subnet subnet, Ipv4 gateway, std::optional<Subnet> range = std::nullopt)
      : dir_(std::move(dir)), subnet_(subnet), gateway_(gateway), range_(range) {}

  // `want` (--ip): that address or kConflict "Address already in use"; kInvalidArgument when it
  // is outside the subnet or reserved. Without it: the lowest free address of the range, or
  // kUnavailable "no available IPv4 addresses on this network's address pools: <name>".
  Result<Ipv4> allocate(const std::string& owner, std::optional<Ipv4> want = std::nullopt);
  // Frees the address; succeeds when it was not allocated.
  Status release(Ipv4 a);
  // Every allocation: address -> owner.
  Result<std::map<Ipv4, std::string>> list() const;
  // Frees every address whose owner `keep` rejects, and removes temp files of crashed writers.
  // Returns the number of addresses freed.
  template <typename Keep>
  Result<int> reconcile(Keep keep);

 private:
  Status try_take(Ipv4 a, const std::string& owner);
  std::string dir_;
  Subnet subnet_;
  Ipv4 gateway_;
  std::optional<Subnet> range_;
};

template <typename Keep>
Result<int> Ipam::reconcile(Keep keep) {
  BERTH_ASSIGN_OR_RETURN(auto all, list());
  int n = 0;
  for (const auto& [a, owner] : all) {
    if (keep(owner)) continue;
    BERTH_TRY(release(a));
    ++n;
  }
  return n;
}

}  // namespace berth::network
