// Starts a container's first process from an OCI runtime spec: namespaces, the root file system
// (overlay mounted inside the container's own mount namespace, so no mount ever leaks onto the
// host), the spec's mounts, devices, masked and read-only paths, pivot_root, hostname, sysctls,
// rlimits, user and groups, capabilities, no_new_privs, seccomp, cwd, exec.
//
// Plan, then apply: launch() turns the spec into a ChildPlan (plain strings and numbers, every
// path and flag precomputed, seccomp compiled) in the parent; the child after clone only walks
// the plan with raw syscalls, allocates nothing, and leaves by execve or _exit.
//
// Thread-safety: launch() forks; call it from a single-threaded process (the CLI, the monitor).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/runtime_spec.h"
#include "runtime/caps.h"
#include "runtime/cgroup.h"
#include "runtime/seccomp.h"

namespace berth::runtime {

struct LaunchOptions {
  // When set, the child mounts this overlay ("lowerdir=...,upperdir=...,workdir=...") at
  // spec.root.path in its mount namespace; otherwise spec.root.path is bind-mounted (a bundle).
  std::string overlay_options;
  // Joined before anything else (e.g. the cgroup from open_cgroup() after create()).
  Cgroup* cgroup = nullptr;
  // The container's stdio; -1 keeps the caller's. Ignored with spec.process.terminal: then the
  // child opens a pseudo-terminal in its own devpts, makes it its controlling terminal and stdio,
  // and hands the master side back (Launched::console).
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  // Seccomp: compiled from spec.linux.seccomp when null.
  const CompiledSeccomp* seccomp = nullptr;
  // exec (runtime/exec.h): start the process inside this running container process's
  // namespaces and cgroups instead of creating a container; the spec's root, mounts, devices
  // and hostname are ignored. Set through exec_in_container(), not directly.
  pid_t exec_target = -1;
  // The start gate (runc's create/start split): when >= 0, the child does all its setup, then
  // launch() returns (the process is created, not yet running) while the child blocks reading
  // one byte from this fd; it execs the command when the byte arrives and exits when the fd
  // reports end of file. A failure to exec after the gate is only seen in the exit status.
  int start_gate_fd = -1;
  // A detached mount (runtime/mount_clone.h) the child attaches at /dev/shm after the spec's
  // mounts: --ipc container:<x> shares x's POSIX shared memory this way.
  int shm_mount_fd = -1;
  // The state the spec's hooks read (runtime/hooks.h): the container's id and bundle directory.
  // Hooks run only for a new container, never for exec.
  std::string hook_id, hook_bundle;
};

// A started container process. The caller reaps it (waitpid) or hands it to a monitor.
struct Launched {
  pid_t pid = -1;
  UniqueFd console;  // the pty master, when spec.process.terminal
  // A poststart hook that failed: the spec says to warn and go on, so the caller logs this.
  std::string hook_warning;
};

// What went wrong in the child, and Docker's exit code for it: 127 when the command was not
// found, 126 when it could not be executed, 125 for anything else in setting up the container.
struct LaunchError {
  int exit_code = 125;
};

// Starts the process and returns once it has exec'd the container's command (or failed to),
// running the spec's hooks up to poststart on the way (runtime/hooks.h; poststop is the caller's).
// Errors read like runc's: `exec: "foo": executable file not found in $PATH` (127),
// `exec: "/etc": permission denied` (126), `mounting "proc" to rootfs at "/proc": ...` (125);
// the exit code is in `exit_code_for(error)`.
Result<Launched> launch(const oci::RuntimeSpec& spec, const LaunchOptions& opts);

// 127/126/125 as above, from an error launch() returned.
int exit_code_for(const Error& e);

// The exit status Docker reports for a waitpid status: the exit code, or 128 + signal.
int docker_exit_status(int wait_status);

}  // namespace berth::runtime
