#include "runtime/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "base/fs.h"
#include "runtime/caps.h"

namespace berth::runtime {
namespace {

using testing::ElementsAre;

const std::string kData = std::string(BERTH_TESTDATA_DIR) + "/spec/";

std::string read_testdata(const std::string& name) {
  auto r = read_file(kData + name);
  EXPECT_TRUE(r.ok()) << name;
  return r.ok() ? *r : std::string();
}

// `berth run busybox` as the engine would describe it: busybox's config and /etc files, a
// container id as hostname, Docker's default capabilities.
RunOptions busybox() {
  RunOptions o;
  o.image.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  o.image.cmd = std::vector<std::string>{"sh"};
  o.passwd = read_testdata("busybox_passwd");
  o.group = read_testdata("busybox_group");
  o.rootfs = "/var/lib/berth/containers/0123456789ab/rootfs";
  o.hostname = "0123456789ab";
  o.capabilities = docker_default_caps();
  o.cgroups_path = "/berth/0123456789ab";
  o.host_dev_dir = kData + "fake_dev";
  return o;
}

oci::RuntimeSpec build_ok(const RunOptions& o) {
  auto s = build_spec(o);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? *s : oci::RuntimeSpec{};
}

std::string build_error(const RunOptions& o) {
  auto s = build_spec(o);
  EXPECT_FALSE(s.ok());
  return s.ok() ? "" : s.error().message();
}

// ---- golden config.json files ----

struct GoldenCase {
  const char* name;
  RunOptions (*options)();
};

const GoldenCase kGolden[] = {
    {"default_busybox_sh", [] { return busybox(); }},
    {"privileged",
     [] {
       RunOptions o = busybox();
       o.privileged = true;
       o.capabilities = {"CAP_CHOWN", "CAP_SYS_ADMIN"};             // the caps part resolves "all"
       o.seccomp = oci::Json{{"defaultAction", "SCMP_ACT_ERRNO"}};  // dropped: privileged
       return o;
     }},
    {"user_nobody",
     [] {
       RunOptions o = busybox();
       o.user = "nobody";
       o.group_add = {"wheel", "1234"};
       return o;
     }},
    {"ulimit_nofile",
     [] {
       RunOptions o = busybox();
       o.ulimits = {"nofile=1024:2048"};
       return o;
     }},
    {"memory_cpus",
     [] {
       RunOptions o = busybox();
       o.memory = 512 * 1024 * 1024;
       o.nano_cpus = 1500000000;
       o.pids_limit = 100;
       o.cpu_shares = 512;
       o.cpuset_cpus = "0-1";
       return o;
     }},
    {"read_only_tmpfs",
     [] {
       RunOptions o = busybox();
       o.read_only = true;
       o.tmpfs = {"/run", "/tmp:exec,size=64m"};
       o.binds = {{"/srv/data", "/data", true}, {"/srv/cache", "/data/cache/", false}};
       return o;
     }},
    {"host_namespaces_tty_entrypoint",
     [] {
       RunOptions o = busybox();
       o.network = NetworkMode::kHost;
       o.host_ipc = true;
       o.host_pid = true;
       o.host_uts = true;
       o.private_cgroupns = false;
       o.tty = true;
       o.entrypoint = std::vector<std::string>{"/bin/echo"};
       o.command = {"hello", "world"};
       o.env = {"FOO=bar", "TERM=vt100"};
       o.working_dir = "/tmp/../srv/";
       o.no_new_privileges = true;
       o.shm_size = 2LL << 30;  // ignored: /dev/shm is the host's
       return o;
     }},
};

// BERTH_UPDATE_GOLDEN=1 rewrites the files; review the diff before committing.
TEST(SpecGoldenTest, MatchesConfigJson) {
  const bool update = std::getenv("BERTH_UPDATE_GOLDEN") != nullptr;
  for (const auto& c : kGolden) {
    SCOPED_TRACE(c.name);
    oci::RuntimeSpec spec = build_ok(c.options());
    std::string got = serialize_runtime_spec(spec) + "\n";
    std::string path = kData + c.name + ".json";
    if (update) {
      ASSERT_TRUE(atomic_write_file(path, got).ok());
    }
    EXPECT_EQ(got, read_testdata(std::string(c.name) + ".json"));
    // And the config.json reads back as the same spec.
    auto back = oci::parse_runtime_spec(got);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(*back, spec);
  }
}

// ---- the rules, one by one ----

TEST(SpecTest, DefaultProcess) {
  oci::RuntimeSpec s = build_ok(busybox());
  EXPECT_EQ(s.process->args, std::vector<std::string>{"sh"});
  EXPECT_THAT(s.process->env,
              ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "HOSTNAME=0123456789ab", "HOME=/root"));
  EXPECT_EQ(s.process->cwd, "/");
  // busybox lists root in wheel: `docker run busybox id` says groups=0(root),10(wheel).
  EXPECT_EQ(s.process->user, (oci::User{0, 0, std::nullopt, {0, 10}, ""}));
  EXPECT_TRUE(s.process->rlimits.empty());
  EXPECT_FALSE(s.process->oom_score_adj.has_value());
  EXPECT_FALSE(s.process->terminal);
  EXPECT_EQ(s.hostname, "0123456789ab");
  EXPECT_THAT(s.linux->namespaces,
              ElementsAre(oci::Namespace{"mount", ""}, oci::Namespace{"network", ""},
                          oci::Namespace{"uts", ""}, oci::Namespace{"pid", ""},
                          oci::Namespace{"ipc", ""}, oci::Namespace{"cgroup", ""}));
  EXPECT_EQ(s.linux->masked_paths, docker_masked_paths());
  EXPECT_EQ(s.linux->resources->devices, docker_device_cgroup_rules());
  EXPECT_TRUE(s.linux->devices.empty());
}

TEST(SpecTest, EntrypointAndCmd) {
  RunOptions o = busybox();
  o.image.entrypoint = std::vector<std::string>{"/entry", "-x"};
  o.image.cmd = std::vector<std::string>{"default"};
  EXPECT_THAT(build_ok(o).process->args, ElementsAre("/entry", "-x", "default"));
  o.command = {"mine", "1"};  // replaces the image's Cmd, keeps its Entrypoint
  EXPECT_THAT(build_ok(o).process->args, ElementsAre("/entry", "-x", "mine", "1"));
  o.command.clear();
  o.entrypoint = std::vector<std::string>{"/other"};  // drops the image's Cmd too
  EXPECT_THAT(build_ok(o).process->args, ElementsAre("/other"));
  o.entrypoint = std::vector<std::string>{""};  // --entrypoint "": no entrypoint at all
  o.command = {"ls", "/"};
  EXPECT_THAT(build_ok(o).process->args, ElementsAre("ls", "/"));
  o.command.clear();
  EXPECT_EQ(build_error(o), "no command specified");
}

TEST(SpecTest, EnvMerge) {
  RunOptions o = busybox();
  o.image.env = {"A=image", "B=image", "PATH=/image/bin", "HOME=/image-home"};
  o.env = {"B=user", "C=user", "A", "C=again", "HOSTNAME=custom"};
  o.tty = true;
  EXPECT_THAT(build_ok(o).process->env,
              ElementsAre("PATH=/image/bin", "HOSTNAME=custom", "TERM=xterm", "B=user", "C=again",
                          "HOME=/image-home"));
}

TEST(SpecTest, MergeEnvKeepsKeysUnique) {
  EXPECT_THAT(merge_env({"A=1", "B=2"}, {"B=3", "C=4", "C=5", "A"}), ElementsAre("B=3", "C=5"));
  EXPECT_THAT(docker_default_env("h", true),
              ElementsAre(std::string("PATH=") + kDefaultPath, "HOSTNAME=h", "TERM=xterm"));
}

TEST(SpecTest, WorkingDir) {
  RunOptions o = busybox();
  o.image.working_dir = "/app";
  EXPECT_EQ(build_ok(o).process->cwd, "/app");
  o.working_dir = "/srv//x/./y/..";
  EXPECT_EQ(build_ok(o).process->cwd, "/srv/x");
  o.working_dir = "rel";
  EXPECT_EQ(build_error(o),
            "the working directory 'rel' is invalid, it needs to be an absolute path");
}

TEST(SpecTest, ImageUserAndOverride) {
  RunOptions o = busybox();
  o.image.user = "www-data";
  oci::RuntimeSpec s = build_ok(o);
  EXPECT_EQ(s.process->user, (oci::User{33, 33, std::nullopt, {33}, ""}));
  EXPECT_EQ(s.process->env.back(), "HOME=/var/www");
  o.user = "1000:50";  // -u wins over the image's USER; numbers need no entry
  s = build_ok(o);
  EXPECT_EQ(s.process->user, (oci::User{1000, 50, std::nullopt, {50}, ""}));
  EXPECT_EQ(s.process->env.back(), "HOME=/");
  o.user = "foo";
  EXPECT_EQ(build_error(o), "unable to find user foo: no matching entries in passwd file");
}

TEST(SpecTest, ResolveUser) {
  const std::string passwd = read_testdata("busybox_passwd");
  const std::string group = read_testdata("busybox_group");
  auto u = [&](std::string_view spec) { return resolve_user(spec, passwd, group); };
  EXPECT_EQ(*u(""), (UserSpec{0, 0, {10}, "/root"}));
  EXPECT_EQ(*u("root"), (UserSpec{0, 0, {10}, "/root"}));
  EXPECT_EQ(*u("nobody"), (UserSpec{65534, 65534, {}, "/home"}));
  EXPECT_EQ(*u("33"), (UserSpec{33, 33, {}, "/var/www"}));
  EXPECT_EQ(*u("root:mail"), (UserSpec{0, 8, {}, "/root"}));  // a group: no supplementary
  EXPECT_EQ(*u("mail:12345"), (UserSpec{8, 12345, {}, "/var/spool/mail"}));
  EXPECT_EQ(*u("4242"), (UserSpec{4242, 0, {}, "/"}));
  EXPECT_EQ(*u("sync:staff:ignored"), (UserSpec{4, 50, {}, "/bin"}));

  auto err = u("foo");
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.error().code(), Code::kNotFound);
  EXPECT_EQ(err.error().message(), "unable to find user foo: no matching entries in passwd file");
  EXPECT_EQ(u("root:nogroup").error().message(),
            "unable to find group nogroup: no matching entries in group file");
  EXPECT_EQ(u("-5").error().message(), "uids and gids must be in range 0-2147483647");
  EXPECT_EQ(u("1:4294967296").error().message(), "uids and gids must be in range 0-2147483647");
  // No /etc/passwd at all: names fail, numbers work.
  EXPECT_EQ(resolve_user("app", "", "").error().message(),
            "unable to find user app: no matching entries in passwd file");
  EXPECT_EQ(*resolve_user("1000:1000", "", ""), (UserSpec{1000, 1000, {}, "/"}));
}

