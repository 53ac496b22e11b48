#include "runtime/caps.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::runtime {
namespace {

using ::testing::ElementsAre;

constexpr uint64_t kDockerDefaultMask = 0x00000000a80425fbULL;

TEST(Caps, DockerDefaultSet) {
  EXPECT_EQ(docker_default_caps().size(), 14u);
  auto mask = cap_mask(docker_default_caps());
  ASSERT_TRUE(mask.ok());
  EXPECT_EQ(*mask, kDockerDefaultMask);
  EXPECT_THAT(
      cap_names(kDockerDefaultMask),
      ElementsAre("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
                  "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"));
}

TEST(Caps, KnownNamesMatchCapabilityNumbers) {
  const auto& known = known_caps();
  ASSERT_EQ(known.size(), 41u);
  EXPECT_EQ(known[21], "CAP_SYS_ADMIN");
  EXPECT_EQ(known[40], "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(*cap_mask({"CAP_SYS_ADMIN"}), uint64_t{1} << 21);
}

TEST(Caps, LastCapComesFromProc) {
  auto text = read_file("/proc/sys/kernel/cap_last_cap");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(last_cap(), std::stoull(std::string(trim(*text))));
  EXPECT_EQ(all_caps().size(), std::min<size_t>(known_caps().size(), last_cap() + 1));
}

TEST(Caps, Normalize) {
  EXPECT_EQ(*normalize_cap("net_admin"), "CAP_NET_ADMIN");
  EXPECT_EQ(*normalize_cap("cap_net_admin"), "CAP_NET_ADMIN");
  EXPECT_EQ(*normalize_cap("Cap_Net_Admin"), "CAP_NET_ADMIN");
  EXPECT_EQ(*normalize_cap("All"), "ALL");
  auto bad = normalize_cap("foo");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "unknown capability: \"CAP_FOO\"");
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
}

TEST(Caps, ResolveDockerRules) {
  const auto& base = docker_default_caps();
  EXPECT_EQ(*resolve_caps(base, {}, {}, false), base);
  auto tweaked = resolve_caps(base, {"sys_admin", "CAP_CHOWN"}, {"net_raw", "cap_mknod"}, false);
  ASSERT_TRUE(tweaked.ok());
  EXPECT_THAT(*tweaked,
              ElementsAre("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID",
                          "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                          "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", "CAP_SYS_ADMIN"));
  // drop ALL: exactly the adds.
  EXPECT_THAT(*resolve_caps(base, {"kill", "chown"}, {"all"}, false),
              ElementsAre("CAP_KILL", "CAP_CHOWN"));
  // add ALL: everything the kernel has, minus the drops.
  auto all_but = resolve_caps(base, {"ALL"}, {"SYS_ADMIN"}, false);
  ASSERT_TRUE(all_but.ok());
  EXPECT_EQ(all_but->size(), all_caps().size() - 1);
  EXPECT_EQ(std::count(all_but->begin(), all_but->end(), "CAP_SYS_ADMIN"), 0);
  // privileged: everything; add/drop are ignored as Docker does.
  EXPECT_EQ(*resolve_caps(base, {}, {"CHOWN"}, true), all_caps());
  auto unknown = resolve_caps(base, {"foo"}, {}, false);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(), "unknown capability: \"CAP_FOO\"");
  EXPECT_EQ(resolve_caps(base, {}, {"cap_bar"}, false).error().message(),
            "unknown capability: \"CAP_BAR\"");
}

TEST(Caps, SetsFromNames) {
  auto sets = cap_sets_from_names(docker_cap_names(docker_default_caps()));
  ASSERT_TRUE(sets.ok());
  EXPECT_EQ(*sets, (CapSets{kDockerDefaultMask, kDockerDefaultMask, kDockerDefaultMask, 0, 0}));
  CapNames oci{{"CAP_KILL", "CAP_CHOWN"},
               {"CAP_KILL"},
               {"CAP_KILL", "CAP_CHOWN"},
               {"CAP_CHOWN"},
               {"CAP_CHOWN"}};
  EXPECT_EQ(*cap_sets_from_names(oci), (CapSets{0x21, 0x20, 0x21, 0x1, 0x1}));
  oci.ambient = {"CAP_NOPE"};
  EXPECT_EQ(cap_sets_from_names(oci).error().message(), "unknown capability: \"CAP_NOPE\"");
  EXPECT_EQ(cap_mask({"ALL"}).error().message(), "unknown capability: \"ALL\"");
}

std::string status_field(const std::string& status, const std::string& key) {
  for (const auto& line : split(status, '\n'))
    if (line.rfind(key + ":", 0) == 0) return std::string(trim(line.substr(key.size() + 1)));
  return "";
}

// The child applies the sets and sends back apply's result and its /proc/self/status.
struct ChildReport {
  int rc = 0;
  std::string status;
};

// `as_user`: first switch to uid/gid 65534 in the order caps.h documents (KEEPCAPS, setresuid).
ChildReport apply_in_child(const CapSets& sets, bool as_user = false) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int rc = 0;
    if (as_user && geteuid() == 0) {
      if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(0, nullptr) != 0 ||
          setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0 ||
          prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
        rc = -1000 - errno;
    }
    if (rc == 0) rc = apply_caps(sets);
    bool ok = write(fds[1], &rc, sizeof(rc)) == sizeof(rc);
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    char buf[4096];
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) ok &= write(fds[1], buf, n) == n;
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  ChildReport r;
  EXPECT_EQ(read(fds[0], &r.rc, sizeof(r.rc)), static_cast<ssize_t>(sizeof(r.rc)));
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) r.status.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int wstatus = 0;
  EXPECT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  return r;
}

