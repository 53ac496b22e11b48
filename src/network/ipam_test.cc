#include "network/ipam.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "base/fs.h"

namespace berth::network {
namespace {

class IpamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::create("/tmp", "ipam-test-");
    ASSERT_TRUE(t.ok());
    tmp_.emplace(std::move(*t));
  }
  Ipam make(const char* subnet, const char* gw, const char* range = nullptr) {
    std::optional<Subnet> r;
    if (range) r = *parse_subnet(range);
    return Ipam(path_join(tmp_->path(), "ipam"), *parse_subnet(subnet), *parse_ipv4(gw), r);
  }
  std::optional<TempDir> tmp_;
};

TEST_F(IpamTest, AllocatesLowestFreeSkippingGateway) {
  Ipam ipam = make("172.18.0.0/16", "172.18.0.1");
  EXPECT_EQ(to_string(*ipam.allocate("c1")), "172.18.0.2");
  EXPECT_EQ(to_string(*ipam.allocate("c2")), "172.18.0.3");
  ASSERT_TRUE(ipam.release(*parse_ipv4("172.18.0.2")).ok());
  EXPECT_EQ(to_string(*ipam.allocate("c3")), "172.18.0.2");
  auto all = ipam.list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(*parse_ipv4("172.18.0.2")), "c3");
  // Releasing twice is fine.
  EXPECT_TRUE(ipam.release(*parse_ipv4("172.18.0.2")).ok());
  EXPECT_TRUE(ipam.release(*parse_ipv4("172.18.0.2")).ok());
}

TEST_F(IpamTest, TwoInstancesOnOneDirectoryNeverShareAnAddress) {
  // Two processes see the same directory; a stale view must not give a taken address twice.
  Ipam a = make("10.9.0.0/24", "10.9.0.1");
  Ipam b = make("10.9.0.0/24", "10.9.0.1");
  auto x = a.allocate("one");
  auto y = b.allocate("two");
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_NE(*x, *y);
}

TEST_F(IpamTest, ConcurrentProcessesNeverShareAnAddress) {
  // Four processes race for 40 addresses each on one directory: 160 distinct allocations.
  std::vector<pid_t> kids;
  for (int k = 0; k < 4; ++k) {
    pid_t pid = ::fork();
    if (pid == 0) {
      Ipam ipam = make("10.7.0.0/24", "10.7.0.1");
      for (int i = 0; i < 40; ++i)
        if (!ipam.allocate("p" + std::to_string(k)).ok()) ::_exit(1);
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  Ipam ipam = make("10.7.0.0/24", "10.7.0.1");
  auto all = ipam.list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 160u);
  std::map<std::string, int> per_owner;
  for (const auto& [a, owner] : *all) ++per_owner[owner];
  for (const auto& [owner, n] : per_owner) EXPECT_EQ(n, 40) << owner;
}

TEST_F(IpamTest, RequestedAddress) {
  Ipam ipam = make("10.9.0.0/24", "10.9.0.1");
  EXPECT_EQ(to_string(*ipam.allocate("c1", *parse_ipv4("10.9.0.50"))), "10.9.0.50");
  auto again = ipam.allocate("c2", *parse_ipv4("10.9.0.50"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), Code::kConflict);
  EXPECT_EQ(again.error().message(), "Address already in use");
  auto outside = ipam.allocate("c3", *parse_ipv4("10.8.0.5"));
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(ipam.allocate("c4", *parse_ipv4("10.9.0.1")).ok());    // the gateway
  EXPECT_FALSE(ipam.allocate("c4", *parse_ipv4("10.9.0.255")).ok());  // broadcast
}

TEST_F(IpamTest, RangeAndExhaustion) {
  Ipam ipam = make("10.9.0.0/24", "10.9.0.1", "10.9.0.8/30");
  EXPECT_EQ(to_string(*ipam.allocate("a")), "10.9.0.9");
  EXPECT_EQ(to_string(*ipam.allocate("b")), "10.9.0.10");
  auto none = ipam.allocate("c");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), Code::kUnavailable);
}

TEST_F(IpamTest, ReconcileFreesUnknownOwners) {
  Ipam ipam = make("10.9.0.0/24", "10.9.0.1");
  ASSERT_TRUE(ipam.allocate("alive").ok());
  ASSERT_TRUE(ipam.allocate("dead").ok());
  auto n = ipam.reconcile([](const std::string& owner) { return owner == "alive"; });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(ipam.list()->size(), 1u);
}

}  // namespace
}  // namespace berth::network