TEST(SpecTest, ResolveUserFirstMatchAndCrlf) {
  const std::string passwd =
      "  app:x:1000:1000::/home/app:/bin/sh \r\napp:x:2000:2000::/x:/bin/sh\n";
  const std::string group = "dev:x:500:app,other\r\nops:x:600:other,app\n";
  EXPECT_EQ(*resolve_user("app", passwd, group), (UserSpec{1000, 1000, {500, 600}, "/home/app"}));
}

TEST(SpecTest, GroupAdd) {
  const std::string group = read_testdata("busybox_group");
  EXPECT_THAT(*resolve_groups({"wheel", "5", "777", "wheel", "10"}, group),
              ElementsAre(10, 5, 777));
  auto err = resolve_groups({"docker"}, group);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.error().message(),
            "unable to find group docker: no matching entries in group file");
  RunOptions o = busybox();
  o.group_add = {"docker"};
  EXPECT_EQ(build_error(o), "unable to find group docker: no matching entries in group file");
}

TEST(SpecTest, ParseUlimit) {
  EXPECT_EQ(*parse_ulimit("nofile=1024:2048"), (oci::Rlimit{"RLIMIT_NOFILE", 2048, 1024}));
  EXPECT_EQ(*parse_ulimit("stack=67108864"), (oci::Rlimit{"RLIMIT_STACK", 67108864, 67108864}));
  EXPECT_EQ(*parse_ulimit("memlock=-1"), (oci::Rlimit{"RLIMIT_MEMLOCK", UINT64_MAX, UINT64_MAX}));
  EXPECT_EQ(*parse_ulimit("core=0:-1"), (oci::Rlimit{"RLIMIT_CORE", UINT64_MAX, 0}));
  EXPECT_EQ(parse_ulimit("rtprio=1")->type, "RLIMIT_RTPRIO");
}

