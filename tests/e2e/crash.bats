#!/usr/bin/env bats
# Crash safety and hostile input: a killed load, a truncated or forged archive, tar breakouts.

load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" busybox:latest >/dev/null
  berth save -o "$BERTH_TEST_ROOT/good.tar" busybox:latest
  berth rmi busybox:latest >/dev/null
  berth import "$BUSYBOX_TAR" keep:1 >/dev/null
}
teardown_file() { berth_teardown_file; }

state() {
  { berth images -a --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}'; ls "$BERTH_TEST_ROOT/blobs/sha256" | sort; } 
}

@test "SIGKILL in the middle of load leaves no half image, and system check cleans up" {
  before=$(state)
  fifo="$BERTH_TEST_ROOT/load.fifo"
  mkfifo "$fifo"
  "$BERTH" --root "$BERTH_TEST_ROOT" load -i "$fifo" &
  pid=$!
  # Feed half the archive, then kill the loader while it waits for the rest.
  size=$(stat -c %s "$BERTH_TEST_ROOT/good.tar")
  { head -c $((size / 2)) "$BERTH_TEST_ROOT/good.tar"; sleep 2; } > "$fifo" &
  feeder=$!
  sleep 1
  kill -9 "$pid"
  wait "$pid" || true
  kill "$feeder" 2>/dev/null || true
  wait "$feeder" 2>/dev/null || true
  run berth images --format '{{.Repository}}:{{.Tag}}'
  [ "$output" = "keep:1" ]
  run berth system check
  expect_status 0
  [[ "$output" == *"store is consistent"* ]]
  [ "$(state)" = "$before" ]
}

@test "a truncated archive is refused and changes nothing" {
  before=$(state)
  head -c 20000 "$BERTH_TEST_ROOT/good.tar" > "$BERTH_TEST_ROOT/trunc.tar"
  run berth load -i "$BERTH_TEST_ROOT/trunc.tar"
  expect_status 1
  [[ "$output" == Error:* ]]
  berth system check >/dev/null
  [ "$(state)" = "$before" ]
}

@test "an archive whose blob does not match its digest is refused" {
  before=$(state)
  d="$BERTH_TEST_ROOT/forged"
  mkdir -p "$d" && tar -C "$d" -xf "$BERTH_TEST_ROOT/good.tar"
  cfg=$(python3 -c 'import json;print(json.load(open("'"$d"'/manifest.json"))[0]["Config"])')
  # Same length, one byte changed: only the digest check can catch it.
  python3 - "$d/$cfg" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
i = b.index(b'"sh"')
b[i+1:i+3] = b'zz'
open(p, 'wb').write(bytes(b))
PY
  tar -C "$d" -cf "$BERTH_TEST_ROOT/forged.tar" .
  run berth load -i "$BERTH_TEST_ROOT/forged.tar"
  expect_status 1
  [[ "$output" == *"digest mismatch"* ]]
  berth system check >/dev/null
  [ "$(state)" = "$before" ]
}

@test "import refuses tar breakouts and writes nothing outside the layer" {
  out="$BERTH_TEST_ROOT/outside"
  mkdir -p "$out"
  python3 - "$BERTH_TEST_ROOT" "$out" <<'PY'
import io, sys, tarfile
root, outside = sys.argv[1], sys.argv[2]
def tar(name, members):
    with tarfile.open(f"{root}/{name}.tar", "w") as t:
        for m, data in members:
            t.addfile(m, io.BytesIO(data) if data is not None else None)
def f(name, data=b"pwned"):
    ti = tarfile.TarInfo(name); ti.size = len(data); return (ti, data)
def link(name, target, kind=tarfile.SYMTYPE):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = target; return (ti, None)
tar("dotdot", [f("../../../../../../" + outside.lstrip("/") + "/dotdot")])
tar("symlink", [link("escape", outside), f("escape/through-symlink")])
tar("hardlink", [link("hl", "../../../../../../etc/passwd", tarfile.LNKTYPE)])
PY
  run berth import "$BERTH_TEST_ROOT/dotdot.tar" evil:1
  expect_status 1
  [[ "$output" == *"path escapes the layer root"* ]]
  run berth import "$BERTH_TEST_ROOT/symlink.tar" evil:2
  run berth import "$BERTH_TEST_ROOT/hardlink.tar" evil:3
  expect_status 1
  [[ "$output" == *"hl"* ]]
  [ -z "$(ls -A "$out")" ]
  run berth images --format '{{.Repository}}:{{.Tag}}'
  [[ "$output" != *evil:1* ]]
  [[ "$output" != *evil:3* ]]
  run berth system check
  expect_status 0
}

