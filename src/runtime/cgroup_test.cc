// Tests of runtime/cgroup.h that need no privilege: conversions and validation, layout detection
// on sample mount tables, both backends on fake cgroupfs trees in temp dirs (files pre-created,
// values read back) and the v2 device filter run on a small eBPF interpreter.
// cgroup_host_test.cc runs the same code against this host's real cgroups.
#include "runtime/cgroup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/strings.h"
#include "runtime/internal/cgroup_bpf.h"
#include "runtime/internal/cgroup_testing.h"
#include "runtime/internal/cgroup_util.h"

namespace berth::runtime {
namespace {

using cgroup_testing::cat;
using cgroup_testing::Child;
using cgroup_testing::kMiB;
using cgroup_testing::put;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string testdata(const std::string& name) {
  return std::string(BERTH_TESTDATA_DIR) + "/cgroup/" + name;
}

// --- conversions and validation ---

TEST(CgroupConvert, SharesToWeightIsRuncsFormula) {
  EXPECT_EQ(internal::shares_to_weight(2), 1u);
  EXPECT_EQ(internal::shares_to_weight(512), 20u);
  EXPECT_EQ(internal::shares_to_weight(1024), 39u);
  EXPECT_EQ(internal::shares_to_weight(262144), 10000u);
  EXPECT_EQ(internal::shares_to_weight(0), 1u);            // clamped to 2
  EXPECT_EQ(internal::shares_to_weight(1000000), 10000u);  // clamped to 262144
}

TEST(CgroupConvert, CpusBlkioAndDeviceRules) {
  EXPECT_EQ(internal::cpus_to_quota(1.5), 150000);
  EXPECT_EQ(internal::cpus_to_quota(0.01), 1000);
  EXPECT_EQ(internal::cpus_to_quota(0), -1);
  EXPECT_EQ(internal::blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(internal::blkio_weight_to_io_weight(500), 4950u);
  EXPECT_EQ(internal::blkio_weight_to_io_weight(1000), 10000u);
  EXPECT_EQ(internal::v1_device_rule({true, 'c', 1, 3, "rwm"}), "c 1:3 rwm");
  EXPECT_EQ(internal::v1_device_rule({false, 'a', -1, -1, "rwm"}), "a *:* rwm");
  EXPECT_EQ(internal::v1_device_rule({true, 'b', 8, -1, "r"}), "b 8:* r");
  EXPECT_EQ(internal::v1_bytes(-1), "-1");
  EXPECT_EQ(internal::v2_bytes(0), "max");
  EXPECT_EQ(internal::v2_bytes(512 * kMiB), "536870912");
}

TEST(CgroupConvert, CgroupNames) {
  auto parts = internal::split_cgroup_name("/berth//abc");
  ASSERT_TRUE(parts.ok());
  EXPECT_THAT(*parts, ElementsAre("berth", "abc"));
  auto bad = internal::split_cgroup_name("berth/../x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "invalid cgroup name \"berth/../x\": must not contain . or ..");
  EXPECT_EQ(internal::split_cgroup_name("/").error().message(), "invalid cgroup name \"/\": empty");
  CgroupLayout layout{CgroupLayout::kV2, "/x", {}, "/x"};
  auto cg = open_cgroup(layout, "..");
  ASSERT_FALSE(cg.ok());
  EXPECT_EQ(cg.error().code(), Code::kInvalidArgument);
}

std::string validation_error(const Resources& r, bool creating = true) {
  Status st = validate_resources(r, 2, creating);
  if (st.ok()) return "ok";
  EXPECT_EQ(st.error().code(), Code::kInvalidArgument);
  return st.error().message();
}

TEST(CgroupValidate, DockersMessages) {
  Resources r;
  EXPECT_EQ(validation_error(r), "ok");
  r.memory = 4 * kMiB;
  EXPECT_EQ(validation_error(r), "Minimum memory limit allowed is 6MB");
  r = {};
  r.memory_swap = 1024 * kMiB;
  EXPECT_EQ(validation_error(r),
            "You should always set the Memory limit when using Memoryswap limit, see usage");
  EXPECT_EQ(validation_error(r, /*creating=*/false), "ok");
  r.memory = 2048 * kMiB;
  EXPECT_EQ(validation_error(r),
            "Minimum memoryswap limit should be larger than memory limit, see usage");
  r.memory_swap = -1;
  EXPECT_EQ(validation_error(r), "ok");
  r = {};
  r.memory = 64 * kMiB;
  r.memory_reservation = 128 * kMiB;
  EXPECT_EQ(validation_error(r),
            "Minimum memory limit can not be less than memory reservation limit, see usage");
  r = {};
  r.cpus = 1;
  r.cpu_period = 50000;
  EXPECT_EQ(validation_error(r),
            "Conflicting options: Nano CPUs and CPU Period cannot both be set");
  r.cpu_period.reset();
  r.cpu_quota = 50000;
  EXPECT_EQ(validation_error(r), "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  r = {};
  r.cpus = 3;
  EXPECT_EQ(validation_error(r),
            "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
  r.cpus = 0.001;
  EXPECT_THAT(validation_error(r), HasSubstr("Range of CPUs"));
  r = {};
  r.cpu_period = 500;
  EXPECT_EQ(validation_error(r),
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  r = {};
  r.cpu_quota = 999;
  EXPECT_EQ(validation_error(r), "CPU cfs quota can not be less than 1ms (i.e. 1000)");
  r = {};
  r.blkio_weight = 5;
  EXPECT_EQ(validation_error(r), "Range of blkio weight is from 10 to 1000");
  r = {};
  r.devices = {{true, 'x', 1, 3, "rwm"}};
  EXPECT_EQ(validation_error(r), "invalid device type 'x': must be a, b or c");
  r.devices = {{true, 'c', 1, 3, "rwx"}};
  EXPECT_EQ(validation_error(r), "invalid device access \"rwx\": must be a subset of rwm");
  r.devices = {{true, 'c', -2, 3, "r"}};
  EXPECT_EQ(validation_error(r), "invalid device number -2:3");
}

// --- layout detection ---

Result<CgroupLayout> detect_sample(const std::string& file) {
  return detect_cgroups("/sys/fs/cgroup", testdata(file));
}

TEST(CgroupDetect, PureV2) {
  auto l = detect_sample("mountinfo_v2.txt");
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->kind, CgroupLayout::kV2);
  EXPECT_EQ(l->unified, "/sys/fs/cgroup");
  EXPECT_TRUE(l->v1.empty());
}

TEST(CgroupDetect, V1WithCoMountedControllers) {
  auto l = detect_sample("mountinfo_v1.txt");
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->kind, CgroupLayout::kV1);
  EXPECT_EQ(l->unified, "");
  EXPECT_EQ(l->v1.size(), 12u);
  EXPECT_EQ(l->v1.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(l->v1.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(l->v1.at("net_prio"), "/sys/fs/cgroup/net_cls,net_prio");
  EXPECT_EQ(l->v1.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(l->v1.count("systemd") + l->v1.count("name=systemd"), 0u);
}

TEST(CgroupDetect, ThisHostsHybridLayoutUsesV1) {
  auto l = detect_sample("mountinfo_hybrid.txt");
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->kind, CgroupLayout::kHybrid);
  EXPECT_EQ(l->unified, "/sys/fs/cgroup/unified");
  std::vector<std::string> names;
  for (const auto& [c, m] : l->v1) names.push_back(c + "=" + m);
  EXPECT_THAT(names, ElementsAre("blkio=/sys/fs/cgroup/blkio", "cpu=/sys/fs/cgroup/cpu",
                                 "cpuacct=/sys/fs/cgroup/cpuacct", "cpuset=/sys/fs/cgroup/cpuset",
                                 "devices=/sys/fs/cgroup/devices", "freezer=/sys/fs/cgroup/freezer",
                                 "memory=/sys/fs/cgroup/memory", "pids=/sys/fs/cgroup/pids"));
  auto cg = open_cgroup(*l, "berth/abc");
  ASSERT_TRUE(cg.ok());
  EXPECT_EQ((*cg)->kind(), CgroupLayout::kV1);
  EXPECT_EQ((*cg)->paths().size(), 8u);
  EXPECT_EQ((*cg)->paths()[0], "/sys/fs/cgroup/blkio/berth/abc");
}

TEST(CgroupDetect, SystemdHybridAndStackedMounts) {
  auto l = detect_sample("mountinfo_hybrid_systemd.txt");
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->kind, CgroupLayout::kHybrid);
  EXPECT_EQ(l->unified, "/sys/fs/cgroup/unified");
  EXPECT_EQ(l->v1.size(), 4u);
  // A cgroup2 mounted over /sys/fs/cgroup hides the v1 mounts below it.
  l = detect_sample("mountinfo_stacked.txt");
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->kind, CgroupLayout::kV2);
  EXPECT_EQ(l->unified, "/sys/fs/cgroup");
  EXPECT_TRUE(l->v1.empty());
}

TEST(CgroupDetect, EscapedMountPointAndOtherRoot) {
  auto l = parse_cgroup_layout(
      "45 29 0:41 / /mnt/my\\040cgroups rw,relatime - cgroup cgroup rw,freezer\n",
      "/mnt/my cgroups");
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->kind, CgroupLayout::kV1);
  EXPECT_EQ(l->v1.at("freezer"), "/mnt/my cgroups");
}

TEST(CgroupDetect, Errors) {
  auto l = detect_sample("mountinfo_none.txt");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code(), Code::kNotFound);
  EXPECT_EQ(l.error().message(),
            "detecting cgroups: no cgroup file system is mounted at /sys/fs/cgroup");
  l = parse_cgroup_layout("garbage line\n");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().message(), "malformed mountinfo line: garbage line");
  l = detect_sample("no-such-file");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code(), Code::kNotFound);
  EXPECT_THAT(l.error().message(), HasSubstr("detecting cgroups: open "));
}

