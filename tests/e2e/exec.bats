#!/usr/bin/env bats
# berth exec: a command in a running container, with Docker's flags, messages and exit codes.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' -c 'ENV APP=berth' -c 'WORKDIR /root' "$BUSYBOX_TAR" busybox >/dev/null
  berth run -d --name box -h boxhost busybox sleep 100000 >/dev/null
}
teardown_file() {
  for id in $("$BERTH" --root "$BERTH_TEST_ROOT" ps -aq 2>/dev/null); do
    "$BERTH" --root "$BERTH_TEST_ROOT" rm -f "$id" >/dev/null 2>&1 || true
  done
  berth_teardown_file
}

@test "exec runs inside the container: its hostname, pid namespace, env, workdir, confinement" {
  run berth exec box sh -c 'hostname; cat /proc/1/cmdline | tr "\0" " "; echo; echo "APP=$APP"; pwd; grep -E "^(CapEff|Seccomp):" /proc/self/status'
  expect_status 0
  [ "${lines[0]}" = "boxhost" ]
  [ "${lines[1]}" = "sleep 100000 " ]
  [ "${lines[2]}" = "APP=berth" ]
  [ "${lines[3]}" = "/root" ]
  [[ "$output" == *"CapEff:	00000000a80425fb"* ]]
  [[ "$output" == *"Seccomp:	2"* ]]
}

@test "exec returns the command's exit status, 127 and 126 as Docker" {
  run berth exec box sh -c 'exit 3'
  expect_status 3
  run -127 berth exec box no-such-command
  expect_status 127
  [[ "$output" == *'exec: "no-such-command": executable file not found in $PATH'* ]]
  run berth exec box /etc
  expect_status 126
  run berth container exec box true
  expect_status 0
}

@test "exec -e, --env-file, -u, -w" {
  printf '# comment\nFROM_FILE=yes\n\nSHARED=file\n' > "$BERTH_TEST_ROOT/env.list"
  run berth exec --env-file "$BERTH_TEST_ROOT/env.list" -e SHARED=flag -e APP=over -u nobody -w /tmp box \
    sh -c 'echo "$FROM_FILE $SHARED $APP"; id -u; pwd'
  expect_status 0
  [ "${lines[0]}" = "yes flag over" ]
  [ "${lines[1]}" = "65534" ]
  [ "${lines[2]}" = "/tmp" ]
  run berth exec -u nosuchuser box true
  expect_status 126
  [[ "$output" == *"unable to find user nosuchuser: no matching entries in passwd file"* ]]
  printf 'BAD KEY=1\n' > "$BERTH_TEST_ROOT/bad.list"
  run berth exec --env-file "$BERTH_TEST_ROOT/bad.list" box true
  expect_status 125
  [[ "$output" == *"line 1: variable 'BAD KEY' contains whitespaces"* ]]
}

@test "exec -i passes stdin, without -i the command reads nothing" {
  run bash -c "echo piped | '$BERTH' --root '$BERTH_TEST_ROOT' exec -i box cat"
  expect_status 0
  [ "$output" = "piped" ]
  run bash -c "echo piped | '$BERTH' --root '$BERTH_TEST_ROOT' exec box cat"
  expect_status 0
  [ "$output" = "" ]
}

@test "exec -d leaves the command running in the container" {
  run berth exec -d box sh -c 'sleep 0.2; echo done > /tmp/marker'
  expect_status 0
  [ "$output" = "" ]
  for _ in $(seq 50); do berth exec box test -e /tmp/marker && break; sleep 0.1; done
  run berth exec box cat /tmp/marker
  [ "$output" = "done" ]
}

@test "exec -it gives a real terminal" {
  run python3 "$BERTH_SRC/tests/e2e/pty_run.py" 30 90 'tty; stty size; echo "$TERM"; exit 4
' "$BERTH" --root "$BERTH_TEST_ROOT" exec -it box sh
  expect_status 0
  [[ "$output" == *"/dev/pts/"* ]]
  [[ "$output" == *"30 90"* ]]
  [[ "$output" == *"xterm"* ]]
  [[ "$output" == *"exit 4" ]]
}

@test "exec --privileged has every capability" {
  run berth exec --privileged box grep CapEff /proc/self/status
  expect_status 0
  [[ "$output" != *"00000000a80425fb"* ]]
}

@test "exec into a stopped or unknown container fails as Docker's" {
  id=$(berth run -d busybox true)
  for _ in $(seq 50); do [ "$(berth inspect --format '{{.State.Status}}' "$id")" = exited ] && break; sleep 0.1; done
  run berth exec "$id" true
  expect_status 1
  [ "$output" = "Error response from daemon: container $id is not running" ]
  run berth exec nosuch true
  expect_status 1
  [ "$output" = "Error response from daemon: No such container: nosuch" ]
  run berth exec box
  expect_status 1
}
