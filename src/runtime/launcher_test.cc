// Real containers (needs root, as CI runs): a busybox root file system, Docker's default spec,
// and what a user checks inside: capabilities, seccomp, fds, masked paths, hostname, exit codes.
#include "runtime/launcher.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <csignal>
#include <unistd.h>

#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

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
    if (hooks_) {
      spec->hooks = hooks_;
      spec->annotations["org.example.test"] = "hooks";
      lo.hook_id = "hooktest";
      lo.hook_bundle = dir_->path();
    }
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

  // A shell hook that appends its name to <dir>/order and keeps its stdin (the state) and its
  // mount namespace in <dir>/<name>.state and <dir>/<name>.mntns.
  oci::Hook recording_hook(const std::string& name, const std::string& extra = "") {
    std::string script = path_join(dir_->path(), name + ".sh");
    std::string d = dir_->path();
    EXPECT_TRUE(atomic_write_file(script, "#!/bin/sh\necho " + name + " >> " + d + "/order\ncat > " +
                                              d + "/" + name + ".state\nreadlink /proc/self/ns/mnt > " +
                                              d + "/" + name + ".mntns\n" + extra + "\n")
                    .ok());
    ::chmod(script.c_str(), 0755);
    oci::Hook h;
    h.path = script;
    h.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    return h;
  }

  std::unique_ptr<TempDir> dir_;
  std::string rootfs_;
  std::optional<oci::Hooks> hooks_;
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


TEST_F(LauncherTest, HooksRunInOrderWhereTheSpecSays) {
  ASSERT_EQ(geteuid(), 0u);
  oci::Hooks h;
  h.prestart.push_back(recording_hook("prestart"));
  h.create_runtime.push_back(recording_hook("createRuntime"));
  h.create_container.push_back(recording_hook("createContainer"));
  // startContainer runs after pivot_root: its path is the container's.
  ASSERT_TRUE(atomic_write_file(path_join(rootfs_, "bin/start-hook"),
                                "#!/bin/sh\ncat > /tmp/startContainer.state\n")
                  .ok());
  ::chmod(path_join(rootfs_, "bin/start-hook").c_str(), 0755);
  oci::Hook start;
  start.path = "/bin/start-hook";
  h.start_container.push_back(start);
  h.poststart.push_back(recording_hook("poststart"));
  hooks_ = h;
  auto [code, out] = run({"sh", "-c", "echo ran"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "ran\n");
  std::string d = dir_->path();
  EXPECT_EQ(*read_file(path_join(d, "order")), "prestart\ncreateRuntime\ncreateContainer\npoststart\n");
  std::error_code ec;
  auto host_ns = std::optional<std::string>(std::filesystem::read_symlink("/proc/self/ns/mnt", ec).string());
  ASSERT_FALSE(ec);
  // The runtime's hooks see our mount namespace, createContainer the container's.
  EXPECT_EQ(*read_file(path_join(d, "createRuntime.mntns")), *host_ns + "\n");
  EXPECT_NE(*read_file(path_join(d, "createContainer.mntns")), *host_ns + "\n");
  auto created = nlohmann::json::parse(*read_file(path_join(d, "createRuntime.state")));
  EXPECT_EQ(created["id"], "hooktest");
  EXPECT_EQ(created["status"], "creating");
  EXPECT_EQ(created["bundle"], d);
  EXPECT_GT(created["pid"].get<int>(), 1);  // the host's pid
  EXPECT_EQ(created["annotations"]["org.example.test"], "hooks");
  auto in_ctr = nlohmann::json::parse(*read_file(path_join(d, "createContainer.state")));
  EXPECT_EQ(in_ctr["pid"], 1);  // as runc: the pid the container's namespace knows
  EXPECT_EQ(in_ctr["status"], "creating");
  auto started = nlohmann::json::parse(*read_file(path_join(rootfs_, "tmp/startContainer.state")));
  EXPECT_EQ(started["status"], "created");
  EXPECT_EQ(started["id"], "hooktest");
  auto post = nlohmann::json::parse(*read_file(path_join(d, "poststart.state")));
  EXPECT_EQ(post["status"], "running");
  EXPECT_EQ(post["pid"], created["pid"]);
}

TEST_F(LauncherTest, AFailingHookFailsTheStartAndNamesIt) {
  ASSERT_EQ(geteuid(), 0u);
  oci::Hooks h;
  h.create_runtime.push_back(recording_hook("createRuntime", "exit 3"));
  hooks_ = h;
  auto [code, msg] = run({"sh", "-c", "echo ran"});
  EXPECT_EQ(code, 125);
  EXPECT_NE(msg.find("createRuntime hook " + path_join(dir_->path(), "createRuntime.sh") +
                     " failed with status 3"),
            std::string::npos)
      << msg;
  EXPECT_FALSE(host_mounts_mention(rootfs_)) << "the killed child leaves no mount behind";

  oci::Hooks in_ctr;
  in_ctr.create_container.push_back(recording_hook("createContainer", "exit 4"));
  hooks_ = in_ctr;
  auto [code2, msg2] = run({"sh", "-c", "echo ran"});
  EXPECT_EQ(code2, 125);
  EXPECT_NE(msg2.find("createContainer hook"), std::string::npos) << msg2;
  EXPECT_NE(msg2.find("failed with status 4"), std::string::npos) << msg2;
  EXPECT_EQ(msg2.find("ran"), std::string::npos);
}

TEST_F(LauncherTest, AHookPastItsTimeoutIsKilled) {
  ASSERT_EQ(geteuid(), 0u);
  oci::Hooks h;
  oci::Hook slow = recording_hook("createContainer", "sleep 30");
  slow.timeout = 1;
  h.create_container.push_back(slow);
  hooks_ = h;
  auto t0 = std::chrono::steady_clock::now();
  auto [code, msg] = run({"true"});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(code, 125);
  EXPECT_NE(msg.find("timed out after 1s"), std::string::npos) << msg;
}

}  // namespace
}  // namespace berth::runtime
