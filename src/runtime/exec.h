// exec: a new process inside a running container (`berth exec`, `berth-runc exec`).
//
// The process joins the namespaces of one of the container's processes (normally its first), in
// the order that works: user first (it owns the others), then ipc, uts, net, cgroup, and mount
// last (setns(mnt) also makes the container's root ours); the pid namespace is entered by being
// born in it (the caller's setns(CLONE_NEWPID) around clone), so the process stays our child and
// the caller reaps it. It is put into the target's cgroups (read from /proc/<pid>/cgroup) before
// it runs anything. Then the launcher's process code applies the spec's process: rlimits, groups,
// gid, uid, capabilities, no_new_privs, seccomp, cwd, pty or stdio, execve with the container's
// $PATH. The child allocates nothing after clone, as in the launcher.
//
// Thread-safety: forks and changes the caller's pid_for_children for a moment; call it from a
// single-threaded process (the CLI, berth-runc).
#pragma once

#include <sys/types.h>

#include "base/error.h"
#include "oci/runtime_spec.h"
#include "runtime/launcher.h"

namespace berth::runtime {

struct ExecOptions {
  // The process's stdio; -1 keeps the caller's. Ignored with process.terminal: then a pty is
  // opened in the container's devpts and its master comes back in Launched::console.
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  // Apply the container's seccomp filter (linux.seccomp of its spec). Docker and runc do;
  // a privileged container has none.
  bool seccomp = true;
};

// Starts `process` in the container whose process `target` is running (its pid on the host).
// `container` is the container's spec (for linux.seccomp). Errors as launch(): exit_code_for()
// gives 127 for a command that is not found, 126 for one that cannot run, 125 otherwise;
// kNotFound "container process <pid> is not running" when the target is gone.
Result<Launched> exec_in_container(pid_t target, const oci::RuntimeSpec& container,
                                   const oci::Process& process, const ExecOptions& opts = {});

}  // namespace berth::runtime