TEST(CapsApply, ChildGetsDockersDefaultSet) {
  auto sets = cap_sets_from_names(docker_cap_names(docker_default_caps()));
  ASSERT_TRUE(sets.ok());
  ChildReport r = apply_in_child(*sets);
  if (geteuid() != 0) {
    // Without CAP_SETPCAP the bounding set cannot shrink.
    EXPECT_EQ(r.rc, -EPERM);
    return;
  }
  ASSERT_EQ(r.rc, 0) << std::strerror(-r.rc);
  EXPECT_EQ(status_field(r.status, "CapEff"), "00000000a80425fb");
  EXPECT_EQ(status_field(r.status, "CapPrm"), "00000000a80425fb");
  EXPECT_EQ(status_field(r.status, "CapBnd"), "00000000a80425fb");
  EXPECT_EQ(status_field(r.status, "CapInh"), "0000000000000000");
  EXPECT_EQ(status_field(r.status, "CapAmb"), "0000000000000000");
}

// The documented order for a non-root container user: KEEPCAPS keeps the permitted set across
// setresuid, and apply_caps regains CAP_SETPCAP from it to shrink the bounding set.
TEST(CapsApply, AfterSwitchingToAnotherUser) {
  auto sets = cap_sets_from_names(docker_cap_names(docker_default_caps()));
  ASSERT_TRUE(sets.ok());
  ChildReport r = apply_in_child(*sets, /*as_user=*/true);
  if (geteuid() != 0) {
    EXPECT_EQ(r.rc, -EPERM);
    return;
  }
  ASSERT_EQ(r.rc, 0) << r.rc;
  EXPECT_EQ(status_field(r.status, "Uid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(status_field(r.status, "CapEff"), "00000000a80425fb");
  EXPECT_EQ(status_field(r.status, "CapBnd"), "00000000a80425fb");
}

TEST(CapsApply, AmbientNeedsPermittedAndInheritable) {
  // CAP_KILL everywhere, including ambient.
  CapSets sets{0x20, 0x20, 0x20, 0x20, 0x20};
  ChildReport r = apply_in_child(sets);
  if (geteuid() != 0) {
    EXPECT_EQ(r.rc, -EPERM);
    return;
  }
  ASSERT_EQ(r.rc, 0) << std::strerror(-r.rc);
  EXPECT_EQ(status_field(r.status, "CapEff"), "0000000000000020");
  EXPECT_EQ(status_field(r.status, "CapBnd"), "0000000000000020");
  EXPECT_EQ(status_field(r.status, "CapInh"), "0000000000000020");
  EXPECT_EQ(status_field(r.status, "CapAmb"), "0000000000000020");
}

}  // namespace
}  // namespace berth::runtime
