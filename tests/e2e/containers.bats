#!/usr/bin/env bats
# Containers as the seeds run them: run, ps, stop, rm, prune, with real isolation and limits.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" myimagename:1.0 >/dev/null
}
teardown_file() {
  # Whatever a failed test left running is stopped before the root goes.
  for id in $("$BERTH" --root "$BERTH_TEST_ROOT" ps -q 2>/dev/null); do
    "$BERTH" --root "$BERTH_TEST_ROOT" rm -f "$id" >/dev/null 2>&1 || true
  done
  berth_teardown_file
}

@test "the seed's first container: run myimagename:1.0 echo \"Hello world\"" {
  run berth run myimagename:1.0 echo "Hello world"
  expect_status 0
  [ "$output" = "Hello world" ]
  run berth ps -a
  expect_status 0
  [[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
  [[ "${lines[1]}" =~ ^[0-9a-f]{12}\ +myimagename:1\.0\ +\"echo\ Hello\ world\"\ +.*Exited\ \(0\) ]]
  # Not running: plain ps lists nothing.
  run berth ps -q
  [ -z "$output" ]
}

@test "exit codes: the command's own, 127 not found, 126 not executable, 125 engine error" {
  run berth run --rm myimagename:1.0 sh -c 'exit 3'
  expect_status 3
  run -127 berth run --rm myimagename:1.0 nosuchcmd
  expect_status 127
  [[ "$output" == *'exec: "nosuchcmd": executable file not found in $PATH'* ]]
  run -126 berth run --rm myimagename:1.0 /etc
  expect_status 126
  run berth run --rm no/such:image true
  expect_status 125
  [[ "$output" == *"Unable to find image 'no/such:image' locally"* ]]
  run berth run --rm --bogus myimagename:1.0 true
  expect_status 125
}

@test "isolation by default: Docker's capabilities, seccomp, only stdio, masked /proc, own pid and hostname" {
  run berth run --rm --hostname box myimagename:1.0 sh -c \
    'grep -E "^(CapEff|Seccomp):" /proc/self/status; hostname; [ -c /proc/timer_list ] && echo masked; echo pid=$$'
  expect_status 0
  [[ "$output" == *"CapEff:	00000000a80425fb"* ]]
  [[ "$output" == *"Seccomp:	2"* ]]
  [[ "$output" == *masked* ]]
  [[ "$output" == *"box"* ]]
  [[ "$output" == *"pid=1"* ]]
  # Only stdio reaches the container (3 is ls's own handle on the directory it lists).
  run berth run --rm myimagename:1.0 ls /proc/self/fd
  [ "$(echo $output)" = "0 1 2 3" ]
  run berth run --rm myimagename:1.0 sh -c 'mkdir -p /mnt; mount -t tmpfs none /mnt && echo mounted'
  [[ "$output" != *mounted* ]]
  run berth run --rm --privileged myimagename:1.0 sh -c 'mkdir -p /mnt; mount -t tmpfs none /mnt && echo mounted'
  expect_status 0
  [[ "$output" == *mounted* ]]
  # Nothing of the container is left mounted on the host.
  ! grep -q "$BERTH_TEST_ROOT" /proc/self/mountinfo
}

@test "limits: a fork bomb stops at --pids-limit, a memory hog is killed at --memory" {
  run berth run --rm --pids-limit 10 myimagename:1.0 sh -c 'for i in $(seq 30); do sleep 2 & done; wait'
  [[ "$output" == *"can't fork"* ]]
  run berth run --rm --memory 32m --shm-size 256m myimagename:1.0 sh -c 'dd if=/dev/zero of=/dev/shm/x bs=1M count=100 2>/dev/null; echo "dd=$?"'
  expect_status 0
  [ "$output" = "dd=137" ]
  run berth run --rm --memory 32m --shm-size 256m myimagename:1.0 sh -c 'dd if=/dev/zero of=/dev/shm/x bs=1M count=8 2>/dev/null; echo "dd=$?"'
  [ "$output" = "dd=0" ]
  # When the container's own process is the one killed, inspect says so, as Docker's does.
  run berth run --name hog --memory 32m --shm-size 256m myimagename:1.0 dd if=/dev/zero of=/dev/shm/x bs=1M count=100
  expect_status 137
  run berth inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}' hog
  [ "$output" = "true 137 33554432" ]
  berth rm hog
}

@test "container inspect has Docker's shape" {
  berth run --name shape -e FOO=bar --ulimit nofile=1024:2048 myimagename:1.0 true
  run berth container inspect shape
  expect_status 0
  python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
assert d["Name"] == "/shape", d["Name"]
assert d["State"]["Status"] == "exited" and d["State"]["ExitCode"] == 0, d["State"]
assert d["Path"] == "true" and d["Args"] == [], (d["Path"], d["Args"])
assert "FOO=bar" in d["Config"]["Env"], d["Config"]["Env"]
assert d["HostConfig"]["Ulimits"] == [{"Name": "nofile", "Hard": 2048, "Soft": 1024}], d["HostConfig"]["Ulimits"]
assert d["Image"].startswith("sha256:")
' <<<"$output"
  run berth inspect --format '{{range .NetworkSettings.Networks}}[{{.IPAddress}}]{{end}}' shape
  [ "$output" = "[]" ]
  run berth inspect --type image --format '{{.Id}}' myimagename:1.0
  [[ "$output" =~ ^sha256: ]]
  berth rm shape
}

@test "ulimits: within the hard limit they apply, beyond it a clear error names the limit" {
  run berth run --rm --ulimit nofile=1024:2048 myimagename:1.0 sh -c 'ulimit -n; ulimit -Hn'
  expect_status 0
  [ "$output" = "$(printf '1024\n2048')" ]
  hard=$(ulimit -Hl)
  if [ "$hard" = unlimited ]; then
    run berth run --rm --ulimit memlock=-1 myimagename:1.0 sh -c 'ulimit -l'
    expect_status 0
    [ "$output" = unlimited ]
  else
    run berth run --rm --ulimit memlock=-1 --ulimit stack=67108864 myimagename:1.0 true
    expect_status 125
    [[ "$output" == *"cannot raise the memlock limit to unlimited"* ]]
  fi
}

@test "the seeds' background run, container list, stop and rm" {
  "$BERTH" --root "$BERTH_TEST_ROOT" run --name sleeper myimagename:1.0 sleep 100000000000 &
  for _ in $(seq 50); do
    berth ps --format '{{.Names}}' | grep -qx sleeper && break
    sleep 0.1
  done
  run berth container list
  expect_status 0
  [[ "$output" == *sleeper* ]]
  [[ "$output" == *" Up "* ]]
  run berth rm sleeper
  expect_status 1
  [[ "$output" == *"container is running: stop the container before removing or force remove"* ]]
  run berth stop -t 1 sleeper
  expect_status 0
  [ "$output" = "sleeper" ]
  wait
  run berth ps -a --filter name=sleeper --format '{{.Status}}'
  [[ "$output" == "Exited (137)"* ]]
  run berth rm sleeper
  expect_status 0
}

@test "rm -f of a running container, stop \$(berth ps -a -q), rm \$(berth ps -a -q), container prune" {
  "$BERTH" --root "$BERTH_TEST_ROOT" run --name victim myimagename:1.0 sleep 1000 &
  for _ in $(seq 50); do
    berth ps --format '{{.Names}}' | grep -qx victim && break
    sleep 0.1
  done
  run berth rm -f victim
  expect_status 0
  wait || true
  berth run myimagename:1.0 true
  berth run myimagename:1.0 true
  run bash -c "'$BERTH' --root '$BERTH_TEST_ROOT' stop \$('$BERTH' --root '$BERTH_TEST_ROOT' ps -a -q)"
  expect_status 0
  run bash -c "'$BERTH' --root '$BERTH_TEST_ROOT' rm \$('$BERTH' --root '$BERTH_TEST_ROOT' ps -a -q)"
  expect_status 0
  [ -z "$(berth ps -a -q)" ]
  berth run myimagename:1.0 true
  run berth system df --format '{{.Type}}={{.TotalCount}}/{{.Active}}'
  [[ "$output" == *"Images=1/1"* ]]
  [[ "$output" == *"Containers=1/0"* ]]
  run berth container prune -f
  expect_status 0
  [ "${lines[0]}" = "Deleted Containers:" ]
  [ -z "$(berth ps -a -q)" ]
  # The containers' directories and cgroups went with them.
  [ -z "$(ls -A "$BERTH_TEST_ROOT/containers")" ]
  run berth system check
  expect_status 0
}

@test "an image used by a container is refused by rmi, as Docker" {
  berth run --name user myimagename:1.0 true
  run berth rmi myimagename:1.0
  expect_status 1
  [[ "$output" == *"container"*"is using its referenced image"* ]]
  berth rm user
}

@test "run -it gives a real terminal inside the container: the seeds' run -it IMAGE /bin/sh" {
  run python3 "$BERTH_SRC/tests/e2e/pty_run.py" 33 101 'tty; stty size; echo "sum=$((6*7))"; exit 7
' "$BERTH" --root "$BERTH_TEST_ROOT" run -it --rm myimagename:1.0 /bin/sh
  expect_status 0
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"33 101"* ]]
  [[ "$output" == *"sum=42"* ]]
  [[ "$output" == *"exit 7" ]]
  # The pty has the terminal's size before the container's first command runs (no resize can
  # race a command that reads it at once).
  for _ in 1 2 3; do
    run python3 "$BERTH_SRC/tests/e2e/pty_run.py" 24 132 '' "$BERTH" --root "$BERTH_TEST_ROOT" \
      run -it --rm myimagename:1.0 stty size
    expect_status 0
    [[ "$output" == *"24 132"* ]]
  done
}