TEST(CgroupDetect, ThisHost) {
  auto l = detect_cgroups();
  ASSERT_TRUE(l.ok()) << l.error().message();
  bool pure_v2 = path_exists("/sys/fs/cgroup/cgroup.controllers");
  EXPECT_EQ(l->kind == CgroupLayout::kV2, pure_v2);
}

// --- the v2 backend on a fake tree ---

class FakeV2 : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::create("/tmp", "berth-cgroup-v2-");
    ASSERT_TRUE(t.ok());
    tmp_.emplace(std::move(*t));
    root_ = tmp_->path();
    dir_ = root_ + "/berth/c1";
    for (const std::string& d : {root_, root_ + "/berth"}) {
      put(d + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc");
      put(d + "/cgroup.subtree_control", "");
    }
    for (auto [file, value] : std::vector<std::pair<std::string, std::string>>{
             {"memory.max", "max"},
             {"memory.low", "0"},
             {"memory.swap.max", "max"},
             {"cpu.max", "max 100000"},
             {"cpu.weight", "100"},
             {"cpuset.cpus", ""},
             {"cpuset.mems", ""},
             {"pids.max", "max"},
             {"io.weight", "default 100"},
             {"cgroup.procs", ""},
             {"cgroup.freeze", "0"},
             {"cgroup.events", "populated 0\nfrozen 0\n"},
             {"cgroup.kill", ""}}) {
      put(dir_ + "/" + file, value);
    }
    layout_ = {CgroupLayout::kV2, root_, {}, root_};
  }
  std::unique_ptr<Cgroup> open(const std::string& name = "berth/c1", CgroupOptions o = {}) {
    auto cg = open_cgroup(layout_, name, o);
    EXPECT_TRUE(cg.ok());
    return cg.ok() ? std::move(*cg) : nullptr;
  }
  std::string at(const std::string& file) { return cat(dir_ + "/" + file); }

  std::optional<TempDir> tmp_;
  std::string root_, dir_;
  CgroupLayout layout_;
};

