// Tests of runtime/cgroup.h against this host's real cgroups (root): cgroups named
// berth-test-<pid>* are created, checked through the kernel's own files and always removed, even
// when an assertion fails. Without write access to cgroupfs they assert the permission error.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/scope_exit.h"
#include "runtime/cgroup.h"
#include "runtime/internal/cgroup_testing.h"

namespace berth::runtime {
namespace {

using cgroup_testing::cat;
using cgroup_testing::Child;
using cgroup_testing::kMiB;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Whether this process can make cgroups under `dir` (root, and cgroupfs not read-only).
bool writable(const std::string& dir) { return ::access(dir.c_str(), W_OK) == 0; }

// A child that waits for a byte on `go`, then runs `body` and exits with its result.
template <typename F>
pid_t fork_waiting(int go_read, F body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    char c;
    if (::read(go_read, &c, 1) != 1) ::_exit(100);
    ::_exit(body());
  }
  return pid;
}

int wait_status(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(CgroupRealHost, CreateLimitStatsFreezeKillDestroy) {
  auto layout = detect_cgroups();
  ASSERT_TRUE(layout.ok()) << layout.error().message();
  std::string name = "berth-test-" + std::to_string(::getpid());
  auto opened = open_cgroup(*layout, name);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Cgroup> cg = std::move(*opened);
  Resources r;
  r.memory = 64 * kMiB;
  r.pids_limit = 32;
  r.cpus = 0.5;
  bool v1 = cg->kind() == CgroupLayout::kV1;
  std::string mem_dir = v1 ? layout->v1.at("memory") + "/" + name : layout->unified + "/" + name;
  if (!writable(dirname(mem_dir))) {
    Status st = cg->create(r);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), Code::kPermissionDenied) << st.error().message();
    EXPECT_THAT(st.error().message(), HasSubstr("creating cgroup " + name + ": mkdir "));
    return;
  }
  ScopeExit cleanup([&] { (void)cg->destroy(); });
  Status st = cg->create(r);
  ASSERT_TRUE(st.ok()) << st.error().message();
  if (v1) {
    EXPECT_EQ(cat(mem_dir + "/memory.limit_in_bytes"), "67108864");
    EXPECT_EQ(cat(layout->v1.at("pids") + "/" + name + "/pids.max"), "32");
    EXPECT_EQ(cat(layout->v1.at("cpu") + "/" + name + "/cpu.cfs_quota_us"), "50000");
  } else {
    EXPECT_EQ(cat(mem_dir + "/memory.max"), "67108864");
    EXPECT_EQ(cat(mem_dir + "/pids.max"), "32");
    EXPECT_EQ(cat(mem_dir + "/cpu.max"), "50000 100000");
  }

  int go[2], done[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(done, O_CLOEXEC), 0);
  pid_t child = fork_waiting(go[0], [&] {
    // Touch 8 MiB so the cgroup is charged, say so, then wait to be killed.
    constexpr size_t kSize = 8 << 20;
    void* mem = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return 102;
    volatile char* p = static_cast<volatile char*>(mem);
    for (size_t i = 0; i < kSize; i += 4096) p[i] = 1;
    if (::write(done[1], "x", 1) != 1) return 101;
    while (true) ::pause();
  });
  ASSERT_GT(child, 0);
  ScopeExit reap([&] {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  });
  st = cg->add_pid(child);
  ASSERT_TRUE(st.ok()) << st.error().message();
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  char c;
  ASSERT_EQ(::read(done[0], &c, 1), 1);
  for (int fd : {go[0], go[1], done[0], done[1]}) ::close(fd);

  // "0::/<name>" on v2; "4:memory:/<name>" and one line per other hierarchy on v1.
  EXPECT_THAT(cat("/proc/" + std::to_string(child) + "/cgroup"),
              HasSubstr((v1 ? ":memory:/" : "0::/") + name));
  auto pids = cg->pids();
  ASSERT_TRUE(pids.ok()) << pids.error().message();
  EXPECT_THAT(*pids, ElementsAre(child));
  auto s = cg->stats();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_GE(s->memory_usage, uint64_t{8} << 20);
  EXPECT_EQ(s->memory_limit, uint64_t{64} << 20);
  EXPECT_EQ(s->pids_current, 1u);
  EXPECT_GT(s->cpu_usage_ns, 0u);
  auto oom = cg->oom_killed();
  ASSERT_TRUE(oom.ok()) << oom.error().message();
  EXPECT_FALSE(*oom);

  st = cg->freeze();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(cg->is_frozen().ok() && *cg->is_frozen());
  st = cg->thaw();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(cg->is_frozen().ok() && !*cg->is_frozen());