@test "concurrent berth processes importing, tagging and loading keep the store consistent" {
  pids=()
  for i in 1 2 3 4; do
    "$BERTH" --root "$BERTH_TEST_ROOT" import -c "LABEL n=$i" "$BUSYBOX_TAR" "par:$i" >/dev/null &
    pids+=($!)
  done
  "$BERTH" --root "$BERTH_TEST_ROOT" load -i "$BERTH_TEST_ROOT/good.tar" >/dev/null &
  pids+=($!)
  for p in "${pids[@]}"; do wait "$p"; done
  run berth images --format '{{.Repository}}:{{.Tag}}' --filter reference='par'
  expect_status 0
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "par:1 par:2 par:3 par:4 " ]
  [ "$(berth images --no-trunc --format '{{.ID}}' --filter reference=par | sort -u | wc -l)" -eq 4 ]
  # Every image here was made from the same tarball: they all share one extracted layer.
  [ "$(ls "$BERTH_TEST_ROOT/layers" | grep -c '^[0-9]')" -eq 1 ]
  run berth system check
  expect_status 0
  [[ "$output" == *"store is consistent"* ]]
  for i in 1 2 3 4; do
    [ "$(berth inspect --format '{{index .Config.Labels "n"}}' "par:$i")" = "$i" ]
  done
}

@test "SIGKILL of the CLI at random points of create, run -d, stop and rm -f: ps -a tells the truth, rm -f cleans up, nothing leaks" {
  berth import "$BUSYBOX_TAR" crashbox:1 >/dev/null
  for i in $(seq 1 16); do
    case $((RANDOM % 4)) in
      0) args=(create --network none crashbox:1 sleep 1000) ;;
      1) args=(run -d --network none crashbox:1 sleep 1000) ;;
      2) args=(stop -t 1 $(berth ps -q | head -1)) ;;
      *) args=(rm -f $(berth ps -aq | head -1)) ;;
    esac
    "$BERTH" --root "$BERTH_TEST_ROOT" --runroot "$BERTH_TEST_ROOT/run" "${args[@]}" >/dev/null 2>&1 &
    pid=$!
    sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # ps -a tells the truth: every record reads, and each one said running has a live process.
  for id in $(berth ps -aq --no-trunc); do
    read -r status pid < <(berth inspect --format '{{.State.Status}} {{.State.Pid}}' "$id")
    case $status in
      running) kill -0 "$pid" ;;
      created|exited) ;;
      *) echo "$id: $status" >&2; false ;;
    esac
  done
  ids=$(berth ps -aq --no-trunc)
  [ -z "$ids" ] || berth rm -f $ids >/dev/null
  ids="$ids $(ls "$BERTH_TEST_ROOT/containers")"
  run berth ps -aq
  [ -z "$output" ]
  # Nothing left behind: container directories, mounts under the root, cgroups.
  # A create killed before its record was written leaves a directory: system check removes it
  # once it is older than any create still at work (5 minutes; aged here with touch).
  for d in "$BERTH_TEST_ROOT"/containers/*; do [ -d "$d" ] && touch -d '10 minutes ago' "$d"; done
  berth system check >/dev/null
  run ls "$BERTH_TEST_ROOT/containers"
  [ -z "$output" ]
  run grep -c "$BERTH_TEST_ROOT" /proc/self/mountinfo
  [ "$output" = 0 ]
  for id in $ids; do
    ! ls -d /sys/fs/cgroup/*/berth/"$id" 2>/dev/null
  done
}

@test "rm -f kills a container whatever state its record reads, and a stuck monitor too" {
  berth import "$BUSYBOX_TAR" crashbox:2 >/dev/null
  id=$(berth run -d --network none crashbox:2 sleep 1000)
  pid=$(berth inspect --format '{{.State.Pid}}' "$id")
  monitor=$(cat "$BERTH_TEST_ROOT/containers/$id/monitor.pid")
  kill -0 "$pid"
  # The record read in a transient state (a start or an exit being recorded), and a monitor
  # that does not answer: rm -f must still leave nothing running.
  python3 -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute("UPDATE containers SET state = ? WHERE id = ?", ("exited", sys.argv[2])); db.commit()' \
    "$BERTH_TEST_ROOT/berth.db" "$id"
  kill -STOP "$monitor"
  run berth ps -a --filter "id=$id" --format '{{.State}}'
  [ "$output" = exited ]
  run berth rm -f "$id"
  expect_status 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$pid" 2>/dev/null
  ! kill -0 "$monitor" 2>/dev/null
  ! ls -d /sys/fs/cgroup/*/berth/"$id" 2>/dev/null
  run berth ps -aq
  [ -z "$output" ]
}
