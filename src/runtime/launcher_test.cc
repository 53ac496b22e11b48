// Real containers (needs root, as CI runs): a busybox root file system, Docker's default spec,
// and what a user checks inside: capabilities, seccomp, fds, masked paths, hostname, exit codes.
#include "runtime/launcher.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <csignal>
#include <unistd.h>

#include <sys/resource.h>

#include <fstream>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "runtime/caps.h"
#include "runtime/spec.h"

namespace berth::runtime {
namespace {

class LauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("/tmp", "berth-launch-test-");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
    rootfs_ = path_join(dir_->path(), "rootfs");
    for (const char* sub : {"bin", "etc", "proc", "sys", "dev", "tmp"})
      ASSERT_TRUE(mkdir_all(path_join(rootfs_, sub)).ok());
    // A static busybox is the whole userland: one binary, one link per applet used here.
    std::ifstream src("/bin/busybox", std::ios::binary);
    ASSERT_TRUE(src.good()) << "/bin/busybox missing (apt-get install busybox-static)";
    std::ofstream dst(path_join(rootfs_, "bin/busybox"), std::ios::binary);
    dst << src.rdbuf();
    dst.close();
    ::chmod(path_join(rootfs_, "bin/busybox").c_str(), 0755);
    for (const char* applet : {"sh", "cat", "grep", "ls", "hostname", "mount", "echo", "id"})
      ::symlink("busybox", path_join(rootfs_, std::string("bin/") + applet).c_str());
    ASSERT_TRUE(atomic_write_file(path_join(rootfs_, "etc/passwd"),
                                  "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n")
                    .ok());
  }

  // Runs `args` in a container with Docker's defaults; returns {exit status, stdout+stderr}.
  std::pair<int, std::string> run(std::vector<std::string> args, RunOptions o = {}) {
    o.rootfs = rootfs_;
    o.command = std::move(args);
    o.hostname = "berthtest";
    o.capabilities = o.privileged ? all_caps() : docker_default_caps();
    if (!o.privileged) o.seccomp = to_oci_seccomp(default_seccomp_profile(), o.capabilities);
    auto spec = build_spec(o);
    EXPECT_TRUE(spec.ok()) << spec.error().message();
    int out[2];
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    LaunchOptions lo;
    lo.stdout_fd = out[1];
    lo.stderr_fd = out[1];
    auto l = launch(*spec, lo);
    ::close(out[1]);
    std::string output;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0) output.append(buf, static_cast<size_t>(n));
    ::close(out[0]);
    if (!l.ok()) return {exit_code_for(l.error()), l.error().message()};
    int status = 0;
    ::waitpid(l->pid, &status, 0);
    return {docker_exit_status(status), output};
  }

  std::unique_ptr<TempDir> dir_;
  std::string rootfs_;
};

bool host_mounts_mention(const std::string& path) {
  auto mi = read_file("/proc/self/mountinfo");
  return mi.ok() && mi->find(path) != std::string::npos;
}

TEST_F(LauncherTest, DefaultIsolationAsDockerHasIt) {
  ASSERT_EQ(geteuid(), 0u) << "container tests run as root (CI does)";
  auto [code, out] = run({"sh", "-c",
                          "grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status; "
                          "hostname; [ -c /proc/timer_list ] && echo masked; echo pid=$$"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("CapEff:\t00000000a80425fb"), std::string::npos) << out;
  EXPECT_NE(out.find("CapBnd:\t00000000a80425fb"), std::string::npos) << out;
  EXPECT_NE(out.find("Seccomp:\t2"), std::string::npos) << out;
  EXPECT_NE(out.find("berthtest\n"), std::string::npos) << out;
  EXPECT_NE(out.find("masked\n"), std::string::npos) << "/proc/timer_list must be masked: " << out;
  EXPECT_NE(out.find("pid=1"), std::string::npos) << "own pid namespace: " << out;
  EXPECT_FALSE(host_mounts_mention(rootfs_)) << "no mount may leak onto the host";
}

TEST_F(LauncherTest, OnlyStdioReachesTheContainer) {
  ASSERT_EQ(geteuid(), 0u);
  // Open an fd without O_CLOEXEC, as a careless caller would: it must not leak inside.
  int leak = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leak, 3);
  auto [code, out] = run({"ls", "/proc/self/fd"});
  ::close(leak);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "0\n1\n2\n3\n") << "only stdio (and ls's own directory fd 3) may be open";
}

TEST_F(LauncherTest, MountIsRefusedUnlessPrivileged) {
  ASSERT_EQ(geteuid(), 0u);
  auto [code, out] = run({"sh", "-c", "mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted"});
  EXPECT_NE(code, 0) << out;
  EXPECT_EQ(out.find("mounted"), std::string::npos) << out;
  RunOptions priv;
  priv.privileged = true;
  auto [pcode, pout] = run({"sh", "-c", "mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted"},
                           priv);
  EXPECT_EQ(pcode, 0) << pout;
  EXPECT_NE(pout.find("mounted"), std::string::npos) << pout;
}

TEST_F(LauncherTest, ExitCodesAsDocker) {
  ASSERT_EQ(geteuid(), 0u);
  EXPECT_EQ(run({"sh", "-c", "exit 3"}).first, 3);
  auto [nf, nf_msg] = run({"no-such-command"});
  EXPECT_EQ(nf, 127);
  EXPECT_EQ(nf_msg,
            "unable to start container process: exec: \"no-such-command\": executable file not "
            "found in $PATH");
  auto [ne, ne_msg] = run({"/etc"});
  EXPECT_EQ(ne, 126) << ne_msg;
  // PID 1 ignores signals it has no handler for, even SIGKILL from inside: a child killed by a
  // signal shows as 128 + n through the shell; a container killed from outside as below.
  EXPECT_EQ(run({"sh", "-c", "sh -c 'kill -9 $$'; exit $?"}).first, 137);
  EXPECT_EQ(docker_exit_status(SIGKILL), 137);  // wait status of a process killed by SIGKILL
  EXPECT_EQ(docker_exit_status(3 << 8), 3);
}

TEST_F(LauncherTest, UserAndReadOnlyRoot) {
  ASSERT_EQ(geteuid(), 0u);
  RunOptions o;
  o.user = "nobody";
  o.passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n";
  o.read_only = true;
  auto [code, out] = run({"sh", "-c", "id -u; echo x > /newfile || echo readonly"}, o);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("65534\n"), std::string::npos) << out;
  EXPECT_NE(out.find("readonly"), std::string::npos) << out;
}

TEST_F(LauncherTest, RlimitAboveTheHardLimitIsAClearError) {
  ASSERT_EQ(geteuid(), 0u);
  struct rlimit cur;
  ::getrlimit(RLIMIT_MEMLOCK, &cur);
  if (cur.rlim_max == RLIM_INFINITY) {
    // This host can grant anything: then the container must get it.
    RunOptions o;
    o.ulimits = {"memlock=-1"};
    EXPECT_EQ(run({"sh", "-c", "ulimit -l"}, o).second, "unlimited\n");
    return;
  }
  RunOptions o;
  o.ulimits = {"memlock=-1"};
  auto [code, msg] = run({"true"}, o);
  EXPECT_EQ(code, 125);
  EXPECT_NE(msg.find("cannot raise the memlock limit to unlimited"), std::string::npos) << msg;
}

}  // namespace
}  // namespace berth::runtime
