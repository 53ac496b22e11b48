// Named network namespaces: a new namespace kept alive by a bind mount of its nsfs file at a
// path (as `ip netns add` does under /run/netns), so it exists before the container's first
// process does and can be set up (veth, address, routes) before that process starts.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::network {

// Creates a namespace pinned at `path` (its directory is created). kAlreadyExists when pinned.
Status create_netns(const std::string& path);
// Unmounts and removes `path`; succeeds when it is not there.
Status remove_netns(const std::string& path);
// Whether `path` is a pinned namespace (an nsfs mount).
bool is_netns(const std::string& path);

// Moves the calling thread into the namespace at `path` until destroyed (then back to the one it
// was in). Only for single-threaded code paths: the CLI and the monitor.
class NetnsScope {
 public:
  static Result<NetnsScope> enter(const std::string& path);
  NetnsScope(NetnsScope&&) noexcept = default;
  ~NetnsScope();

 private:
  explicit NetnsScope(UniqueFd orig) : orig_(std::move(orig)) {}
  UniqueFd orig_;
};

}  // namespace berth::network