TEST_F(FakeV2, CreateWritesEveryLimit) {
  Resources r;
  r.memory = 512 * kMiB;
  r.memory_swap = 1024 * kMiB;
  r.memory_reservation = 256 * kMiB;
  r.cpus = 1.5;
  r.cpu_shares = 512;
  r.cpuset_cpus = "0-1";
  r.cpuset_mems = "0";
  r.pids_limit = 100;
  r.blkio_weight = 500;
  auto cg = open();
  Status st = cg->create(r);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(at("memory.max"), "536870912");
  EXPECT_EQ(at("memory.swap.max"), "536870912");  // swap alone: 1g - 512m
  EXPECT_EQ(at("memory.low"), "268435456");
  EXPECT_EQ(at("cpu.max"), "150000 100000");
  EXPECT_EQ(at("cpu.weight"), "20");
  EXPECT_EQ(at("cpuset.cpus"), "0-1");
  EXPECT_EQ(at("cpuset.mems"), "0");
  EXPECT_EQ(at("pids.max"), "100");
  EXPECT_EQ(at("io.weight"), "4950");
  EXPECT_EQ(cat(root_ + "/cgroup.subtree_control"), "+cpuset +cpu +io +memory +pids");
  EXPECT_EQ(cat(root_ + "/berth/cgroup.subtree_control"), "+cpuset +cpu +io +memory +pids");
  EXPECT_EQ(cg->kind(), CgroupLayout::kV2);
  EXPECT_THAT(cg->paths(), ElementsAre(dir_));
}

