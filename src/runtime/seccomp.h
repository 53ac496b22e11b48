// Seccomp profiles: Docker's JSON format, the OCI runtime-spec `linux.seccomp` form, Docker's
// default policy, and a libseccomp compiler whose output a cloned child can load without
// allocating.
//
// The flow a container start follows:
//   1. parent: profile = default_seccomp_profile() or parse_seccomp_profile(file contents);
//   2. parent: resolved = resolve_seccomp(profile, bounding_caps) (or from_oci_seccomp(spec json));
//   3. parent: compiled = compile_seccomp(resolved);      // libseccomp runs here, before clone
//   4. child:  prctl(PR_SET_NO_NEW_PRIVS, 1); apply_compiled_seccomp(compiled) just before execve.
//      Without no_new_privs the kernel requires CAP_SYS_ADMIN in the effective set, so the child
//      must load the filter before it drops capabilities (see caps.h for the full order).
//
// Nothing here is thread-unsafe except as noted; apply_compiled_seccomp is async-signal-safe.
#pragma once

#include <linux/filter.h>

#include <compare>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::runtime {

// SCMP_ACT_*; kKill is the historical alias of kKillThread, kept distinct so names round-trip.
enum class SeccompAction {
  kKill,
  kKillProcess,
  kKillThread,
  kTrap,
  kErrno,
  kTrace,
  kAllow,
  kLog,
  kNotify,
};

// SCMP_CMP_*.
enum class SeccompOp {
  kNotEqual,
  kLessThan,
  kLessEqual,
  kEqualTo,
  kGreaterEqual,
  kGreaterThan,
  kMaskedEqual,
};

std::string_view seccomp_action_name(SeccompAction a);  // "SCMP_ACT_ERRNO"
std::string_view seccomp_op_name(SeccompOp op);         // "SCMP_CMP_MASKED_EQ"

// A kernel release compared as Docker does: major.minor only ("4.8", "5.10.0-23-amd64").
struct KernelVersion {
  int major = 0;
  int minor = 0;
  auto operator<=>(const KernelVersion&) const = default;
};
// Errors: `invalid kernel version "x"`.
Result<KernelVersion> parse_kernel_version(std::string_view release);

// One syscall argument comparison. For kMaskedEqual `value` is the mask and `value_two` the value
// the masked argument must equal (as OCI and runc define it).
struct SeccompArg {
  unsigned index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  SeccompOp op = SeccompOp::kEqualTo;
  bool operator==(const SeccompArg&) const = default;
};

// Docker's includes/excludes. `caps` are "CAP_*" names, `arches` Docker's native arch names
// ("amd64", "arm64", "x86", "s390x", ...).
struct SeccompFilter {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::optional<KernelVersion> min_kernel;
  bool empty() const { return caps.empty() && arches.empty() && !min_kernel; }
  bool operator==(const SeccompFilter&) const = default;
};

struct SeccompSyscall {
  std::vector<std::string> names;  // Docker's legacy "name" is folded in here
  SeccompAction action = SeccompAction::kAllow;
  std::optional<unsigned> errno_ret;  // SCMP_ACT_ERRNO / SCMP_ACT_TRACE; EPERM when absent
  std::vector<SeccompArg> args;       // all must match (AND), except as compile_seccomp notes
  std::string comment;
  SeccompFilter includes;  // Docker format only
  SeccompFilter excludes;  // Docker format only
  bool operator==(const SeccompSyscall&) const = default;
};

struct SeccompArchMap {
  std::string arch;                     // "SCMP_ARCH_X86_64"
  std::vector<std::string> sub_arches;  // "SCMP_ARCH_X86", "SCMP_ARCH_X32"
  bool operator==(const SeccompArchMap&) const = default;
};

// Docker's seccomp profile. A resolved profile (the OCI form) has an empty arch_map and no
// includes/excludes.
struct SeccompProfile {
  SeccompAction default_action = SeccompAction::kAllow;
  std::optional<unsigned> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_*"
  std::vector<SeccompArchMap> arch_map;
  std::vector<std::string> flags;  // "SECCOMP_FILTER_FLAG_LOG", "..._SPEC_ALLOW", "..._TSYNC"
  std::string listener_path;
  std::vector<SeccompSyscall> syscalls;
  bool operator==(const SeccompProfile&) const = default;
};

