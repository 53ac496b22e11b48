// exec into real containers (needs root, as CI runs) and the launcher's start gate.
#include "runtime/exec.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <set>

#include "base/fs.h"
#include "runtime/caps.h"
#include "runtime/cgroup.h"
#include "runtime/spec.h"

namespace berth::runtime {
namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

class ExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "container tests run as root (CI does)";
    auto d = TempDir::create("/tmp", "berth-exec-test-");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
    rootfs_ = path_join(dir_->path(), "rootfs");
    for (const char* sub : {"bin", "etc", "proc", "sys", "dev", "tmp"})
      ASSERT_TRUE(mkdir_all(path_join(rootfs_, sub)).ok());
    std::ifstream src("/bin/busybox", std::ios::binary);
    ASSERT_TRUE(src.good()) << "/bin/busybox missing (apt-get install busybox-static)";
    std::ofstream dst(path_join(rootfs_, "bin/busybox"), std::ios::binary);
    dst << src.rdbuf();
    dst.close();
    ::chmod(path_join(rootfs_, "bin/busybox").c_str(), 0755);
    for (const char* applet : {"sh", "cat", "grep", "ls", "hostname", "sleep", "echo", "id", "tty"})
      ::symlink("busybox", path_join(rootfs_, std::string("bin/") + applet).c_str());
    ASSERT_TRUE(
        atomic_write_file(path_join(rootfs_, "etc/passwd"),
                          "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n")
            .ok());
  }

  void TearDown() override {
    if (init_ > 0) {
      ::kill(init_, SIGKILL);
      ::waitpid(init_, nullptr, 0);
    }
    if (cgroup_) (void)cgroup_->destroy();
    // The shared parent goes too once empty (rmdir fails while another test's cgroup is in it).
    if (auto layout = detect_cgroups(); layout.ok()) {
      std::set<std::string> mounts;
      for (const auto& [controller, mount] : layout->v1) mounts.insert(mount);
      if (!layout->unified.empty()) mounts.insert(layout->unified);
      for (const auto& m : mounts) ::rmdir(path_join(m, "berth-exec-test").c_str());
    }
  }

  oci::RuntimeSpec spec_for(std::vector<std::string> args, RunOptions o = {}) {
    o.rootfs = rootfs_;
    o.command = std::move(args);
    o.hostname = "exectest";
    o.capabilities = docker_default_caps();
    o.seccomp = to_oci_seccomp(default_seccomp_profile(), o.capabilities);
    auto spec = build_spec(o);
    EXPECT_TRUE(spec.ok()) << spec.error().message();
    return *spec;
  }

  // A container whose first process sleeps, in its own cgroup.
  void start_container() {
    spec_ = spec_for({"sleep", "1000"});
    auto layout = detect_cgroups();
    ASSERT_TRUE(layout.ok()) << layout.error().message();
    auto cg = open_cgroup(*layout, "berth-exec-test/" + basename(dir_->path()));
    ASSERT_TRUE(cg.ok());
    cgroup_ = std::move(*cg);
    ASSERT_TRUE(cgroup_->create({}).ok());
    LaunchOptions lo;
    lo.cgroup = cgroup_.get();
    auto l = launch(spec_, lo);
    ASSERT_TRUE(l.ok()) << l.error().message();
    init_ = l->pid;
  }

  // Runs `args` in the container; {exit status, stdout+stderr}.
  std::pair<int, std::string> exec(std::vector<std::string> args, oci::Process p = {}) {
    p.args = std::move(args);
    if (p.env.empty()) p.env = {"PATH=/bin"};
    if (!p.capabilities) p.capabilities = spec_.process->capabilities;
    int out[2];
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    ExecOptions eo;
    eo.stdout_fd = out[1];
    eo.stderr_fd = out[1];
    auto l = exec_in_container(init_, spec_, p, eo);
    ::close(out[1]);
    std::string output = read_all(out[0]);
    ::close(out[0]);
    if (!l.ok()) return {exit_code_for(l.error()), l.error().message()};
    int status = 0;
    ::waitpid(l->pid, &status, 0);
    return {docker_exit_status(status), output};
  }

  std::unique_ptr<TempDir> dir_;
  std::string rootfs_;
  oci::RuntimeSpec spec_;
  pid_t init_ = -1;
  std::unique_ptr<Cgroup> cgroup_;
};