TEST_F(FakeV2, EnablesOnlyWhatIsMissingAndUsesBfqWeight) {
  put(root_ + "/cgroup.subtree_control", "cpu memory");
  put(root_ + "/berth/cgroup.subtree_control", "cpuset cpu io memory pids");
  put(dir_ + "/io.bfq.weight", "default 100");
  Resources r;
  r.blkio_weight = 500;
  ASSERT_TRUE(open()->create(r).ok());
  EXPECT_EQ(cat(root_ + "/cgroup.subtree_control"), "+cpuset +io +pids");
  EXPECT_EQ(cat(root_ + "/berth/cgroup.subtree_control"), "cpuset cpu io memory pids");
  EXPECT_EQ(at("io.bfq.weight"), "500");
  EXPECT_EQ(at("io.weight"), "default 100");
}

TEST_F(FakeV2, MissingControllerIsAPrecondition) {
  put(root_ + "/cgroup.controllers", "cpu io");
  Resources r;
  r.memory = 512 * kMiB;
  Status st = open()->create(r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.error().message(),
            "cgroup v2 controller memory is not available in " + root_ + "/cgroup.controllers");
}

TEST_F(FakeV2, UpdateWritesOnlyWhatIsSet) {
  auto cg = open();
  Resources r;
  r.memory = 512 * kMiB;
  r.cpus = 1.5;
  ASSERT_TRUE(cg->create(r).ok());
  Resources u;
  u.cpus = 0;  // docker update --cpus 0 removes the limit
  ASSERT_TRUE(cg->update(u).ok());
  EXPECT_EQ(at("cpu.max"), "max 100000");
  EXPECT_EQ(at("memory.max"), "536870912");
  put(dir_ + "/cpu.max", "150000 100000");
  u = {};
  u.cpu_period = 50000;  // keeps the quota
  ASSERT_TRUE(cg->update(u).ok());
  EXPECT_EQ(at("cpu.max"), "150000 50000");
  u = {};
  u.cpu_quota = 20000;
  ASSERT_TRUE(cg->update(u).ok());
  EXPECT_EQ(at("cpu.max"), "20000");
  u.cpu_quota = -1;
  u.cpu_period = 100000;
  ASSERT_TRUE(cg->update(u).ok());
  EXPECT_EQ(at("cpu.max"), "max 100000");
  u = {};
  u.memory = -1;
  u.memory_reservation = -1;
  u.pids_limit = -1;
  ASSERT_TRUE(cg->update(u).ok());
  EXPECT_EQ(at("memory.max"), "max");
  EXPECT_EQ(at("memory.low"), "0");
  EXPECT_EQ(at("pids.max"), "max");
}

TEST_F(FakeV2, SwapUpdateUsesTheCurrentMemoryLimit) {
  auto cg = open();
  put(dir_ + "/memory.max", "536870912");
  Resources u;
  u.memory_swap = 1024 * kMiB;
  ASSERT_TRUE(cg->update(u).ok());
  EXPECT_EQ(at("memory.swap.max"), "536870912");
  u.memory_swap = -1;
  ASSERT_TRUE(cg->update(u).ok());
  EXPECT_EQ(at("memory.swap.max"), "max");
  put(dir_ + "/memory.max", "max");
  u.memory_swap = 1024 * kMiB;
  Status st = cg->update(u);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "setting memory swap limit: a swap limit needs a memory limit");
}

TEST_F(FakeV2, SwapWithoutSwapAccounting) {
  ASSERT_EQ(::unlink((dir_ + "/memory.swap.max").c_str()), 0);
  Resources r;
  r.memory = 512 * kMiB;
  ASSERT_TRUE(open()->create(r).ok());  // no swap asked: fine
  r.memory_swap = 1024 * kMiB;
  Status st = open()->create(r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.error().message(),
            "setting memory swap limit: your kernel does not support swap limit capabilities");
}

TEST_F(FakeV2, WriteErrorNamesFileAndValue) {
  ASSERT_EQ(::unlink((dir_ + "/memory.max").c_str()), 0);
  Resources r;
  r.memory = 512 * kMiB;
  Status st = open()->create(r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kNotFound);
  EXPECT_EQ(st.error().message(),
            "writing 536870912 to " + dir_ + "/memory.max: No such file or directory");
  EXPECT_TRUE(path_exists(dir_));  // it existed before create: not removed
}

TEST_F(FakeV2, FreezeAndThawWaitForEvents) {
  auto cg = open();
  put(dir_ + "/cgroup.events", "populated 1\nfrozen 1\n");
  ASSERT_TRUE(cg->freeze().ok());
  EXPECT_EQ(at("cgroup.freeze"), "1");
  EXPECT_TRUE(cg->is_frozen().value());
  put(dir_ + "/cgroup.events", "populated 1\nfrozen 0\n");
  ASSERT_TRUE(cg->thaw().ok());
  EXPECT_EQ(at("cgroup.freeze"), "0");
  EXPECT_FALSE(cg->is_frozen().value());
}

