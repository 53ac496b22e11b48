// Linux capabilities: Docker's default set, --cap-add/--cap-drop/--privileged resolution, the five
// OCI sets as bitmasks, and an async-signal-safe apply for the container's init.
//
// Implementation choice: raw capget/capset(2) and prctl(2), not libcap. The child after clone
// must not allocate, and libcap's cap_t objects live on the heap; the v3 capset ABI is two
// 32-bit words per set, simpler than the library's lifecycle. Capability names are a table here.
//
// The order the child must use (the same as runc's, with the bounding-set drop folded into
// apply_caps; a cap in the bounding set does not change what setresuid does):
//   1. everything that needs privilege: mounts, pivot_root, sethostname, rlimits, cgroups;
//   2. without no_new_privs only: apply_compiled_seccomp() now, while CAP_SYS_ADMIN is still
//      effective (the kernel requires it); the profile must allow what follows (the default does);
//   3. prctl(PR_SET_KEEPCAPS, 1)      so that leaving uid 0 keeps the permitted set;
//   4. setgroups(), setresgid(), setresuid()   (the container's user);
//   5. prctl(PR_SET_KEEPCAPS, 0);
//   6. apply_caps(sets)               bounding drop, capset v3, ambient;
//   7. prctl(PR_SET_NO_NEW_PRIVS, 1) and apply_compiled_seccomp() as the last step before
//      execve, so the filter covers as little of the runtime's own code as possible;
//   8. execve. For a non-root user the kernel recomputes the sets at execve: permitted and
//      effective become the ambient set (empty in Docker's configuration), as in Docker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::runtime {

// Bitmasks, bit n = capability n.
struct CapSets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
  bool operator==(const CapSets&) const = default;
};

// The five OCI `process.capabilities` lists.
struct CapNames {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> permitted;
  std::vector<std::string> inheritable;
  std::vector<std::string> ambient;
  bool operator==(const CapNames&) const = default;
};

// Docker's 14 default capabilities, "CAP_*" names (CapEff 00000000a80425fb).
const std::vector<std::string>& docker_default_caps();

// Every capability berth knows by name, index = capability number (CAP_CHOWN ..
// CAP_CHECKPOINT_RESTORE).
const std::vector<std::string>& known_caps();

// The highest capability the running kernel supports: /proc/sys/kernel/cap_last_cap, else probed
// with PR_CAPBSET_READ. Read once, then cached; thread-safe.
uint64_t last_cap();

// The known caps the running kernel supports (those <= last_cap()): what --privileged grants.
std::vector<std::string> all_caps();

// "sys_admin", "CAP_SYS_ADMIN", "Cap_Sys_Admin" -> "CAP_SYS_ADMIN"; "all" (any case) -> "ALL".
// Error (kInvalidArgument): `unknown capability: "CAP_FOO"`.
Result<std::string> normalize_cap(std::string_view name);

// Docker's rules (moby's TweakCapabilities): privileged -> all_caps() (add/drop ignored); add
// "ALL" -> all_caps() minus drops; drop "ALL" -> exactly the adds; else base minus drops, then
// adds. Names are normalized; the result has no duplicates and keeps first-seen order.
Result<std::vector<std::string>> resolve_caps(const std::vector<std::string>& base,
                                              const std::vector<std::string>& cap_add,
                                              const std::vector<std::string>& cap_drop,
                                              bool privileged);

// Bitmask of names (normalized; "ALL" is not accepted here). Caps above last_cap() are left out,
// as runc ignores caps the kernel lacks.
Result<uint64_t> cap_mask(const std::vector<std::string>& names);
// "CAP_*" names of the bits set in `mask`, in capability-number order; unknown bits are skipped.
std::vector<std::string> cap_names(uint64_t mask);

// What Docker puts in the OCI spec for a resolved list: bounding = effective = permitted = caps,
// inheritable and ambient empty (moby cleared inheritable for CVE-2022-24769).
CapNames docker_cap_names(const std::vector<std::string>& caps);
// The five lists as bitmasks. Errors as cap_mask's.
Result<CapSets> cap_sets_from_names(const CapNames& names);

// Makes the calling thread's sets equal `sets`: raises the effective set to the current permitted
// set (so CAP_SETPCAP is usable after setresuid with KEEPCAPS), drops every cap outside
// `bounding` from the bounding set (PR_CAPBSET_DROP), sets effective/permitted/inheritable with
// capset v3, then clears the ambient set and raises `ambient`. Call it at step 6 above.
// Async-signal-safe (no allocation, no locks); returns 0 or -errno (-EPERM without CAP_SETPCAP).
int apply_caps(const CapSets& sets) noexcept;

}  // namespace berth::runtime