// Parses Docker's profile JSON (`--security-opt seccomp=<file>`). Keys match case-insensitively
// as Go's encoding/json does; unknown keys are ignored; null counts as absent. A profile with no
// defaultAction and no syscalls is Docker's "disabled" profile: SCMP_ACT_ALLOW with no rules.
// Errors (kInvalidArgument) start with "seccomp profile: " and name the place, e.g.
//   seccomp profile: unknown action "SCMP_ACT_FOO"                (defaultAction)
//   seccomp profile: syscalls[2]: unknown action "SCMP_ACT_FOO"
//   seccomp profile: syscalls[0].args[1]: unknown operator "SCMP_CMP_FOO"
//   seccomp profile: syscalls[0].args[0]: index 6 out of range 0-5
//   seccomp profile: unknown architecture "SCMP_ARCH_FOO"
//   seccomp profile: syscalls[1].names: expected an array of strings
//   seccomp profile: invalid JSON at byte 37
// Unknown syscall names are not errors (they are skipped at compile time, as runc does).
Result<SeccompProfile> parse_seccomp_profile(std::string_view json);

// Docker's default policy (an allowlist; everything else fails with EPERM), with its
// capability-, arch- and kernel-conditional groups. Built once; thread-safe.
const SeccompProfile& default_seccomp_profile();

// What includes/excludes are evaluated against.
struct SeccompTarget {
  std::string arch;  // Docker's native arch name: "amd64", "arm64", ...
  KernelVersion kernel;
};
// The machine berth runs on (compile-time arch, uname's release).
const SeccompTarget& host_seccomp_target();

// Applies includes/excludes for a capability set (Docker uses the bounding set; "CAP_*" names,
// compared exactly) and a target, and turns archMap into the architectures of the target's arch.
// A rule is kept when no exclude matches (any listed cap present, the arch listed, kernel >=
// minKernel) and every include holds (all listed caps present, the arch listed, kernel >=
// minKernel). The result has no includes/excludes and an empty arch_map.
SeccompProfile resolve_seccomp(const SeccompProfile& profile, const std::vector<std::string>& caps,
                               const SeccompTarget& target = host_seccomp_target());

// The OCI runtime-spec `linux.seccomp` object of resolve_seccomp(profile, caps, target).
nlohmann::json to_oci_seccomp(const SeccompProfile& profile,
                              const std::vector<std::string>& effective_caps,
                              const SeccompTarget& target = host_seccomp_target());
// Reads an OCI `linux.seccomp` object (includes/excludes/archMap, if present, are ignored).
// Errors as parse_seccomp_profile's.
Result<SeccompProfile> from_oci_seccomp(const nlohmann::json& oci);

// A classic-BPF program ready for seccomp(2). `flags` holds SECCOMP_FILTER_FLAG_* bits.
struct CompiledSeccomp {
  std::vector<struct sock_filter> prog;
  unsigned flags = 0;
};

// Compiles a resolved profile with libseccomp (native arch plus `architectures`) and exports the
// BPF program. Syscall names unknown to libseccomp are skipped, as runc does; rules whose action
// equals the default action are dropped (libseccomp refuses them); a rule with two comparisons on
// the same argument becomes one rule per comparison (libseccomp cannot AND them; runc does the
// same). Errors: kInvalidArgument for a profile that still has includes/excludes/archMap, for
// SCMP_ACT_NOTIFY (no listener support), for conflicting rules libseccomp rejects, and for a
// program over the kernel's 4096 instructions.
Result<CompiledSeccomp> compile_seccomp(const SeccompProfile& resolved);

// Compiling Docker's default policy takes tens of milliseconds (libseccomp, three x86 ABIs): too
// slow for every container start. The program depends only on this key (the resolved profile's
// OCI JSON and the libseccomp version), so a caller may keep encode_compiled_seccomp()'s bytes
// under a digest of the key and skip compile_seccomp on a hit.
std::string seccomp_cache_key(const SeccompProfile& resolved);
std::string encode_compiled_seccomp(const CompiledSeccomp& c);
// Errors (kInvalidArgument): `compiled seccomp: bad header`, `compiled seccomp: bad size N`.
Result<CompiledSeccomp> decode_compiled_seccomp(std::string_view bytes);

// The cache itself: files under `dir` (berth sets <runroot>/seccomp at startup; "" turns the
// cache off), named by a hash of the key and holding the whole key, so a hash collision is a miss,
// never a wrong filter. Written atomically; an unreadable or foreign file is a miss.
void set_seccomp_cache_dir(std::string dir);
// compile_seccomp through that cache: a hit costs one small file read instead of libseccomp.
Result<CompiledSeccomp> compile_seccomp_cached(const SeccompProfile& resolved);
// The same for a spec's linux.seccomp text, keyed by the text itself: on a hit (every start but
// the first) nothing is parsed or converted.
Result<CompiledSeccomp> compile_oci_seccomp_cached(const std::string& oci_json);

// Loads `c` into the calling thread (seccomp(2), or prctl(PR_SET_SECCOMP) on kernels without it
// when no flags are asked). Needs no_new_privs or CAP_SYS_ADMIN. Async-signal-safe: no
// allocation, no locks; safe in a child after clone/vfork. Returns 0 or -errno.
int apply_compiled_seccomp(const CompiledSeccomp& c) noexcept;

}  // namespace berth::runtime