TEST_F(FakeV2, FreezeTimesOut) {
  auto cg = open("berth/c1", {std::chrono::milliseconds(30), std::chrono::milliseconds(30)});
  Status st = cg->freeze();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kUnavailable);
  EXPECT_EQ(st.error().message(),
            "timed out waiting for " + dir_ + "/cgroup.events to say frozen 1");
  ASSERT_EQ(::unlink((dir_ + "/cgroup.freeze").c_str()), 0);
  st = cg->freeze();
  EXPECT_EQ(st.error().code(), Code::kUnimplemented);
}

TEST_F(FakeV2, KillUsesCgroupKill) {
  ASSERT_TRUE(open()->kill_all(SIGKILL).ok());
  EXPECT_EQ(at("cgroup.kill"), "1");
}

TEST_F(FakeV2, KillSignalsEveryProcessBelow) {
  Child child;
  ASSERT_GT(child.pid, 0);
  put(dir_ + "/sub/cgroup.procs", std::to_string(child.pid) + "\n");
  ASSERT_TRUE(open()->kill_all(SIGTERM).ok());
  EXPECT_EQ(child.wait_signal(), SIGTERM);
  EXPECT_EQ(at("cgroup.kill"), "");  // only for SIGKILL
}

TEST_F(FakeV2, PidsIncludeSubCgroups) {
  put(dir_ + "/cgroup.procs", "12\n7\n");
  put(dir_ + "/a/b/cgroup.procs", "30\n7\n");
  auto pids = open()->pids();
  ASSERT_TRUE(pids.ok()) << pids.error().message();
  EXPECT_THAT(*pids, ElementsAre(7, 12, 30));
}

TEST_F(FakeV2, StatsAndOom) {
  put(dir_ + "/memory.current", "1000");
  put(dir_ + "/memory.stat", "anon 600\nfile 400\ninactive_file 300\nactive_file 100\n");
  put(dir_ + "/memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n");
  put(dir_ + "/pids.current", "3");
  put(dir_ + "/cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
  auto cg = open();
  auto s = cg->stats();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->memory_usage, 1000u);
  EXPECT_FALSE(s->memory_limit.has_value());
  EXPECT_EQ(s->memory_inactive_file, 300u);
  EXPECT_EQ(s->pids_current, 3u);
  EXPECT_EQ(s->cpu_usage_ns, 2500000u);
  EXPECT_EQ(s->oom_kill, 1u);
  EXPECT_TRUE(cg->oom_killed().value());
  put(dir_ + "/memory.max", "536870912");
  put(dir_ + "/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
  EXPECT_EQ(cg->stats()->memory_limit, 536870912u);
  EXPECT_FALSE(cg->oom_killed().value());
}

TEST_F(FakeV2, CloneIntoCgroupFdIsTheDirectory) {
  auto fd = open()->path_for_clone_into_cgroup();
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  struct stat a, b;
  ASSERT_EQ(::fstat(fd->get(), &a), 0);
  ASSERT_EQ(::stat(dir_.c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_TRUE(S_ISDIR(a.st_mode));
}

TEST_F(FakeV2, DestroyRemovesTheCgroupAndItsChildren) {
  // A real cgroupfs lets rmdir remove control files with the directory; a fake one holds
  // only directories here.
  ASSERT_TRUE(mkdir_all(root_ + "/berth/c2/sub/deeper").ok());
  auto cg = open("berth/c2");
  Status st = cg->destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_FALSE(path_exists(root_ + "/berth/c2"));
  EXPECT_TRUE(path_exists(root_ + "/berth"));
  EXPECT_TRUE(cg->destroy().ok());  // nothing left: still fine
  auto s = cg->stats();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), Code::kNotFound);
  EXPECT_EQ(s.error().message(), "cgroup berth/c2 does not exist");
}

// --- the v1 backend on a fake tree ---

class FakeV1 : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::create("/tmp", "berth-cgroup-v1-");
    ASSERT_TRUE(t.ok());
    tmp_.emplace(std::move(*t));
    root_ = tmp_->path();
    for (std::string c : {"memory", "cpuset", "pids", "blkio", "devices", "freezer"}) {
      layout_.v1[c] = root_ + "/" + c;
    }
    layout_.v1["cpu"] = layout_.v1["cpuacct"] = root_ + "/cpu,cpuacct";
    layout_.kind = CgroupLayout::kHybrid;
    layout_.root = root_;
    layout_.unified = root_ + "/unified";
    std::string unlimited = "9223372036854771712";
    files({{"memory", "memory.limit_in_bytes", unlimited},
           {"memory", "memory.memsw.limit_in_bytes", unlimited},
           {"memory", "memory.soft_limit_in_bytes", unlimited},
           {"cpu", "cpu.shares", "1024"},
           {"cpu", "cpu.cfs_period_us", "100000"},
           {"cpu", "cpu.cfs_quota_us", "-1"},
           {"cpuset", "cpuset.cpus", ""},
           {"cpuset", "cpuset.mems", ""},
           {"pids", "pids.max", "max"},
           {"blkio", "blkio.weight", "100"},
           {"devices", "devices.allow", ""},
           {"devices", "devices.deny", ""},
           {"freezer", "freezer.state", "THAWED"}});
    for (const auto& [c, mount] : layout_.v1) put(dir(c) + "/cgroup.procs", "");
    put(root_ + "/cpuset/cpuset.cpus", "0-3");
    put(root_ + "/cpuset/cpuset.mems", "0");
    put(root_ + "/cpuset/berth/cpuset.cpus", "");
    put(root_ + "/cpuset/berth/cpuset.mems", "");
  }
  struct File {
    std::string controller, name, value;
  };
  void files(const std::vector<File>& fs) {
    for (const File& f : fs) put(dir(f.controller) + "/" + f.name, f.value);
  }
  std::string dir(const std::string& controller) { return layout_.v1.at(controller) + "/berth/c1"; }
  std::string at(const std::string& controller, const std::string& file) {
    return cat(dir(controller) + "/" + file);
  }
  std::unique_ptr<Cgroup> open(const std::string& name = "berth/c1", CgroupOptions o = {}) {
    auto cg = open_cgroup(layout_, name, o);
    EXPECT_TRUE(cg.ok());
    return cg.ok() ? std::move(*cg) : nullptr;
  }

  std::optional<TempDir> tmp_;
  std::string root_;
  CgroupLayout layout_;
};