  // Raising then lowering memory with swap: on v1 the kernel refuses limit_in_bytes above
  // memsw.limit_in_bytes at any moment, so this checks the write order.
  std::string swap_file = mem_dir + (v1 ? "/memory.memsw.limit_in_bytes" : "/memory.swap.max");
  for (int64_t mem : {256 * kMiB, 32 * kMiB}) {
    Resources u;
    u.memory = mem;
    u.memory_swap = mem * 2;
    st = cg->update(u);
    if (!path_exists(swap_file)) {
      EXPECT_EQ(st.error().message(),
                "setting memory swap limit: your kernel does not support swap limit capabilities");
      continue;
    }
    ASSERT_TRUE(st.ok()) << st.error().message();
    EXPECT_EQ(cat(swap_file), std::to_string(v1 ? mem * 2 : mem));
    EXPECT_EQ(cat(mem_dir + (v1 ? "/memory.limit_in_bytes" : "/memory.max")), std::to_string(mem));
  }

  // The kernel's own refusal, with file and value in the message.
  std::string cpuset_dir = v1 ? layout->v1.at("cpuset") + "/" + name : mem_dir;
  Resources bad;
  bad.cpuset_cpus = "nope";
  st = cg->update(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(st.error().message(),
            "writing nope to " + cpuset_dir + "/cpuset.cpus: Invalid argument");

  if (v1) {
    Resources dev;
    dev.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "r"}};
    st = cg->update(dev);
    ASSERT_TRUE(st.ok()) << st.error().message();
    EXPECT_EQ(cat(layout->v1.at("devices") + "/" + name + "/devices.list"), "c 1:3 rwm\nc 1:5 r");
  }

  st = cg->kill_all(SIGKILL);
  ASSERT_TRUE(st.ok()) << st.error().message();
  int status = wait_status(child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  reap.dismiss();

  std::vector<std::string> paths = cg->paths();
  st = cg->destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  for (const std::string& p : paths) EXPECT_FALSE(path_exists(p)) << p;
}

// The v2 code paths against a real cgroup2 hierarchy: on this hybrid host that is the
// controller-less mount at /sys/fs/cgroup/unified, where freezing, cgroup.kill and device
// filters work without any controller.
TEST(CgroupRealHost, V2DeviceFilterFreezeAndKill) {
  auto host = detect_cgroups();
  ASSERT_TRUE(host.ok()) << host.error().message();
  if (host->unified.empty()) GTEST_SKIP() << "no cgroup2 mount on this host";
  CgroupLayout layout{CgroupLayout::kV2, host->root, {}, host->unified};
  std::string name = "berth-test-" + std::to_string(::getpid()) + "-v2";
  auto opened = open_cgroup(layout, name);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Cgroup> cg = std::move(*opened);
  Resources r;
  r.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "r"}};
  if (!writable(layout.unified)) {
    Status st = cg->create(r);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), Code::kPermissionDenied) << st.error().message();
    return;
  }
  ScopeExit cleanup([&] { (void)cg->destroy(); });
  Status st = cg->create(r);
  ASSERT_TRUE(st.ok()) << st.error().message();

  // Each probe is a child that joins the cgroup and reports which opens worked, one bit each:
  // /dev/null rw, /dev/zero r, /dev/zero w, /dev/full r.
  auto probe = [&]() -> int {
    int go[2];
    if (::pipe2(go, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork_waiting(go[0], [] {
      int bits = 0;
      const std::pair<const char*, int> tries[] = {{"/dev/null", O_RDWR},
                                                   {"/dev/zero", O_RDONLY},
                                                   {"/dev/zero", O_WRONLY},
                                                   {"/dev/full", O_RDONLY}};
      for (int i = 0; i < 4; ++i) {
        int fd = ::open(tries[i].first, tries[i].second | O_CLOEXEC);
        if (fd >= 0) bits |= 1 << i, ::close(fd);
      }
      return bits;
    });
    Status added = cg->add_pid(pid);
    EXPECT_TRUE(added.ok()) << added.error().message();
    EXPECT_EQ(::write(go[1], "x", 1), 1);
    ::close(go[0]);
    ::close(go[1]);
    int status = wait_status(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(probe(), 0b0011);
  Resources u;
  u.devices = {{true, 'a', -1, -1, "rwm"}, {false, 'c', 1, 7, "r"}};
  st = cg->update(u);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(probe(), 0b0111);  // the old filter is gone: /dev/zero is writable again

  Child child;
  ASSERT_GT(child.pid, 0);
  ASSERT_TRUE(cg->add_pid(child.pid).ok());
  auto pids = cg->pids();
  ASSERT_TRUE(pids.ok());
  EXPECT_THAT(*pids, ElementsAre(child.pid));
  st = cg->freeze();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(cg->is_frozen().ok() && *cg->is_frozen());
  ASSERT_TRUE(cg->thaw().ok());
  ASSERT_TRUE(cg->kill_all(SIGKILL).ok());
  EXPECT_EQ(child.wait_signal(), SIGKILL);
  auto fd = cg->path_for_clone_into_cgroup();
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  EXPECT_TRUE(fd->valid());
  fd->reset();
  st = cg->destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_FALSE(path_exists(layout.unified + "/" + name));
}

}  // namespace
}  // namespace berth::runtime
