// The userland proxy for published ports on IPv6 addresses: containers have IPv4 addresses only,
// and the kernel cannot NAT from IPv6 to IPv4 (nor route ::1 off the host), so `-p 8080:80`
// answers on [::]:8080 and `-p [::1]:8080:80` on [::1]:8080 through a relay, as Docker's
// docker-proxy does. IPv4 is DNATed by the kernel (network/nft.h) and never goes through here.
//
// One proxy process per container with IPv6 bindings, forked by the container's supervisor (the
// CLI or the monitor) when it attaches the network: a process, not a thread, because the runtime
// joins namespaces and clones right after attaching, which a multi-threaded process cannot do
// safely. It holds only its listening sockets (every other inherited descriptor is closed, so it
// keeps no pipe or lock of the supervisor open), dies with the supervisor (PR_SET_PDEATHSIG), and
// is killed and reaped when the attachment is dropped.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::network {

struct ProxyRoute {
  UniqueFd listener;   // tcp: bound and listening; udp: bound
  bool udp = false;
  sockaddr_in target{};  // the container's address and port
};

// Relays every route until `stop_fd` is readable (or forever with -1). Non-blocking, one poll
// loop: TCP connections relayed both ways with half-closes; UDP datagrams through one socket per
// client address, forgotten after 60 s idle.
void run_proxy(std::vector<ProxyRoute>& routes, int stop_fd);

class UserlandProxy {
 public:
  // Forks the proxy process; the listeners are closed here once it has them.
  static Result<UserlandProxy> start(std::vector<ProxyRoute> routes);
  UserlandProxy(UserlandProxy&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  UserlandProxy& operator=(UserlandProxy&&) = delete;
  ~UserlandProxy();  // SIGKILL and reap
  pid_t pid() const { return pid_; }

 private:
  explicit UserlandProxy(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace berth::network