TEST_F(FakeV1, CreateWritesEveryLimit) {
  Resources r;
  r.memory = 512 * kMiB;
  r.memory_swap = 1024 * kMiB;
  r.memory_reservation = 256 * kMiB;
  r.cpus = 1.5;
  r.cpu_shares = 512;
  r.cpuset_cpus = "1";
  r.pids_limit = 100;
  r.blkio_weight = 500;
  r.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}};
  auto cg = open();
  Status st = cg->create(r);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(cg->kind(), CgroupLayout::kV1);
  EXPECT_EQ(at("memory", "memory.limit_in_bytes"), "536870912");
  EXPECT_EQ(at("memory", "memory.memsw.limit_in_bytes"), "1073741824");
  EXPECT_EQ(at("memory", "memory.soft_limit_in_bytes"), "268435456");
  EXPECT_EQ(at("cpu", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(at("cpu", "cpu.cfs_quota_us"), "150000");
  EXPECT_EQ(at("cpu", "cpu.shares"), "512");
  // The v1 cpuset quirk: parents' cpus/mems are copied down before the container's value.
  EXPECT_EQ(cat(root_ + "/cpuset/berth/cpuset.cpus"), "0-3");
  EXPECT_EQ(cat(root_ + "/cpuset/berth/cpuset.mems"), "0");
  EXPECT_EQ(at("cpuset", "cpuset.cpus"), "1");
  EXPECT_EQ(at("cpuset", "cpuset.mems"), "0");
  EXPECT_EQ(at("pids", "pids.max"), "100");
  EXPECT_EQ(at("blkio", "blkio.weight"), "500");
  EXPECT_EQ(at("devices", "devices.deny"), "a *:* rwm");
  EXPECT_EQ(at("devices", "devices.allow"), "c 1:3 rwm");
  EXPECT_EQ(cg->paths().size(), 7u);  // cpu and cpuacct share one directory
}

TEST_F(FakeV1, BfqWeightAndUpdates) {
  put(dir("blkio") + "/blkio.bfq.weight", "100");
  auto cg = open();
  ASSERT_TRUE(cg->create({}).ok());
  Resources u;
  u.blkio_weight = 300;
  u.cpus = 0;
  u.memory = -1;
  u.pids_limit = 0;
  Status st = cg->update(u);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(at("blkio", "blkio.bfq.weight"), "300");
  EXPECT_EQ(at("blkio", "blkio.weight"), "100");
  EXPECT_EQ(at("cpu", "cpu.cfs_quota_us"), "-1");
  EXPECT_EQ(at("memory", "memory.limit_in_bytes"), "-1");
  EXPECT_EQ(at("pids", "pids.max"), "max");
  auto missing = open("berth/none");
  st = missing->update(u);
  EXPECT_EQ(st.error().code(), Code::kNotFound);
  EXPECT_EQ(st.error().message(), "cgroup berth/none does not exist");
}

TEST_F(FakeV1, MemoryAboveTheSwapLimitGetsDockersMessage) {
  put(dir("memory") + "/memory.memsw.limit_in_bytes", "134217728");
  Resources u;
  u.memory = 256 * kMiB;
  Status st = open()->update(u);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(st.error().message(),
            "Memory limit should be smaller than already set memoryswap limit, update the "
            "memoryswap at the same time");
  u.memory = 64 * kMiB;
  ASSERT_TRUE(open()->update(u).ok());
  EXPECT_EQ(at("memory", "memory.limit_in_bytes"), "67108864");
}

TEST_F(FakeV1, SwapWithoutSwapAccounting) {
  ASSERT_EQ(::unlink((dir("memory") + "/memory.memsw.limit_in_bytes").c_str()), 0);
  Resources r;
  r.memory = 512 * kMiB;
  ASSERT_TRUE(open()->create(r).ok());
  r.memory_swap = 1024 * kMiB;
  Status st = open()->create(r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.error().message(),
            "setting memory swap limit: your kernel does not support swap limit capabilities");
}

TEST_F(FakeV1, MissingControllerIsAPrecondition) {
  layout_.v1.erase("pids");
  Resources r;
  r.pids_limit = 10;
  Status st = open()->create(r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.error().message(), "cgroup controller pids is not mounted");
}

TEST_F(FakeV1, AddPidJoinsEveryHierarchy) {
  auto cg = open();
  ASSERT_TRUE(cg->add_pid(4321).ok());
  for (const auto& [c, mount] : layout_.v1) EXPECT_EQ(at(c, "cgroup.procs"), "4321") << c;
  auto fd = cg->path_for_clone_into_cgroup();
  ASSERT_TRUE(fd.ok());
  EXPECT_FALSE(fd->valid());  // no CLONE_INTO_CGROUP on v1
}

TEST_F(FakeV1, FreezeAndThaw) {
  auto cg = open();
  ASSERT_TRUE(cg->freeze().ok());
  EXPECT_EQ(at("freezer", "freezer.state"), "FROZEN");
  EXPECT_TRUE(cg->is_frozen().value());
  ASSERT_TRUE(cg->thaw().ok());
  EXPECT_EQ(at("freezer", "freezer.state"), "THAWED");
  EXPECT_FALSE(cg->is_frozen().value());
}

TEST_F(FakeV1, FreezeTimesOutWhenTheStateNeverSettles) {
  std::string state = dir("freezer") + "/freezer.state";
  ASSERT_EQ(::unlink(state.c_str()), 0);
  ASSERT_EQ(::symlink("/dev/null", state.c_str()), 0);  // accepts writes, reads empty
  auto cg = open("berth/c1", {std::chrono::milliseconds(30), std::chrono::milliseconds(30)});
  Status st = cg->freeze();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kUnavailable);
  EXPECT_EQ(st.error().message(),
            "timed out waiting for " + state + " to become FROZEN (it is empty)");
}

