#include "network/proxy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace berth::network {
namespace {

// An IPv6 listener on [::1] (port chosen by the kernel), or nothing when the host has no ::1.
UniqueFd listen6(bool udp, uint16_t& port) {
  UniqueFd fd(::socket(AF_INET6, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!fd) return fd;
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return UniqueFd();
  if (!udp && ::listen(fd.get(), 16) < 0) return UniqueFd();
  socklen_t len = sizeof sa;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  port = ntohs(sa.sin6_port);
  return fd;
}

// An IPv4 backend on 127.0.0.1 standing in for the container.
UniqueFd listen4(bool udp, sockaddr_in& at) {
  UniqueFd fd(::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  at = {};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
  if (!udp) {
    EXPECT_EQ(::listen(fd.get(), 16), 0);
  }
  socklen_t len = sizeof at;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&at), &len);
  return fd;
}

UniqueFd connect6(uint16_t port, bool udp) {
  UniqueFd fd(::socket(AF_INET6, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  sa.sin6_port = htons(port);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  return fd;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// A TCP stream goes through both ways, large enough to fill the buffers, and half-closes are
// passed on: the backend sees EOF after the request, the client after the answer.
TEST(ProxyTest, RelaysTcpBothWaysWithHalfClose) {
  uint16_t port = 0;
  UniqueFd l6 = listen6(false, port);
  if (!l6) GTEST_SKIP() << "no IPv6 loopback on this host";
  sockaddr_in target{};
  UniqueFd backend = listen4(false, target);
  std::vector<ProxyRoute> routes;
  routes.push_back({std::move(l6), false, target});
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  std::thread proxy([&] { run_proxy(routes, stop.get()); });
  std::string request(300000, 'x');
  std::thread server([&] {
    UniqueFd c(::accept(backend.get(), nullptr, nullptr));
    std::string got = read_all(c.get());  // until the client's half-close arrives
    std::string reply = "got " + std::to_string(got.size());
    ::send(c.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
  });
  UniqueFd client = connect6(port, false);
  std::thread writer([&] {
    size_t off = 0;
    while (off < request.size()) {
      ssize_t n = ::send(client.get(), request.data() + off, request.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::shutdown(client.get(), SHUT_WR);
  });
  EXPECT_EQ(read_all(client.get()), "got 300000");
  writer.join();
  server.join();
  uint64_t one = 1;
  ASSERT_EQ(::write(stop.get(), &one, sizeof one), 8);
  proxy.join();
}

TEST(ProxyTest, RelaysUdpRepliesToTheSender) {
  uint16_t port = 0;
  UniqueFd l6 = listen6(true, port);
  if (!l6) GTEST_SKIP() << "no IPv6 loopback on this host";
  sockaddr_in target{};
  UniqueFd backend = listen4(true, target);
  std::vector<ProxyRoute> routes;
  routes.push_back({std::move(l6), true, target});
  auto proxy = UserlandProxy::start(std::move(routes));  // the forked process, as berth runs it
  ASSERT_TRUE(proxy.ok()) << proxy.error().message();
  EXPECT_GT(proxy->pid(), 0);
  UniqueFd client = connect6(port, true);
  ASSERT_EQ(::send(client.get(), "ping", 4, 0), 4);
  char buf[64];
  sockaddr_in from{};
  socklen_t flen = sizeof from;
  pollfd p{backend.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ssize_t n = ::recvfrom(backend.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
  ASSERT_EQ(std::string(buf, static_cast<size_t>(n)), "ping");
  ASSERT_EQ(::sendto(backend.get(), "pong", 4, 0, reinterpret_cast<sockaddr*>(&from), flen), 4);
  pollfd q{client.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&q, 1, 5000), 1);
  n = ::recv(client.get(), buf, sizeof buf, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "pong");
}

// Killing the proxy (dropping it) frees its port: nothing else holds the listener.
TEST(ProxyTest, DroppingTheProxyFreesThePort) {
  uint16_t port = 0;
  UniqueFd l6 = listen6(false, port);
  if (!l6) GTEST_SKIP() << "no IPv6 loopback on this host";
  sockaddr_in target{};
  UniqueFd backend = listen4(false, target);
  {
    std::vector<ProxyRoute> routes;
    routes.push_back({std::move(l6), false, target});
    auto proxy = UserlandProxy::start(std::move(routes));
    ASSERT_TRUE(proxy.ok());
  }
  UniqueFd again(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  sa.sin6_port = htons(port);
  EXPECT_EQ(::bind(again.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << strerror(errno);
}

}  // namespace
}  // namespace berth::network
