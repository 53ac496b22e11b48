#!/usr/bin/env bats
# berth-runc: berth's runtime behind runc's command line, driven directly and by real peers
# (podman through conmon, containerd through containerd-shim-runc-v2).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import "$BUSYBOX_TAR" busybox >/dev/null
  export R="$BERTH_TEST_ROOT/runc"
  mkdir -p "$R/bin" "$R/bundle/rootfs"
  ln -s "$BERTH" "$R/bin/berth-runc"
  export BERTH_RUNC="$R/bin/berth-runc"
  export RUNC_ROOT="$R/state"
  tar -xf "$BUSYBOX_TAR" -C "$R/bundle/rootfs"
  # A unique cgroup parent for everything the peers create, removed in teardown_file.
  export CG="berth-runc-test-$$"
  export PODMAN_DIR="$R/podman"
  mkdir -p "$PODMAN_DIR"
  cat > "$PODMAN_DIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
CONF
}

teardown_file() {
  if [ -s "$R/containerd/pid" ]; then
    pid=$(cat "$R/containerd/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  for id in $("$BERTH_RUNC" --root "$RUNC_ROOT" list -q 2>/dev/null); do
    "$BERTH_RUNC" --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
  done
  if [ -d "$PODMAN_DIR/root" ]; then
    podman_ rm -af >/dev/null 2>&1 || true
    podman_ system reset -f >/dev/null 2>&1 || true
  fi
  # Cgroups the tests made (deepest first); a busy one is left and reported by rmdir.
  find /sys/fs/cgroup -maxdepth 4 -type d -name "$CG*" 2>/dev/null | sort -r | while read -r d; do
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  berth_teardown_file
}

runc_() { "$BERTH_RUNC" --root "$RUNC_ROOT" "$@"; }

podman_() {
  CONTAINERS_CONF="$PODMAN_DIR/containers.conf" podman --root "$PODMAN_DIR/root" \
    --runroot "$PODMAN_DIR/runroot" --storage-driver vfs --cgroup-manager cgroupfs \
    --runtime "$BERTH_RUNC" "$@"
}

# Writes the bundle's config.json from runc's template: the given args, no terminal, our cgroup.
make_config() {
  rm -f "$R/bundle/config.json"
  (cd "$R/bundle" && "$BERTH_RUNC" spec)
  python3 - "$R/bundle/config.json" "$CG/$1" "${@:2}" <<'PY'
import json, sys
path, cg, args = sys.argv[1], sys.argv[2], sys.argv[3:]
c = json.load(open(path))
c["process"]["args"] = args
c["process"]["terminal"] = False
c["root"]["readonly"] = False
c["linux"]["cgroupsPath"] = "/" + cg
json.dump(c, open(path, "w"))
PY
}

@test "spec writes runc's template and refuses to overwrite; features is JSON" {
  mkdir -p "$R/spec"
  cd "$R/spec"
  run "$BERTH_RUNC" spec
  expect_status 0
  python3 -c 'import json; c = json.load(open("config.json")); assert c["process"]["args"] == ["sh"] and c["root"]["path"] == "rootfs"'
  run "$BERTH_RUNC" spec
  expect_status 1
  [[ "$output" == *"config.json exists"* ]]
  run "$BERTH_RUNC" features
  expect_status 0
  echo "$output" | python3 -c 'import json, sys; f = json.load(sys.stdin); assert "pid" in f["linux"]["namespaces"]'
}

@test "create waits at the start gate; start, state, exec, ps, kill, delete" {
  make_config c1 sh -c 'echo started > /tmp/started; exec sleep 1000'
  runc_ create --bundle "$R/bundle" --pid-file "$R/c1.pid" c1 </dev/null >/dev/null 2>"$R/c1.err"
  run runc_ state c1
  expect_status 0
  [[ "$output" == *'"status": "created"'* ]]
  pid=$(cat "$R/c1.pid")
  [[ "$output" == *"\"pid\": $pid"* ]]
  [ ! -e "$R/bundle/rootfs/tmp/started" ] || { echo "the command ran before start" >&2; false; }
  runc_ start c1
  run runc_ state c1
  [[ "$output" == *'"status": "running"'* ]]
  for _ in $(seq 50); do [ -e "$R/bundle/rootfs/tmp/started" ] && break; sleep 0.1; done
  [ -e "$R/bundle/rootfs/tmp/started" ]
  run runc_ start c1
  expect_status 1
  [[ "$output" == *"cannot start an already running container"* ]]
  # exec with a process.json, as containerd and conmon do, and with plain args.
  printf '{"args":["sh","-c","echo in $(hostname); cat /proc/1/cmdline | tr \\"\\\\0\\" \\" \\""],"env":["PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0}}' > "$R/proc.json"
  run runc_ exec --process "$R/proc.json" c1
  expect_status 0
  [[ "$output" == "in runc"*"sleep 1000"* ]]
  run runc_ exec c1 sh -c 'exit 5'
  expect_status 5
  runc_ pause c1
  run runc_ state c1
  [[ "$output" == *'"status": "paused"'* ]]
  runc_ resume c1
  run runc_ state c1
  [[ "$output" == *'"status": "running"'* ]]
  run runc_ list
  [[ "${lines[0]}" == "ID"*"PID"*"STATUS"*"BUNDLE"* ]]
  [[ "${lines[1]}" == "c1 "*"$pid"*"running"*"$R/bundle"* ]]
  run runc_ ps --format json c1
  expect_status 0
  [[ "$output" == *"$pid"* ]]
  run runc_ delete c1
  expect_status 1
  [[ "$output" == *"cannot delete container c1 that is not stopped: running"* ]]
  runc_ kill c1 KILL
  for _ in $(seq 50); do runc_ state c1 | grep -q '"status": "stopped"' && break; sleep 0.1; done
  run runc_ state c1
  [[ "$output" == *'"status": "stopped"'* ]]
  run runc_ delete c1
  expect_status 0
  run runc_ state c1
  expect_status 1
  [[ "$output" == *"container does not exist"* ]]
  [ -z "$(find /sys/fs/cgroup -maxdepth 3 -path "*$CG/c1" 2>/dev/null)" ]
}

@test "hooks run at runc's points: createContainer before pivot_root, startContainer only at start" {
  make_config ch sh -c 'exec sleep 1000'
  local log="$R/hooks.log"
  rm -f "$log"
  printf '#!/bin/sh\necho "$1 $(sed -n "s/.*\\"status\\":\\"\\([a-z]*\\)\\".*/\\1/p")" >> %s\n' "$log" > "$R/hook.sh"
  chmod 755 "$R/hook.sh"
  # startContainer runs in the container after pivot_root: its path is the container's.
  printf '#!/bin/sh\necho startContainer > /tmp/start-hook\n' > "$R/bundle/rootfs/bin/start-hook"
  chmod 755 "$R/bundle/rootfs/bin/start-hook"
  python3 - "$R/bundle/config.json" "$R/hook.sh" <<'PY'
import json, sys
path, hook = sys.argv[1], sys.argv[2]
c = json.load(open(path))
h = lambda name: {"path": hook, "args": ["hook.sh", name]}
c["hooks"] = {k: [h(k)] for k in ("prestart", "createRuntime", "createContainer", "poststart", "poststop")}
c["hooks"]["startContainer"] = [{"path": "/bin/start-hook"}]
json.dump(c, open(path, "w"))
PY
  rm -f "$R/bundle/rootfs/tmp/start-hook"
  runc_ create --bundle "$R/bundle" ch </dev/null >/dev/null
  run cat "$log"
  [ "$output" = "$(printf 'prestart creating\ncreateRuntime creating\ncreateContainer creating')" ]
  [ ! -e "$R/bundle/rootfs/tmp/start-hook" ]
  runc_ start ch
  for _ in $(seq 50); do [ -e "$R/bundle/rootfs/tmp/start-hook" ] && break; sleep 0.1; done
  [ "$(cat "$R/bundle/rootfs/tmp/start-hook")" = startContainer ]
  [ "$(tail -n1 "$log")" = "poststart running" ]
  runc_ kill ch KILL
  for _ in $(seq 50); do runc_ state ch | grep -q '"status": "stopped"' && break; sleep 0.1; done
  runc_ delete ch
  [ "$(tail -n1 "$log")" = "poststop stopped" ]
  run "$BERTH_RUNC" features
  [[ "$output" == *createContainer*startContainer* ]]
}

@test "run in the foreground returns the exit status and cleans up" {
  make_config c2 sh -c 'echo hello from run; exit 3'
  run runc_ run --bundle "$R/bundle" c2
  expect_status 3
  [ "$output" = "hello from run" ]
  run runc_ list -q
  [[ "$output" != *c2* ]]
  run runc_ create --bundle "$R/bundle" "bad/id"
  expect_status 1
  [[ "$output" == *"invalid id format"* ]]
  make_config c3 no-such-command
  run runc_ create --bundle "$R/bundle" c3
  expect_status 1
  [[ "$output" == *'exec: "no-such-command": executable file not found in $PATH'* ]]
  run runc_ state c3
  expect_status 1
  # A created container (waiting at the gate) is deleted with its process.
  make_config c4 sleep 1000
  runc_ create --bundle "$R/bundle" --pid-file "$R/c4.pid" c4 </dev/null >/dev/null 2>&1
  pid=$(cat "$R/c4.pid")
  kill -0 "$pid"
  runc_ delete c4
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$pid" 2>/dev/null
  run runc_ state c4
  expect_status 1
}

@test "podman --runtime berth-runc runs, attaches a terminal and execs" {
  podman_ import "$BUSYBOX_TAR" localhost/bb:latest >/dev/null
  run podman_ run --rm --network none --cgroup-parent "/$CG" localhost/bb echo hi
  expect_status 0
  [ "$output" = "hi" ]
  run podman_ run --rm --network none --cgroup-parent "/$CG" localhost/bb sh -c 'exit 7'
  expect_status 7
  # create looks the command up before it waits at the gate, as runc does: podman says 127.
  run -127 podman_ run --rm --network none --cgroup-parent "/$CG" localhost/bb no-such-command
  expect_status 127
  [[ "$output" == *'executable file not found in $PATH'* ]]
  run podman_ run --rm -t --network none --cgroup-parent "/$CG" localhost/bb sh -c 'tty; echo tty-ok'
  expect_status 0
  [[ "$output" == *"/dev/pts/"* ]]
  [[ "$output" == *"tty-ok"* ]]
  podman_ run -d --name p1 --network none --cgroup-parent "/$CG" localhost/bb sleep 1000 >/dev/null
  run podman_ exec p1 sh -c 'echo exec $(cat /proc/1/cmdline | tr "\0" " ")'
  expect_status 0
  [ "$output" = "exec sleep 1000" ]
  run podman_ exec p1 sh -c 'exit 9'
  expect_status 9
  run podman_ exec -t p1 tty
  expect_status 0
  [[ "$output" == "/dev/pts/"* ]]
  podman_ rm -f -t 0 p1 >/dev/null
}

@test "containerd's ctr run --runc-binary berth-runc" {
  d="$R/containerd"
  mkdir -p "$d"
  cat > "$d/config.toml" <<TOML
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/c.sock"
[ttrpc]
  address = "$d/c.sock.ttrpc"
[debug]
  address = "$d/debug.sock"
TOML
  containerd --config "$d/config.toml" >"$d/log" 2>&1 &
  echo $! > "$d/pid"
  for _ in $(seq 100); do [ -S "$d/c.sock" ] && break; sleep 0.1; done
  berth save -o "$d/bb.tar" busybox
  ctr -a "$d/c.sock" -n "$CG" images import "$d/bb.tar" >/dev/null
  run ctr -a "$d/c.sock" -n "$CG" run --runc-binary "$BERTH_RUNC" --runc-root "$d/runc" --rm \
    docker.io/library/busybox:latest t1 echo hi from containerd
  expect_status 0
  [ "$output" = "hi from containerd" ]
  run ctr -a "$d/c.sock" -n "$CG" run --runc-binary "$BERTH_RUNC" --runc-root "$d/runc" --rm \
    docker.io/library/busybox:latest t2 sh -c 'exit 4'
  expect_status 4
}

@test "berth run --runtime runc|<path to berth-runc> instead of berth's launcher" {
  run berth run --rm --runtime runc busybox echo hi via runc
  expect_status 0
  [ "$output" = "hi via runc" ]
  run bash -c "cd $R && \"\$BERTH\" --root \"\$BERTH_TEST_ROOT\" --runroot \"\$BERTH_TEST_ROOT/run\" run --rm --runtime bin/berth-runc busybox sh -c 'echo via berth-runc; exit 6'"
  expect_status 6
  [ "$output" = "via berth-runc" ]
  run -127 berth run --rm --runtime runc busybox no-such-command
  expect_status 127
  [[ "$output" == *'"no-such-command": executable file not found in $PATH'* ]]
  id=$(berth run -d --runtime runc busybox sleep 1000)
  run berth exec "$id" sh -c 'cat /proc/1/cmdline | tr "\0" " "'
  expect_status 0
  [ "$output" = "sleep 1000 " ]
  run berth ps --format '{{.Status}}' --filter "id=$id"
  [[ "$output" == "Up "* ]]
  berth rm -f "$id"
  run berth run --rm --runtime nosuch busybox true
  expect_status 125
  [[ "$output" == *"unknown or invalid runtime name: nosuch"* ]]
  ! grep -q "$BERTH_TEST_ROOT/containers" /proc/self/mountinfo
}