TEST_F(FakeV1, StatsAndOom) {
  files({{"memory", "memory.usage_in_bytes", "4096"},
         {"memory", "memory.stat", "cache 10\nrss 20\ntotal_inactive_file 100\n"},
         {"memory", "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"},
         {"pids", "pids.current", "3"},
         {"cpuacct", "cpuacct.usage", "123456"}});
  auto cg = open();
  auto s = cg->stats();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->memory_usage, 4096u);
  EXPECT_FALSE(s->memory_limit.has_value());  // 9223372036854771712 = unlimited
  EXPECT_EQ(s->memory_inactive_file, 100u);
  EXPECT_EQ(s->pids_current, 3u);
  EXPECT_EQ(s->cpu_usage_ns, 123456u);
  EXPECT_EQ(s->oom_kill, 2u);
  EXPECT_TRUE(cg->oom_killed().value());
  put(dir("memory") + "/memory.limit_in_bytes", "536870912");
  EXPECT_EQ(cg->stats()->memory_limit, 536870912u);
}

TEST_F(FakeV1, KillAllFreezesSignalsAndThaws) {
  Child child;
  ASSERT_GT(child.pid, 0);
  put(dir("freezer") + "/cgroup.procs", std::to_string(child.pid) + "\n");
  auto pids = open()->pids();
  ASSERT_TRUE(pids.ok());
  EXPECT_THAT(*pids, ElementsAre(child.pid));
  ASSERT_TRUE(open()->kill_all(SIGKILL).ok());
  EXPECT_EQ(child.wait_signal(), SIGKILL);
  EXPECT_EQ(at("freezer", "freezer.state"), "THAWED");
}

