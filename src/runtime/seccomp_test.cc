#include "runtime/seccomp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/fs.h"
#include "base/strings.h"
#include "runtime/caps.h"

namespace berth::runtime {
namespace {

using ::testing::ElementsAre;

// Golden cases resolve against a fixed target so they do not depend on the build machine.
const SeccompTarget kGoldenTarget{"amd64", {6, 1}};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  for (auto& l : split(text, '\n'))
    if (!trim(l).empty()) out.emplace_back(trim(l));
  return out;
}

TEST(SeccompGolden, EveryCase) {
  std::filesystem::path root = std::filesystem::path(BERTH_TESTDATA_DIR) / "seccomp";
  int cases = 0;
  for (const auto& dir : std::filesystem::directory_iterator(root)) {
    SCOPED_TRACE(dir.path().filename().string());
    ++cases;
    auto parsed = parse_seccomp_profile(slurp(dir.path() / "profile.json"));
    if (std::filesystem::exists(dir.path() / "error.txt")) {
      ASSERT_FALSE(parsed.ok());
      EXPECT_EQ(parsed.error().message(), trim(slurp(dir.path() / "error.txt")));
      EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    std::vector<std::string> caps;
    if (std::filesystem::exists(dir.path() / "caps.txt"))
      caps = lines(slurp(dir.path() / "caps.txt"));
    nlohmann::json want = nlohmann::json::parse(slurp(dir.path() / "oci.json"));
    nlohmann::json got = to_oci_seccomp(*parsed, caps, kGoldenTarget);
    EXPECT_EQ(got, want) << got.dump(2);
    // The OCI form reads back to the same resolved profile.
    auto back = from_oci_seccomp(got);
    ASSERT_TRUE(back.ok()) << back.error().message();
    SeccompProfile resolved = resolve_seccomp(*parsed, caps, kGoldenTarget);
    for (auto& sc : resolved.syscalls) sc.comment.clear();  // comments are not in the OCI form
    EXPECT_EQ(*back, resolved);
  }
  EXPECT_GE(cases, 25);
}

TEST(Seccomp, KernelVersions) {
  auto v = parse_kernel_version("5.10.0-23-amd64");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->major, 5);
  EXPECT_EQ(v->minor, 10);
  EXPECT_TRUE((KernelVersion{4, 8} < KernelVersion{4, 10}));
  EXPECT_EQ(parse_kernel_version("4").error().message(), "invalid kernel version \"4\"");
  EXPECT_EQ(parse_kernel_version("4.x").error().message(), "invalid kernel version \"4.x\"");
  EXPECT_GE(host_seccomp_target().kernel, (KernelVersion{3, 0}));
}

const SeccompSyscall* find_rule(const SeccompProfile& p, std::string_view name,
                                SeccompAction action) {
  for (const auto& sc : p.syscalls)
    if (sc.action == action && std::find(sc.names.begin(), sc.names.end(), name) != sc.names.end())
      return &sc;
  return nullptr;
}

TEST(SeccompDefault, ResolvesForDockersDefaultCaps) {
  SeccompProfile p =
      resolve_seccomp(default_seccomp_profile(), docker_default_caps(), kGoldenTarget);
  EXPECT_EQ(p.default_action, SeccompAction::kErrno);
  EXPECT_EQ(p.default_errno_ret, EPERM);
  EXPECT_THAT(p.architectures, ElementsAre("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"));
  for (const char* allowed :
       {"read", "execve", "clone", "arch_prctl", "ptrace", "chroot", "socket"})
    EXPECT_NE(find_rule(p, allowed, SeccompAction::kAllow), nullptr) << allowed;
  for (const char* blocked : {"mount", "umount2", "unshare", "setns", "keyctl", "add_key", "reboot",
                              "init_module", "settimeofday", "bpf", "clone3", "open_by_handle_at"})
    EXPECT_EQ(find_rule(p, blocked, SeccompAction::kAllow), nullptr) << blocked;
  const SeccompSyscall* clone = find_rule(p, "clone", SeccompAction::kAllow);
  ASSERT_EQ(clone->args.size(), 1u);
  EXPECT_EQ(clone->args[0], (SeccompArg{0, 0x7E020000, 0, SeccompOp::kMaskedEqual}));
  const SeccompSyscall* clone3 = find_rule(p, "clone3", SeccompAction::kErrno);
  ASSERT_NE(clone3, nullptr);
  EXPECT_EQ(clone3->errno_ret, ENOSYS);
  // ptrace needs kernel 4.8: older kernels let it bypass seccomp.
  SeccompProfile old = resolve_seccomp(default_seccomp_profile(), docker_default_caps(),
                                       SeccompTarget{"amd64", {4, 4}});
  EXPECT_EQ(find_rule(old, "ptrace", SeccompAction::kAllow), nullptr);
  SeccompProfile arm =
      resolve_seccomp(default_seccomp_profile(), {}, SeccompTarget{"arm64", {6, 1}});
  EXPECT_THAT(arm.architectures, ElementsAre("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"));
  EXPECT_EQ(find_rule(arm, "arch_prctl", SeccompAction::kAllow), nullptr);
  EXPECT_NE(find_rule(arm, "set_tls", SeccompAction::kAllow), nullptr);
}

TEST(SeccompDefault, CapabilitiesOpenGroups) {
  std::vector<std::string> caps = docker_default_caps();
  caps.push_back("CAP_SYS_ADMIN");
  caps.push_back("CAP_SYS_PTRACE");
  SeccompProfile p = resolve_seccomp(default_seccomp_profile(), caps, kGoldenTarget);
  for (const char* allowed : {"mount", "umount2", "unshare", "setns", "clone3", "kcmp"})
    EXPECT_NE(find_rule(p, allowed, SeccompAction::kAllow), nullptr) << allowed;
  EXPECT_EQ(find_rule(p, "clone3", SeccompAction::kErrno), nullptr);
  EXPECT_EQ(find_rule(p, "reboot", SeccompAction::kAllow), nullptr);
  // With CAP_SYS_ADMIN clone is allowed outright: the flag-checking rule is excluded.
  for (const auto& sc : p.syscalls) {
    if (sc.names == std::vector<std::string>{"clone"}) {
      EXPECT_TRUE(sc.args.empty());
    }
  }
}

TEST(SeccompDefault, OciRoundTrip) {
  nlohmann::json oci = to_oci_seccomp(default_seccomp_profile(), docker_default_caps());
  EXPECT_EQ(oci["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(oci["defaultErrnoRet"], 1);
  EXPECT_FALSE(oci["syscalls"][0].contains("includes"));
  auto back = from_oci_seccomp(oci);
  ASSERT_TRUE(back.ok()) << back.error().message();
  SeccompProfile resolved = resolve_seccomp(default_seccomp_profile(), docker_default_caps());
  for (auto& sc : resolved.syscalls) sc.comment.clear();
  EXPECT_EQ(*back, resolved);
  EXPECT_EQ(to_oci_seccomp(*back, {}), oci);
  // Text round trip, as the OCI spec is written to config.json.
  auto reparsed = from_oci_seccomp(nlohmann::json::parse(oci.dump()));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(*reparsed, *back);
}

TEST(SeccompCompile, DefaultProfileCompiles) {
  auto c = compile_seccomp(resolve_seccomp(default_seccomp_profile(), docker_default_caps()));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_GT(c->prog.size(), 50u);
  EXPECT_LE(c->prog.size(), 4096u);
  EXPECT_EQ(c->flags, 0u);
  std::vector<std::string> all = all_caps();
  auto privileged = compile_seccomp(resolve_seccomp(default_seccomp_profile(), all));
  ASSERT_TRUE(privileged.ok()) << privileged.error().message();
}

TEST(SeccompCompile, Errors) {
  auto unresolved = compile_seccomp(default_seccomp_profile());
  ASSERT_FALSE(unresolved.ok());
  EXPECT_EQ(unresolved.error().message(),
            "seccomp profile: compile needs a resolved profile (archMap present)");
  SeccompProfile p;
  p.default_action = SeccompAction::kErrno;
  SeccompSyscall sc;
  sc.names = {"mount"};
  sc.includes.caps = {"CAP_SYS_ADMIN"};
  p.syscalls = {sc};
  EXPECT_EQ(compile_seccomp(p).error().message(),
            "seccomp profile: compile needs a resolved profile (includes/excludes present)");
  sc.includes = {};
  sc.action = SeccompAction::kNotify;
  p.syscalls = {sc};
  EXPECT_EQ(compile_seccomp(p).error().message(),
            "seccomp profile: action \"SCMP_ACT_NOTIFY\" is not supported");
  // Unknown names are skipped; the known one still compiles.
  sc.action = SeccompAction::kAllow;
  sc.names = {"no_such_syscall_berth", "getpid"};
  p.syscalls = {sc};
  EXPECT_TRUE(compile_seccomp(p).ok());
}

// Forks; the child sets no_new_privs, loads `filter`, runs `probe` and sends back its numbers.
template <size_t N>
std::array<int, N + 1> probe_in_child(const CompiledSeccomp& filter,
                                      std::array<int, N> (*probe)()) {
  std::array<int, N + 1> out{};
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::array<int, N + 1> r{};
    r[0] = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? apply_compiled_seccomp(filter) : -errno;
    if (r[0] == 0) {
      std::array<int, N> p = probe();
      std::copy(p.begin(), p.end(), r.begin() + 1);
    }
    ssize_t n = write(fds[1], r.data(), sizeof(r));
    _exit(n == sizeof(r) ? 0 : 1);
  }
  close(fds[1]);
  EXPECT_EQ(read(fds[0], out.data(), sizeof(out)), static_cast<ssize_t>(sizeof(out)));
  close(fds[0]);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  return out;
}

int err_of(long rc) { return rc < 0 ? errno : 0; }

// 0 for success, else the errno.
std::array<int, 9> probe_default() {
  int vsock = socket(AF_VSOCK, SOCK_STREAM, 0);
  int vsock_err = err_of(vsock);
  int unix_sock = socket(AF_UNIX, SOCK_STREAM, 0);
  int unix_err = err_of(unix_sock);
  if (unix_sock >= 0) close(unix_sock);
  return {
      err_of(unshare(CLONE_NEWUSER)),
      err_of(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)),
      err_of(mount(nullptr, "/nonexistent-berth-seccomp", nullptr, 0, nullptr)),
      getpid() > 0 ? 0 : -1,
      err_of(syscall(SYS_clone3, nullptr, 0)),
      vsock_err,
      unix_err,
      err_of(personality(0xffffffff)),
      prctl(PR_GET_SECCOMP, 0, 0, 0, 0),
  };
}

TEST(SeccompLoad, DefaultProfileBlocksInAChild) {
  auto c = compile_seccomp(resolve_seccomp(default_seccomp_profile(), docker_default_caps()));
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto r = probe_in_child<9>(*c, probe_default);
  EXPECT_EQ(r[0], 0) << "apply_compiled_seccomp";
  EXPECT_EQ(r[1], EPERM) << "unshare(CLONE_NEWUSER)";
  EXPECT_EQ(r[2], EPERM) << "keyctl";
  EXPECT_EQ(r[3], EPERM) << "mount";
  EXPECT_EQ(r[4], 0) << "getpid";
  EXPECT_EQ(r[5], ENOSYS) << "clone3";
  EXPECT_EQ(r[6], EPERM) << "socket(AF_VSOCK)";
  EXPECT_EQ(r[7], 0) << "socket(AF_UNIX)";
  EXPECT_EQ(r[8], 0) << "personality(query)";
  EXPECT_EQ(r[9], 2) << "PR_GET_SECCOMP: filter mode";
}

TEST(SeccompLoad, SysAdminAllowsMount) {
  std::vector<std::string> caps = docker_default_caps();
  caps.push_back("CAP_SYS_ADMIN");
  auto c = compile_seccomp(resolve_seccomp(default_seccomp_profile(), caps));
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto r = probe_in_child<9>(*c, probe_default);
  EXPECT_EQ(r[0], 0);
  EXPECT_EQ(r[2], EPERM) << "keyctl stays blocked";
  // The kernel looks the target up before it checks privilege: ENOENT means seccomp let it through.
  EXPECT_EQ(r[3], ENOENT) << "mount";
  EXPECT_NE(r[5], ENOSYS) << "clone3 reaches the kernel";
}

// getpriority can return a negative nice value legitimately: only errno tells a failure.
int priority_errno(int which) {
  errno = 0;
  getpriority(which, 0);
  return errno;
}

std::array<int, 3> probe_priority() {
  return {priority_errno(PRIO_PROCESS), priority_errno(PRIO_PGRP), priority_errno(PRIO_USER)};
}

// Two comparisons on one argument cannot be ANDed by libseccomp; like runc, each becomes its own
// rule, so either match triggers the action.
TEST(SeccompLoad, SameArgumentTwiceMeansEither) {
  auto p = parse_seccomp_profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 33, "args": [
        {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
        {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]})");
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto c = compile_seccomp(resolve_seccomp(*p, {}));
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto r = probe_in_child<3>(*c, probe_priority);
  EXPECT_EQ(r[0], 0);
  EXPECT_EQ(r[1], EDOM) << "PRIO_PROCESS";
  EXPECT_EQ(r[2], EDOM) << "PRIO_PGRP";
  EXPECT_EQ(r[3], 0) << "PRIO_USER";
}

TEST(SeccompCompile, CacheRoundTrip) {
  SeccompProfile resolved = resolve_seccomp(default_seccomp_profile(), docker_default_caps());
  std::string key = seccomp_cache_key(resolved);
  EXPECT_EQ(key.rfind("berth-seccomp-v1 libseccomp 2.", 0), 0u) << key.substr(0, 40);
  EXPECT_EQ(key,
            seccomp_cache_key(resolve_seccomp(default_seccomp_profile(), docker_default_caps())));
  std::vector<std::string> admin = docker_default_caps();
  admin.push_back("CAP_SYS_ADMIN");
  EXPECT_NE(key, seccomp_cache_key(resolve_seccomp(default_seccomp_profile(), admin)));
  auto c = compile_seccomp(resolved);
  ASSERT_TRUE(c.ok());
  c->flags = SECCOMP_FILTER_FLAG_LOG;
  std::string bytes = encode_compiled_seccomp(*c);
  EXPECT_EQ(bytes.size(), 8 + c->prog.size() * 8);
  auto back = decode_compiled_seccomp(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->flags, c->flags);
  ASSERT_EQ(back->prog.size(), c->prog.size());
  EXPECT_EQ(std::memcmp(back->prog.data(), c->prog.data(), c->prog.size() * 8), 0);
  EXPECT_EQ(decode_compiled_seccomp("BSC0xxxx12345678").error().message(),
            "compiled seccomp: bad header");
  EXPECT_EQ(decode_compiled_seccomp(bytes.substr(0, 13)).error().message(),
            "compiled seccomp: bad size 13");
}

TEST(SeccompCompile, CachedCompileKeepsOneFilePerProfileAndSurvivesGarbage) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("berth-seccomp-cache-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  set_seccomp_cache_dir(dir.string());
  SeccompProfile resolved = resolve_seccomp(default_seccomp_profile(), docker_default_caps());
  auto first = compile_seccomp_cached(resolved);
  ASSERT_TRUE(first.ok()) << first.error().message();
  ASSERT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::path file = fs::directory_iterator(dir)->path();
  auto second = compile_seccomp_cached(resolved);  // a hit: the same program
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->prog.size(), first->prog.size());
  EXPECT_EQ(std::memcmp(second->prog.data(), first->prog.data(), first->prog.size() * 8), 0);
  // A file that is not what it should be is a miss, recompiled and rewritten, never loaded.
  { std::ofstream(file, std::ios::trunc) << "garbage"; }
  auto third = compile_seccomp_cached(resolved);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->prog.size(), first->prog.size());
  EXPECT_GT(fs::file_size(file), 1000u);
  // Another profile: another file.
  std::vector<std::string> admin = docker_default_caps();
  admin.push_back("CAP_SYS_ADMIN");
  ASSERT_TRUE(compile_seccomp_cached(resolve_seccomp(default_seccomp_profile(), admin)).ok());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 2);
  // A spec's linux.seccomp text: its own key, the same program as the profile it came from.
  std::string oci = to_oci_seccomp(default_seccomp_profile(), docker_default_caps()).dump();
  auto from_text = compile_oci_seccomp_cached(oci);
  ASSERT_TRUE(from_text.ok()) << from_text.error().message();
  auto from_text_again = compile_oci_seccomp_cached(oci);
  ASSERT_TRUE(from_text_again.ok());
  EXPECT_EQ(from_text_again->prog.size(), from_text->prog.size());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 3);
  EXPECT_FALSE(compile_oci_seccomp_cached("{not json").ok());
  set_seccomp_cache_dir("");
  fs::remove_all(dir);
}

// Real programs run under the default policy: a shell forking a pipeline of coreutils.
TEST(SeccompLoad, ShellRunsUnderDefaultProfile) {
  auto c = compile_seccomp(resolve_seccomp(default_seccomp_profile(), docker_default_caps()));
  ASSERT_TRUE(c.ok()) << c.error().message();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || apply_compiled_seccomp(*c) != 0) _exit(100);
    execl("/bin/sh", "sh", "-c",
          "set -e; d=$(mktemp -d); echo b > $d/f; echo a >> $d/f; sort $d/f | tr -d '\\n';"
          " (sleep 0) & wait; ls / >/dev/null; rm -r $d; grep '^Seccomp:' /proc/self/status",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(out, "abSeccomp:\t2\n");
}

TEST(SeccompLoad, EmptyProgramIsRejected) { EXPECT_EQ(apply_compiled_seccomp({}), -EINVAL); }

}  // namespace
}  // namespace berth::runtime
