// cgroup v2 device control: v2 has no devices.allow file; access is decided by an eBPF program
// of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. Built here with raw bpf(2).
#pragma once

#include <linux/bpf.h>

#include <vector>

#include "base/error.h"
#include "runtime/cgroup.h"

namespace berth::runtime::internal {

// The program for `rules`: rules are checked last to first and the first match decides (so the
// last matching rule wins, as with v1's sequential devices.allow/deny writes); a request no rule
// matches is allowed, as in a fresh v1 devices cgroup. An allow rule matches when it grants every
// requested access, a deny rule when it denies any of them.
std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules);

// Loads the program for `rules` and attaches it to the cgroup directory `cgroup_fd`
// (BPF_F_ALLOW_MULTI), then detaches the device programs that were attached before, so an
// update replaces the old filter without a window where none applies.
Status set_device_filter(int cgroup_fd, const std::vector<DeviceRule>& rules);

}  // namespace berth::runtime::internal
