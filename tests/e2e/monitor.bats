#!/usr/bin/env bats
# The small per-container monitor (berth-monitor, src/monitor/): what stays resident for a
# detached container, the json-file log it writes, and the exec round trips through berth for
# restarts and healthchecks.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" busybox >/dev/null
}
teardown_file() { berth_teardown_file; }

wait_for() {  # wait_for COMMAND...: retry for up to 10 s
  for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
  "$@"
}

monitor_pid() { cat "$BERTH_TEST_ROOT/containers/$1/monitor.pid"; }

@test "an idle detached container's monitor is berth-monitor, under 1 MB resident, holding only its own fds" {
  id=$(berth run -d --name idle busybox sleep 1000)
  mon=$(monitor_pid "$id")
  sleep 0.5  # past its start
  [ "$(readlink "/proc/$mon/exe")" = "$(dirname "$BERTH")/berth-monitor" ]
  grep -q "monitor $id" <(tr '\0' ' ' < "/proc/$mon/cmdline")
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$mon/status")
  dirty=$(awk '/^Private_Dirty:/ {print $2}' "/proc/$mon/smaps_rollup")
  echo "berth-monitor: VmRSS ${rss} KiB, Private_Dirty ${dirty} KiB" >&3
  [ "$rss" -lt 1024 ]
  # The container is its child; no other process of berth stays behind.
  pid=$(berth inspect --format '{{.State.Pid}}' idle)
  [ "$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")" = "$mon" ]
  # stdin/stdout/stderr on /dev/null, the two output pipes, the log, a signalfd; no database.
  fds=$(for f in /proc/$mon/fd/*; do readlink "$f"; done | sort)
  echo "$fds"
  [ "$(echo "$fds" | grep -c '^/dev/null$')" -eq 3 ]
  [ "$(echo "$fds" | grep -c '^pipe:')" -eq 2 ]
  [ "$(echo "$fds" | grep -c -- "-json.log$")" -eq 1 ]
  ! echo "$fds" | grep -q '\.db'
  [ "$(echo "$fds" | wc -l)" -le 7 ]
  berth rm -f idle >/dev/null
}

@test "the log is Docker's json-file: escaping as Docker's (HTML characters, control bytes, invalid UTF-8), logs reads it back" {
  berth run -d --name esc busybox sh -c "printf '<a>&\\001\"q\"\\n'; printf 'bad \\377 utf8\\n' >&2; printf 'no newline'" >/dev/null
  berth wait esc >/dev/null
  path=$(berth inspect --format '{{.LogPath}}' esc)
  run cat "$path"
  [ "${lines[0]:0:52}" = '{"log":"\u003ca\u003e\u0026\u0001\"q\"\n","stream":"' ]
  [[ "${lines[0]}" =~ \"stream\":\"stdout\",\"time\":\"20[0-9-]+T[0-9:.]+Z\"\}$ ]]
  [[ "$output" == *'{"log":"bad \ufffd utf8\n","stream":"stderr"'* ]]
  [[ "$output" == *'{"log":"no newline","stream":"stdout"'* ]]
  # Every line is JSON that Python's parser takes.
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$path"
  run berth logs esc
  [[ "$output" == *'<a>&'*'"q"'* ]]
  berth rm esc >/dev/null
}

@test "rotation: max-size and max-file bound the log, the newest lines are kept" {
  berth run -d --name rot --log-opt max-size=1k --log-opt max-file=3 busybox \
    sh -c 'for i in $(seq 300); do echo "line $i"; done' >/dev/null
  berth wait rot >/dev/null
  path=$(berth inspect --format '{{.LogPath}}' rot)
  [ -f "$path" ] && [ -f "$path.1" ] && [ -f "$path.2" ]
  [ ! -e "$path.3" ]
  for f in "$path" "$path.1" "$path.2"; do [ "$(stat -c %s "$f")" -le 1024 ]; done
  run berth logs --tail 1 rot
  [ "$output" = "line 300" ]
  berth rm rot >/dev/null
}

@test "a tty container's output is logged from the pty" {
  berth run -d -t --name tty busybox sh -c 'echo from-tty; sleep 0.3' >/dev/null
  berth wait tty >/dev/null
  run berth logs tty
  [[ "$output" == *from-tty* ]]
  grep -q '"log":"from-tty\\r\\n","stream":"stdout"' "$(berth inspect --format '{{.LogPath}}' tty)"
  berth rm tty >/dev/null
}

@test "restart policy through the exec round trip: the same monitor pid, restart count, small again after each restart" {
  id=$(berth run -d --name rp --restart on-failure:2 busybox sh -c 'echo run; sleep 0.3; exit 2')
  mon=$(monitor_pid "$id")
  wait_for bash -c "[ \"\$('$BERTH' --root '$BERTH_TEST_ROOT' inspect --format '{{.RestartCount}} {{.State.Status}}' rp)\" = '2 exited' ]"
  run berth inspect --format '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' rp
  [ "$output" = "2 exited 2" ]
  [ "$(berth logs rp | grep -c run)" -eq 3 ]
  [ "$(monitor_pid "$id")" = "$mon" ]
  # always: while it runs again after a restart, the resident process is berth-monitor.
  id=$(berth run -d --name rp2 --restart always busybox sh -c 'test -f /tmp/x && exec sleep 1000; touch /tmp/x; exit 1')
  mon=$(monitor_pid "$id")
  wait_for bash -c "[ \"\$('$BERTH' --root '$BERTH_TEST_ROOT' inspect --format '{{.RestartCount}} {{.State.Status}}' rp2)\" = '1 running' ]"
  sleep 0.3
  [ "$(readlink "/proc/$mon/exe")" = "$(dirname "$BERTH")/berth-monitor" ]
  [ "$(awk '/^VmRSS:/ {print $2}' "/proc/$mon/status")" -lt 1024 ]
  berth rm -f rp rp2 >/dev/null
}

@test "--rm and --log-driver none through berth-monitor" {
  id=$(berth run -d --rm --name gone busybox sh -c 'echo bye')
  wait_for bash -c "! '$BERTH' --root '$BERTH_TEST_ROOT' inspect gone >/dev/null 2>&1"
  # The record goes first, then the directory (a crash between leaves only a directory, which
  # system check removes): the monitor may still be removing it when inspect fails.
  wait_for test ! -d "$BERTH_TEST_ROOT/containers/$id"
  id=$(berth run -d --log-driver none --name nolog busybox sh -c 'echo x; exit 3')
  run berth wait nolog
  [ "$output" = "3" ]
  [ -z "$(ls "$BERTH_TEST_ROOT/containers/$id" | grep json.log || true)" ]
  berth rm nolog >/dev/null
}

@test "healthchecks from berth-monitor: short-lived probes flip the state to unhealthy; on-unhealthy kills and restarts" {
  id=$(berth run -d --name hcm --health-cmd 'test -f /tmp/ok' --health-interval 200ms --health-retries 2 \
    busybox sh -c 'touch /tmp/ok; sleep 1.5; rm /tmp/ok; sleep 1000')
  mon=$(monitor_pid "$id")
  wait_for bash -c "[ \"\$('$BERTH' --root '$BERTH_TEST_ROOT' inspect --format '{{.State.Health.Status}}' hcm)\" = healthy ]"
  wait_for bash -c "[ \"\$('$BERTH' --root '$BERTH_TEST_ROOT' inspect --format '{{.State.Health.Status}}' hcm)\" = unhealthy ]"
  run berth inspect --format '{{.State.Status}} {{.State.Health.FailingStreak}}' hcm
  [[ "$output" =~ ^running\ [2-9]$ ]]
  # Between two probes nothing of berth but the monitor is resident.
  [ "$(readlink "/proc/$mon/exe")" = "$(dirname "$BERTH")/berth-monitor" ]
  berth rm -f hcm >/dev/null
  berth run -d --name hcm2 --restart on-unhealthy:1 --health-cmd false --health-interval 200ms \
    --health-retries 1 busybox sleep 1000 >/dev/null
  wait_for bash -c "[ \"\$('$BERTH' --root '$BERTH_TEST_ROOT' inspect --format '{{.RestartCount}} {{.State.Status}}' hcm2)\" = '1 exited' ]"
  run berth inspect --format '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}} {{.State.Health.Status}}' hcm2
  [ "$output" = "1 exited 137 unhealthy" ]
  berth rm -f hcm2 >/dev/null
}

@test "SIGKILL of berth-monitor: ps still tells the truth, rm -f cleans up" {
  id=$(berth run -d --name orphan2 busybox sleep 1000)
  mon=$(monitor_pid "$id")
  kill -9 "$mon"
  run berth ps --format '{{.Names}} {{.Status}}'
  [[ "$output" == "orphan2 Up "* ]]
  run berth rm -f orphan2
  expect_status 0
  [ ! -d "$BERTH_TEST_ROOT/containers/$id" ]
  ! grep -q "$id" /proc/self/mountinfo
}

@test "a berth without berth-monitor next to it refuses to start a detached container, clearly" {
  dir=$(mktemp -d)
  cp "$BERTH" "$dir/berth"
  run "$dir/berth" --root "$BERTH_TEST_ROOT" --runroot "$BERTH_TEST_ROOT/run" run -d --name nomon busybox sleep 100
  rm -rf "$dir"
  expect_status 125
  [[ "$output" == *"the container monitor $dir/berth-monitor is missing"*"install berth-monitor next to berth"* ]]
  run berth ps --filter name=nomon --format '{{.Status}}'
  [[ "$output" != Up* ]]
  berth rm -f nomon >/dev/null
}