TEST_F(FakeV1, DestroyRemovesEveryHierarchysDirectory) {
  for (const auto& [c, mount] : layout_.v1) ASSERT_TRUE(mkdir_all(mount + "/berth/c2/sub").ok());
  auto cg = open("berth/c2");
  Status st = cg->destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  for (const std::string& p : cg->paths()) EXPECT_FALSE(path_exists(p)) << p;
  EXPECT_TRUE(path_exists(root_ + "/memory/berth"));
  EXPECT_TRUE(cg->destroy().ok());
}

// --- the v2 device filter, checked by running the program on a tiny interpreter ---

// Runs the subset of eBPF that device_filter_program emits.
int run_filter(const std::vector<bpf_insn>& prog, uint32_t type, uint32_t access, uint32_t major,
               uint32_t minor) {
  uint64_t reg[11] = {};
  uint32_t ctx[3] = {access << 16 | type, major, minor};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    uint64_t imm = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        reg[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU64 | BPF_MOV | BPF_X:
        reg[i.dst_reg] = reg[i.src_reg];
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        reg[i.dst_reg] = imm;
        break;
      case BPF_ALU64 | BPF_AND | BPF_K:
        reg[i.dst_reg] &= imm;
        break;
      case BPF_ALU64 | BPF_RSH | BPF_K:
        reg[i.dst_reg] >>= i.imm;
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (reg[i.dst_reg] != imm) pc += i.off;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        if (reg[i.dst_reg] == imm) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(reg[0]);
      default:
        ADD_FAILURE() << "unexpected opcode " << int(i.code);
        return -1;
    }
  }
  ADD_FAILURE() << "fell off the end";
  return -1;
}

constexpr uint32_t kChar = BPF_DEVCG_DEV_CHAR, kBlock = BPF_DEVCG_DEV_BLOCK;
constexpr uint32_t kR = BPF_DEVCG_ACC_READ, kW = BPF_DEVCG_ACC_WRITE, kM = BPF_DEVCG_ACC_MKNOD;

TEST(CgroupDeviceFilter, LastMatchingRuleWins) {
  auto p = internal::device_filter_program({{false, 'a', -1, -1, "rwm"},
                                            {true, 'c', 1, 3, "rwm"},
                                            {true, 'c', 1, 5, "r"},
                                            {true, 'b', 8, -1, "rw"},
                                            {false, 'c', 1, 3, "w"}});
  EXPECT_EQ(run_filter(p, kChar, kR, 1, 3), 1);       // /dev/null read
  EXPECT_EQ(run_filter(p, kChar, kR | kW, 1, 3), 0);  // write denied by the last rule
  EXPECT_EQ(run_filter(p, kChar, kM, 1, 3), 1);
  EXPECT_EQ(run_filter(p, kChar, kR, 1, 5), 1);  // /dev/zero read only
  EXPECT_EQ(run_filter(p, kChar, kR | kW, 1, 5), 0);
  EXPECT_EQ(run_filter(p, kBlock, kR | kW, 8, 17), 1);  // any sd minor
  EXPECT_EQ(run_filter(p, kBlock, kM, 8, 17), 0);
  EXPECT_EQ(run_filter(p, kChar, kR, 8, 17), 0);  // type matters
  EXPECT_EQ(run_filter(p, kChar, kR, 1, 7), 0);   // /dev/full: deny-all
}

TEST(CgroupDeviceFilter, UnmatchedIsAllowedAndAllowAllEndsTheProgram) {
  auto p = internal::device_filter_program({{false, 'c', 10, 200, "rwm"}});
  EXPECT_EQ(run_filter(p, kChar, kR, 10, 200), 0);
  EXPECT_EQ(run_filter(p, kChar, kR, 1, 3), 1);
  // Nothing after an unconditional rule is reachable, and the verifier refuses dead code.
  auto all =
      internal::device_filter_program({{false, 'c', 1, 3, "rwm"}, {true, 'a', -1, -1, "rwm"}});
  EXPECT_EQ(all.size(), 9u);  // 7 loads + "r0 = 1; exit"
  EXPECT_EQ(run_filter(all, kChar, kR | kW, 1, 3), 1);
}

}  // namespace
}  // namespace berth::runtime