TEST_F(ExecTest, JoinsTheContainersNamespacesAndConfinement) {
  start_container();
  auto [code, out] = exec({"sh", "-c",
                           "hostname; cat /proc/1/cmdline; echo; echo pid=$$; "
                           "grep -E '^(CapEff|Seccomp):' /proc/self/status; ls /proc/self/fd"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("exectest\n"), std::string::npos) << "uts namespace: " << out;
  EXPECT_NE(out.find(std::string("sleep") + '\0' + "1000"), std::string::npos)
      << "pid namespace: the container's init is pid 1: " << out;
  EXPECT_EQ(out.find("pid=1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("CapEff:\t00000000a80425fb"), std::string::npos) << out;
  EXPECT_NE(out.find("Seccomp:\t2"), std::string::npos) << out;
  EXPECT_NE(out.find("\n0\n1\n2\n3\n"), std::string::npos) << "only stdio may be open: " << out;
}

TEST_F(ExecTest, JoinsTheContainersCgroup) {
  start_container();
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  oci::Process p;
  p.args = {"sleep", "30"};
  p.env = {"PATH=/bin"};
  ExecOptions eo;
  eo.stdout_fd = out[1];
  auto l = exec_in_container(init_, spec_, p, eo);
  ::close(out[1]);
  ::close(out[0]);
  ASSERT_TRUE(l.ok()) << l.error().message();
  auto pids = cgroup_->pids();
  ::kill(l->pid, SIGKILL);
  ::waitpid(l->pid, nullptr, 0);
  ASSERT_TRUE(pids.ok());
  EXPECT_NE(std::find(pids->begin(), pids->end(), l->pid), pids->end())
      << "the exec'd process must be in the container's cgroup";
}

TEST_F(ExecTest, UserWorkdirAndExitCodes) {
  start_container();
  oci::Process p;
  p.user.uid = 65534;
  p.user.gid = 65534;
  p.cwd = "/tmp";
  auto [code, out] = exec({"sh", "-c", "id -u; pwd; exit 7"}, p);
  EXPECT_EQ(code, 7);
  EXPECT_EQ(out, "65534\n/tmp\n");
  auto [nf, msg] = exec({"no-such-command"});
  EXPECT_EQ(nf, 127) << msg;
  EXPECT_NE(msg.find("executable file not found in $PATH"), std::string::npos) << msg;
  EXPECT_EQ(exec({"/etc"}).first, 126);
}

TEST_F(ExecTest, TerminalComesBackAsAPtyMaster) {
  start_container();
  oci::Process p;
  p.terminal = true;
  p.args = {"sh", "-c", "tty; echo done"};
  p.env = {"PATH=/bin"};
  auto l = exec_in_container(init_, spec_, p);
  ASSERT_TRUE(l.ok()) << l.error().message();
  ASSERT_TRUE(l->console.valid());
  std::string out;
  char buf[512];
  while (true) {
    struct pollfd pfd {
      l->console.get(), POLLIN, 0
    };
    if (::poll(&pfd, 1, 5000) <= 0) break;
    ssize_t n = ::read(l->console.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  ::waitpid(l->pid, &status, 0);
  EXPECT_EQ(docker_exit_status(status), 0);
  EXPECT_NE(out.find("/dev/pts/"), std::string::npos) << out;
  EXPECT_NE(out.find("done"), std::string::npos) << out;
}

TEST_F(ExecTest, AGoneContainerIsNotFound) {
  start_container();
  ::kill(init_, SIGKILL);
  ::waitpid(init_, nullptr, 0);
  init_ = -1;
  oci::Process p;
  p.args = {"true"};
  auto l = exec_in_container(999999999, spec_, p);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code(), Code::kNotFound) << l.error().message();
}

TEST(StartGate, TheCommandRunsOnlyWhenTheGateOpens) {
  ASSERT_EQ(geteuid(), 0u);
  auto d = TempDir::create("/tmp", "berth-gate-test-");
  ASSERT_TRUE(d.ok());
  std::string rootfs = path_join(d->path(), "rootfs");
  ASSERT_TRUE(mkdir_all(path_join(rootfs, "bin")).ok());
  std::ifstream src("/bin/busybox", std::ios::binary);
  std::ofstream dst(path_join(rootfs, "bin/sh"), std::ios::binary);
  dst << src.rdbuf();
  dst.close();
  ::chmod(path_join(rootfs, "bin/sh").c_str(), 0755);
  RunOptions o;
  o.rootfs = rootfs;
  o.command = {"/bin/sh", "-c", "echo started"};
  o.capabilities = docker_default_caps();
  auto spec = build_spec(o);
  ASSERT_TRUE(spec.ok());
  int out[2], gate[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(gate, O_CLOEXEC), 0);
  LaunchOptions lo;
  lo.stdout_fd = out[1];
  lo.start_gate_fd = gate[0];
  auto l = launch(*spec, lo);
  ::close(out[1]);
  ::close(gate[0]);
  ASSERT_TRUE(l.ok()) << l.error().message();
  struct pollfd pfd {
    out[0], POLLIN, 0
  };
  EXPECT_EQ(::poll(&pfd, 1, 300), 0) << "nothing may run before the gate opens";
  int status = 0;
  EXPECT_EQ(::waitpid(l->pid, &status, WNOHANG), 0) << "the process waits at the gate";
  ASSERT_EQ(::write(gate[1], "g", 1), 1);
  ::close(gate[1]);
  EXPECT_EQ(read_all(out[0]), "started\n");
  ::close(out[0]);
  ::waitpid(l->pid, &status, 0);
  EXPECT_EQ(docker_exit_status(status), 0);

  // A command that is not there fails the launch itself, before the gate (as runc's create).
  o.command = {"no-such-command"};
  auto missing = build_spec(o);
  ASSERT_TRUE(missing.ok());
  int gate2[2];
  ASSERT_EQ(::pipe2(gate2, O_CLOEXEC), 0);
  lo.stdout_fd = -1;
  lo.start_gate_fd = gate2[0];
  auto bad = launch(*missing, lo);
  ::close(gate2[0]);
  ::close(gate2[1]);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(exit_code_for(bad.error()), 127) << bad.error().message();
}

}  // namespace
}  // namespace berth::runtime
