// berth-runc: berth speaking runc's command line, so that podman (through conmon), containerd
// (through containerd-shim-runc-v2) and anything else that drives runc can run containers with
// berth's runtime. main() calls runc_main() when argv[0]'s basename is "berth-runc".
//
// Commands: create, start, run, state, kill, delete, exec, ps, pause, resume, list, spec,
// features; global flags --root (default /run/berth-runc), --log, --log-format, --debug,
// --systemd-cgroup, --rootless (accepted). State lives in <root>/<id>/ (state.json, written
// atomically; exec.fifo while the container is created but not started).
#pragma once

namespace berth::runc {

int runc_main(int argc, char** argv);

}  // namespace berth::runc