TEST(SpecTest, ParseUlimitErrors) {
  auto msg = [](std::string_view v) { return parse_ulimit(v).error().message(); };
  EXPECT_EQ(msg("nofile"),
            "invalid argument \"nofile\" for \"--ulimit\" flag: invalid ulimit argument: nofile");
  EXPECT_EQ(msg("files=1"),
            "invalid argument \"files=1\" for \"--ulimit\" flag: invalid ulimit type: files");
  EXPECT_EQ(msg("nofile=abc"),
            "invalid argument \"nofile=abc\" for \"--ulimit\" flag: strconv.ParseInt: parsing "
            "\"abc\": invalid syntax");
  EXPECT_EQ(msg("nofile=1:99999999999999999999"),
            "invalid argument \"nofile=1:99999999999999999999\" for \"--ulimit\" flag: "
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
  EXPECT_EQ(msg("nofile=1:2:3"),
            "invalid argument \"nofile=1:2:3\" for \"--ulimit\" flag: too many limit value "
            "arguments - 1:2:3, can only have up to two, `soft[:hard]`");
  EXPECT_EQ(msg("nofile=2048:1024"),
            "invalid argument \"nofile=2048:1024\" for \"--ulimit\" flag: ulimit soft limit must "
            "be less than or equal to hard limit: 2048 > 1024");
  EXPECT_EQ(msg("memlock=-1:1024"),
            "invalid argument \"memlock=-1:1024\" for \"--ulimit\" flag: ulimit soft limit must "
            "be less than or equal to hard limit: -1 > 1024");
  EXPECT_EQ(msg("nofile=-2"),
            "invalid argument \"nofile=-2\" for \"--ulimit\" flag: invalid ulimit value -2: must "
            "be -1 (unlimited) or a non-negative integer");
  EXPECT_EQ(parse_ulimit("nofile=x").error().code(), Code::kInvalidArgument);
}

TEST(SpecTest, OnlyAskedForRlimits) {
  RunOptions o = busybox();
  o.ulimits = {"nofile=10:20", "memlock=-1", "nofile=30:40"};  // the last nofile wins
  EXPECT_THAT(build_ok(o).process->rlimits,
              ElementsAre(oci::Rlimit{"RLIMIT_NOFILE", 40, 30},
                          oci::Rlimit{"RLIMIT_MEMLOCK", UINT64_MAX, UINT64_MAX}));
  o.ulimits = {"nofile=1:x"};
  EXPECT_EQ(build_error(o),
            "invalid argument \"nofile=1:x\" for \"--ulimit\" flag: strconv.ParseInt: parsing "
            "\"x\": invalid syntax");
}

TEST(SpecTest, ParseCpus) {
  EXPECT_EQ(*parse_cpus("1.5"), 1500000000);
  EXPECT_EQ(*parse_cpus("2"), 2000000000);
  EXPECT_EQ(*parse_cpus(".25"), 250000000);
  EXPECT_EQ(*parse_cpus("0.000000001"), 1);
  EXPECT_EQ(*parse_cpus("1.5000000000"), 1500000000);
  EXPECT_EQ(*parse_cpus("-1"), -1000000000);
  EXPECT_EQ(parse_cpus("0.0000000001").error().message(), "value is too precise");
  EXPECT_EQ(parse_cpus("one").error().message(), "failed to parse one as a rational number");
  EXPECT_EQ(parse_cpus("").error().message(), "failed to parse  as a rational number");
  EXPECT_EQ(parse_cpus("1.2.3").error().message(), "failed to parse 1.2.3 as a rational number");
}

TEST(SpecTest, Resources) {
  RunOptions o = busybox();
  o.memory = 64 << 20;
  o.memory_swap = -1;
  o.memory_reservation = 32 << 20;
  o.memory_swappiness = 0;
  o.oom_kill_disable = true;
  o.cpu_shares = 1;  // clamped to the kernel's minimum, as dockerd does
  o.cpuset_mems = "0";
  o.pids_limit = 0;  // 0 or less: unlimited
  oci::RuntimeSpec s = build_ok(o);
  const oci::Resources& r = *s.linux->resources;
  EXPECT_EQ(r.memory, (oci::Memory{64 << 20, 32 << 20, -1, {}, {}, 0u, true, {}}));
  EXPECT_EQ(r.cpu->shares, 2u);
  EXPECT_FALSE(r.cpu->quota.has_value());
  EXPECT_EQ(r.cpu->mems, "0");
  EXPECT_EQ(r.pids->limit, -1);

  o = busybox();
  o.memory = 64 << 20;
  o.swap_limit_supported = false;
  EXPECT_EQ(build_ok(o).linux->resources->memory->swap, -1);
  EXPECT_FALSE(build_ok(busybox()).linux->resources->memory.has_value());
  EXPECT_FALSE(build_ok(busybox()).linux->resources->cpu.has_value());
  EXPECT_FALSE(build_ok(busybox()).linux->resources->pids.has_value());
}

TEST(SpecTest, ResourceErrors) {
  auto err = [](void (*set)(RunOptions&)) {
    RunOptions o = busybox();
    set(o);
    return build_error(o);
  };
  EXPECT_EQ(err([](RunOptions& o) { o.memory = 1 << 20; }), "Minimum memory limit allowed is 6MB");
  EXPECT_EQ(err([](RunOptions& o) { o.memory_swap = 1 << 30; }),
            "You should always set the Memory limit when using Memoryswap limit, see usage");
  EXPECT_EQ(err([](RunOptions& o) {
              o.memory = 1 << 30;
              o.memory_swap = 512 << 20;
            }),
            "Minimum memoryswap limit should be larger than memory limit, see usage");
  EXPECT_EQ(err([](RunOptions& o) {
              o.memory = 64 << 20;
              o.memory_reservation = 128 << 20;
            }),
            "Minimum memory limit can not be less than memory reservation limit, see usage");
  EXPECT_EQ(err([](RunOptions& o) { o.memory_swappiness = 101; }),
            "Invalid value: 101, valid memory swappiness range is 0-100");
  EXPECT_EQ(err([](RunOptions& o) { o.cpu_shares = -1; }), "shares: invalid argument");
  EXPECT_EQ(err([](RunOptions& o) { o.cpuset_cpus = "0-x"; }), "Invalid value 0-x for cpuset cpus");
  EXPECT_EQ(err([](RunOptions& o) { o.cpuset_cpus = "3-1"; }), "Invalid value 3-1 for cpuset cpus");
  EXPECT_EQ(err([](RunOptions& o) { o.cpuset_mems = "0,"; }), "Invalid value 0, for cpuset mems");
  EXPECT_EQ(err([](RunOptions& o) {
              o.nano_cpus = 3000000000;
              o.host_cpus = 2;
            }),
            "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
  EXPECT_EQ(err([](RunOptions& o) { o.nano_cpus = -1; }),
            "--cpus: the number of CPUs must be positive");
  EXPECT_EQ(err([](RunOptions& o) { o.shm_size = -1; }), "SHM size can not be less than 0");
}

TEST(SpecTest, DefaultMounts) {
  auto m = docker_default_mounts(2LL << 30);
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(
      m[1],
      (oci::Mount{"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}}));
  EXPECT_EQ(m[6], (oci::Mount{"/dev/shm",
                              "tmpfs",
                              "shm",
                              {"nosuid", "noexec", "nodev", "mode=1777", "size=2147483648"}}));
  EXPECT_EQ(docker_default_mounts()[6].options.back(), "size=67108864");
  EXPECT_EQ(docker_readonly_paths().size(), 5u);
  EXPECT_EQ(docker_masked_paths().back(), "/sys/devices/virtual/powercap");
  EXPECT_EQ(default_devices()[2], (oci::LinuxDevice{"/dev/full", "c", 1, 7, 0666u, 0u, 0u}));
  EXPECT_EQ(runc_implicit_device_rules()[8],
            (oci::DeviceCgroup{true, "c", 136, std::nullopt, "rwm"}));
}

TEST(SpecTest, UserMountsOverrideDefaults) {
  RunOptions o = busybox();
  o.tmpfs = {"/dev/shm:size=1g"};
  o.binds = {{"/host/dev", "/dev", false}};
  std::vector<std::string> dests;
  for (const auto& m : build_ok(o).mounts) dests.push_back(m.destination);
  // A user /dev hides everything Docker would mount under it.
  EXPECT_THAT(dests, ElementsAre("/proc", "/sys", "/sys/fs/cgroup", "/dev", "/dev/shm"));
}

TEST(SpecTest, IdmappedBindCarriesTheOption) {
  RunOptions o = busybox();
  o.binds = {{"/srv/a", "/a", true, "rprivate", true}, {"/srv/b", "/b", false}};
  auto spec = build_ok(o);
  std::map<std::string, std::vector<std::string>> opts;
  for (const auto& m : spec.mounts) opts[m.destination] = m.options;
  EXPECT_THAT(opts["/a"], ElementsAre("rbind", "ro", "rprivate", "idmap"));
  EXPECT_THAT(opts["/b"], ElementsAre("rbind", "rprivate"));
}

TEST(SpecTest, MountErrors) {
  RunOptions o = busybox();
  o.tmpfs = {"run"};
  EXPECT_EQ(build_error(o),
            "invalid argument \"run\" for \"--tmpfs\" flag: mount path must be absolute");
  o.tmpfs = {"/run:size=1m,bogus"};
  EXPECT_EQ(build_error(o), "invalid tmpfs option [\"bogus\"]");
  o.tmpfs = {"/data"};
  o.binds = {{"/a", "/data/", false}};
  EXPECT_EQ(build_error(o), "Duplicate mount point: /data");
  o.tmpfs.clear();
  o.binds = {{"/a", "data", false}};
  EXPECT_EQ(build_error(o),
            "invalid mount config for type \"bind\": invalid mount path: 'data' mount path must "
            "be absolute");
  o.binds = {{"/a", "/", false}};
  EXPECT_EQ(build_error(o), "invalid specification: destination can't be '/'");
  o.binds = {{"/a", "/b", false, "bogus"}};
  EXPECT_EQ(build_error(o), "invalid propagation mode: bogus");
}

TEST(SpecTest, HostIpcSharesHostShm) {
  RunOptions o = busybox();
  o.host_ipc = true;
  auto mounts = build_ok(o).mounts;
  EXPECT_EQ(mounts.back(), (oci::Mount{"/dev/shm", "bind", "/dev/shm", {"rbind", "rprivate"}}));
  EXPECT_EQ(std::count_if(mounts.begin(), mounts.end(),
                          [](const oci::Mount& m) { return m.destination == "/dev/shm"; }),
            1);
}

TEST(SpecTest, JoinNetworkNamespace) {
  RunOptions o = busybox();
  o.network = NetworkMode::kJoin;
  o.netns_path = "/run/berth/netns/abc";
  EXPECT_EQ(build_ok(o).linux->namespaces[1], (oci::Namespace{"network", "/run/berth/netns/abc"}));
}

TEST(SpecTest, Sysctls) {
  RunOptions o = busybox();
  o.sysctls = {{"net.ipv4.ip_forward", "1"},
               {"kernel.shmmax", "1"},
               {"fs.mqueue.msg_max", "2"},
               {"kernel.domainname", "x"}};
  EXPECT_EQ(build_ok(o).linux->sysctl.size(), 6u);  // and Docker's two defaults
  o.network = NetworkMode::kHost;
  EXPECT_EQ(build_error(o),
            "sysctl \"net.ipv4.ip_forward\" is not allowed in the hosts network namespace");
  o = busybox();
  o.host_ipc = true;
  o.sysctls = {{"kernel.shmmax", "1"}};
  EXPECT_EQ(build_error(o), "sysctl \"kernel.shmmax\" is not allowed in the hosts ipc namespace");
  o = busybox();
  o.sysctls = {{"vm.swappiness", "1"}};
  EXPECT_EQ(build_error(o), "sysctl \"vm.swappiness\" is not in a separate kernel namespace");
  o.sysctls = {{"kernel.hostname", "x"}};
  EXPECT_EQ(build_error(o),
            "sysctl \"kernel.hostname\" is not allowed as it conflicts with the OCI \"hostname\" "
            "field");
}

TEST(SpecTest, DomainnameJoinsHostname) {
  RunOptions o = busybox();
  o.domainname = "example.org";
  oci::RuntimeSpec s = build_ok(o);
  EXPECT_EQ(s.hostname, "0123456789ab.example.org");
  EXPECT_EQ(s.process->env[1], "HOSTNAME=0123456789ab");
}

TEST(SpecTest, ParseDevice) {
  EXPECT_EQ(*parse_device("/dev/fuse"), (DeviceMapping{"/dev/fuse", "/dev/fuse", "rwm"}));
  EXPECT_EQ(*parse_device("/dev/sda:/dev/xvda"), (DeviceMapping{"/dev/sda", "/dev/xvda", "rwm"}));
  EXPECT_EQ(*parse_device("/dev/sda:r"), (DeviceMapping{"/dev/sda", "/dev/sda", "r"}));
  EXPECT_EQ(*parse_device("/dev/sda:/dev/x//y:rw"), (DeviceMapping{"/dev/sda", "/dev/x/y", "rw"}));
  auto msg = [](std::string_view v) { return parse_device(v).error().message(); };
  EXPECT_EQ(
      msg("/a:/b:rw:x"),
      "invalid argument \"/a:/b:rw:x\" for \"--device\" flag: bad format for path: /a:/b:rw:x");
  EXPECT_EQ(msg(":/b"), "invalid argument \":/b\" for \"--device\" flag: bad format for path: :/b");
  EXPECT_EQ(msg("/a:/b:rwx"),
            "invalid argument \"/a:/b:rwx\" for \"--device\" flag: bad mode specified: rwx");
  EXPECT_EQ(msg("/a:/b:rr"),
            "invalid argument \"/a:/b:rr\" for \"--device\" flag: bad mode specified: rr");
  EXPECT_EQ(msg("/a:b"),
            "invalid argument \"/a:b\" for \"--device\" flag: b is not an absolute path");
}

// /dev/null is 1:3 on every Linux host, so these need no root.
TEST(SpecTest, DevicesFromPath) {
  auto g = devices_from_path({kData + "fake_dev/null-link", "/dev/mynull", "rw"});
  ASSERT_TRUE(g.ok()) << g.error().message();
  ASSERT_EQ(g->nodes.size(), 1u);
  EXPECT_EQ(g->nodes[0].path, "/dev/mynull");
  EXPECT_EQ(g->nodes[0].type, "c");
  EXPECT_EQ(g->nodes[0].major, 1);
  EXPECT_EQ(g->nodes[0].minor, 3);
  EXPECT_EQ(g->nodes[0].file_mode, 0666u);
  EXPECT_THAT(g->rules, ElementsAre(oci::DeviceCgroup{true, "c", 1, 3, "rw"}));

  auto dir = devices_from_path({kData + "fake_dev", "/dev/x", "rwm"});
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message(),
            "error gathering device information while adding custom device \"" + kData +
                "fake_dev\": not a device node");
  auto missing = devices_from_path({"/dev/berth-no-such-device", "/dev/x", "rwm"});
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_EQ(missing.error().message(),
            "error gathering device information while adding custom device "
            "\"/dev/berth-no-such-device\": no such file or directory");
}

TEST(SpecTest, DeviceFlagAddsNodeAndRule) {
  RunOptions o = busybox();
  o.devices = {"/dev/null:/dev/null2:r"};
  oci::RuntimeSpec s = build_ok(o);
  ASSERT_EQ(s.linux->devices.size(), 1u);
  EXPECT_EQ(s.linux->devices[0].path, "/dev/null2");
  EXPECT_EQ(s.linux->resources->devices.back(), (oci::DeviceCgroup{true, "c", 1, 3, "r"}));
  o.privileged = true;  // privileged: the node is added, the rules stay "allow all"
  s = build_ok(o);
  EXPECT_EQ(s.linux->devices.back().path, "/dev/null2");
  EXPECT_THAT(s.linux->resources->devices,
              ElementsAre(oci::DeviceCgroup{true, "", std::nullopt, std::nullopt, "rwm"}));
}

TEST(SpecTest, HostDevices) {
  auto fake = host_devices(kData + "fake_dev");  // files and a symlink only
  ASSERT_TRUE(fake.ok());
  EXPECT_TRUE(fake->empty());
  auto real = host_devices("/dev");
  ASSERT_TRUE(real.ok());
  auto null = std::find_if(real->begin(), real->end(),
                           [](const oci::LinuxDevice& d) { return d.path == "/dev/null"; });
  ASSERT_NE(null, real->end());
  EXPECT_EQ(null->major, 1);
  EXPECT_EQ(null->minor, 3);
  for (const auto& d : *real) {
    EXPECT_NE(d.path.rfind("/dev/pts/", 0), 0u) << d.path;
    EXPECT_NE(d.path, "/dev/console");
  }
  EXPECT_EQ(host_devices(kData + "no-such-dir").error().code(), Code::kNotFound);
}

TEST(SpecTest, PrivilegedAndReadOnly) {
  RunOptions o = busybox();
  o.privileged = true;
  o.read_only = true;
  oci::RuntimeSpec s = build_ok(o);
  EXPECT_TRUE(s.root->readonly);
  for (const auto& m : s.mounts) {
    if (m.destination == "/sys" || m.destination == "/sys/fs/cgroup") {
      EXPECT_FALSE(std::count(m.options.begin(), m.options.end(), "ro")) << m.destination;
    }
  }
  EXPECT_TRUE(s.linux->masked_paths.empty());
  EXPECT_TRUE(s.linux->readonly_paths.empty());
  EXPECT_FALSE(s.linux->seccomp.has_value());
}

TEST(SpecTest, SeccompPassesThrough) {
  RunOptions o = busybox();
  o.seccomp = oci::Json{{"defaultAction", "SCMP_ACT_ERRNO"}};
  EXPECT_EQ(build_ok(o).linux->seccomp, o.seccomp);
}

}  // namespace
}  // namespace berth::runtime
