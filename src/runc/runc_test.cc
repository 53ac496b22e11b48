// berth-runc's pure parts: ids, signals, cgroup names, resources, state files.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "base/fs.h"
#include "runc/commands.h"
#include "runc/internal.h"
#include "runc/state.h"

namespace berth::runc {
namespace {

TEST(Runc, IdsAsRuncAllowsThem) {
  EXPECT_TRUE(check_id("abc-1_2.3+x").ok());
  EXPECT_FALSE(check_id("").ok());
  EXPECT_FALSE(check_id("..").ok());
  EXPECT_FALSE(check_id("a/b").ok());
  EXPECT_EQ(check_id("a b").error().message(), "invalid id format: a b");
}

TEST(Runc, Signals) {
  EXPECT_EQ(*parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(*parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(*parse_signal("sigusr1"), SIGUSR1);
  EXPECT_EQ(*parse_signal("9"), 9);
  EXPECT_FALSE(parse_signal("NOPE").ok());
  EXPECT_FALSE(parse_signal("999").ok());
}

TEST(Runc, CgroupNames) {
  EXPECT_EQ(*cgroup_name("/default/abc", "abc"), "default/abc");
  EXPECT_EQ(*cgroup_name("", "abc"), "berth-runc/abc");
  EXPECT_EQ(*cgroup_name("machine.slice:libpod:abc", "abc"), "machine.slice/libpod-abc.scope");
  EXPECT_FALSE(cgroup_name("/a/../../etc", "x").ok());
  EXPECT_FALSE(cgroup_name("/", "x").ok());
}

TEST(Runc, ResourcesFromTheSpec) {
  oci::RuntimeSpec s;
  s.linux = oci::Linux{};
  s.linux->resources = oci::Resources{};
  s.linux->resources->memory = oci::Memory{};
  s.linux->resources->memory->limit = 64 << 20;
  s.linux->resources->pids = oci::Pids{100};
  s.linux->resources->devices.push_back({false, "", std::nullopt, std::nullopt, "rwm"});
  auto r = resources_from_spec(s);
  EXPECT_EQ(r.memory, 64 << 20);
  EXPECT_EQ(r.pids_limit, 100);
  ASSERT_GT(r.devices.size(), 1u);
  EXPECT_FALSE(r.devices[0].allow);
  EXPECT_EQ(r.devices[0].type, 'a');
  EXPECT_TRUE(r.devices.back().allow) << "runc's implicit rules come after the spec's";
}

TEST(Runc, StateRoundTripAndStatus) {
  auto d = TempDir::create("/tmp", "berth-runc-test-");
  ASSERT_TRUE(d.ok());
  State s;
  s.id = "c1";
  s.pid = ::getpid();
  s.pid_start = process_start_time(::getpid());
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.cgroup = "";
  s.annotations["k"] = "v";
  ASSERT_TRUE(mkdir_all(container_dir(d->path(), "c1")).ok());
  ASSERT_TRUE(save_state(d->path(), s).ok());
  auto back = load_state(d->path(), "c1");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->pid, s.pid);
  EXPECT_EQ(back->annotations.at("k"), "v");
  EXPECT_EQ(status_of(d->path(), *back), "running");
  auto j = state_json(d->path(), *back);
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["rootfs"], "/b/rootfs");
  back->pid_start += 1;  // a reused pid is another process
  EXPECT_EQ(status_of(d->path(), *back), "stopped");
  EXPECT_EQ(state_json(d->path(), *back)["pid"], 0);
  EXPECT_EQ(load_state(d->path(), "nope").error().message(), "container does not exist");
  auto all = list_states(d->path());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

}  // namespace
}  // namespace berth::runc
