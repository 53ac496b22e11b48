#!/usr/bin/env bats
# Detached containers: run -d, the monitor, json-file logs, start/stop/restart/wait, restart
# policies, and seed 004's long-running service line.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" colorai/cauchycv_visdom:0.2.7 >/dev/null
  berth tag colorai/cauchycv_visdom:0.2.7 busybox
}
teardown_file() {
  for id in $("$BERTH" --root "$BERTH_TEST_ROOT" ps -aq 2>/dev/null); do
    "$BERTH" --root "$BERTH_TEST_ROOT" rm -f "$id" >/dev/null 2>&1 || true
  done
  berth_teardown_file
}

wait_for() {  # wait_for COMMAND...: retry for up to 5 s
  for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done
  "$@"
}

@test "run -d prints the id, ps shows it Up, logs has stdout and stderr" {
  run berth run -d --name web busybox sh -c 'echo hello out; echo hello err >&2; i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done'
  expect_status 0
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  id=$output
  run berth ps --format '{{.ID}} {{.Names}} {{.Status}}'
  [[ "$output" == "${id:0:12} web Up "* ]]
  wait_for bash -c "'$BERTH' --root '$BERTH_TEST_ROOT' logs web 2>/dev/null | grep -q 'tick 2'"
  run bash -c "'$BERTH' --root '$BERTH_TEST_ROOT' logs web 2>/dev/null | head -1"
  [ "$output" = "hello out" ]
  run bash -c "'$BERTH' --root '$BERTH_TEST_ROOT' logs web 2>&1 >/dev/null"
  [ "$output" = "hello err" ]
  run berth logs --tail 1 web
  [[ "$output" =~ ^tick\ [0-9]+$ ]]
  run berth logs -t --tail 1 web
  [[ "$output" =~ ^20[0-9-]+T[0-9:.]+Z\ tick ]]
  # The log is Docker's json-file format.
  path=$(berth inspect --format '{{.LogPath}}' web)
  head -1 "$path" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert d["log"]=="hello out\n" and d["stream"]=="stdout" and d["time"].endswith("Z"), d'
}

@test "stop, start, restart and wait" {
  run berth stop -t 1 web
  expect_status 0
  run berth ps -a --filter name=web --format '{{.Status}}'
  [[ "$output" == "Exited (137)"* ]]
  run berth start web
  expect_status 0
  [ "$output" = "web" ]
  wait_for bash -c "'$BERTH' --root '$BERTH_TEST_ROOT' ps --format '{{.Names}}' | grep -qx web"
  run berth restart -t 1 web
  expect_status 0
  run berth ps --format '{{.Names}} {{.Status}}'
  [[ "$output" == "web Up "* ]]
  berth run -d --name short busybox sh -c 'sleep 0.5; exit 4' >/dev/null
  run berth wait short
  expect_status 0
  [ "$output" = "4" ]
  berth rm -f web short
}

@test "logs -f follows until the container exits" {
  berth run -d --name counter busybox sh -c 'for i in 1 2 3; do echo "n$i"; sleep 0.3; done' >/dev/null
  run berth logs -f counter
  expect_status 0
  [ "$output" = "$(printf 'n1\nn2\nn3')" ]
  berth rm counter
}

@test "restart policies: on-failure:N retries N times, always stays down after stop" {
  berth run -d --name flaky --restart on-failure:2 busybox sh -c 'echo run; exit 1' >/dev/null
  wait_for bash -c "[ \"\$('$BERTH' --root '$BERTH_TEST_ROOT' logs flaky | wc -l)\" -eq 3 ]"
  sleep 1
  [ "$(berth logs flaky | wc -l)" -eq 3 ]
  run berth inspect --format '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' flaky
  [ "$output" = "on-failure:2" ]
  berth run -d --name always --restart always busybox sh -c 'echo up; sleep 0.2' >/dev/null
  wait_for bash -c "[ \"\$('$BERTH' --root '$BERTH_TEST_ROOT' logs always | wc -l)\" -ge 3 ]"
  berth stop -t 1 always
  n=$(berth logs always | wc -l)
  sleep 1.5
  [ "$(berth logs always | wc -l)" -eq "$n" ]
  run berth run --rm --restart always busybox true
  expect_status 125
  [[ "$output" == *"Conflicting options: --restart and --rm"* ]]
  berth rm -f flaky always
}

@test "logs are bounded: --log-opt max-size/max-file rotate, --log-driver none keeps nothing" {
  berth run -d --name chatty --log-opt max-size=2k --log-opt max-file=2 busybox sh -c 'for i in $(seq 500); do echo "line $i of some chatter"; done' >/dev/null
  berth wait chatty >/dev/null
  dir=$(dirname "$(berth inspect --format '{{.LogPath}}' chatty)")
  [ "$(ls "$dir" | grep -c 'json.log')" -le 2 ]
  for f in "$dir"/*json.log*; do [ "$(stat -c %s "$f")" -le 2200 ]; done
  run berth logs --tail 1 chatty
  [ "$output" = "line 500 of some chatter" ]
  berth run -d --name quiet --log-driver none busybox echo nothing >/dev/null
  berth wait quiet >/dev/null
  run berth logs quiet
  [ -z "$output" ]
  run berth inspect --format '{{.HostConfig.LogConfig.Type}}' quiet
  [ "$output" = "none" ]
  berth rm chatty quiet
}

@test "seed 004's service line: memlock=-1 is refused here with a clear error, works within the hard limit" {
  data="$BERTH_TEST_ROOT/data"
  mkdir -p "$data" && echo model > "$data/weights"
  args=(--name cauchy_service --restart unless-stopped --volume "$data:/data" --network host
        --hostname colorai --shm-size=2g)
  if [ "$(ulimit -Hl)" != unlimited ]; then
    run berth run -d "${args[@]}" --ulimit memlock=-1 --ulimit stack=67108864 colorai/cauchycv_visdom:0.2.7 sh -c 'sleep 100'
    expect_status 125
    [[ "$output" == *"cannot raise the memlock limit to unlimited"* ]]
    berth rm -f cauchy_service >/dev/null 2>&1 || true
  fi
  memlock=$(( $(ulimit -Hl) == 0 ? 0 : 64 ))
  run berth run -d "${args[@]}" --ulimit "memlock=$memlock" --ulimit stack=67108864 colorai/cauchycv_visdom:0.2.7 \
    sh -c 'cat /data/weights; hostname; df -k /dev/shm | tail -1; ulimit -s; sleep 100'
  expect_status 0
  wait_for bash -c "'$BERTH' --root '$BERTH_TEST_ROOT' logs cauchy_service | grep -q colorai"
  run berth logs cauchy_service
  [[ "$output" == *model* ]]
  [[ "$output" == *colorai* ]]
  [[ "$output" == *" 2097152 "* ]]
  [[ "$output" == *65536* ]]
  berth rm -f cauchy_service
}

@test "SIGKILL of the monitor: ps still tells the truth and rm -f cleans up" {
  id=$(berth run -d --name orphan busybox sleep 100)
  mon=$(pgrep -f "monitor $id")
  kill -9 "$mon"
  run berth ps --format '{{.Names}} {{.Status}}'
  [[ "$output" == "orphan Up "* ]]
  run berth rm -f orphan
  expect_status 0
  [ ! -d "/sys/fs/cgroup/memory/berth/$id" ]
  [ ! -d "/sys/fs/cgroup/pids/berth/$id" ]
  [ ! -d "/sys/fs/cgroup/berth/$id" ]
  ! grep -q "$id" /proc/self/mountinfo
}

@test "system boot starts always and unless-stopped containers after a host reboot, not stopped or no-policy ones" {
  berth run -d --name boot-always --restart always colorai/cauchycv_visdom:0.2.7 sleep 1000 >/dev/null
  berth run -d --name boot-unless --restart unless-stopped colorai/cauchycv_visdom:0.2.7 sleep 1000 >/dev/null
  berth run -d --name boot-stopped --restart unless-stopped colorai/cauchycv_visdom:0.2.7 sleep 1000 >/dev/null
  berth run -d --name boot-no colorai/cauchycv_visdom:0.2.7 sleep 1000 >/dev/null
  berth run -d --rm --name boot-rm colorai/cauchycv_visdom:0.2.7 sleep 1000 >/dev/null
  berth stop -t 1 boot-stopped >/dev/null
  # A reboot: every monitor and container dies at once, without a word to berth.
  for n in boot-always boot-unless boot-no boot-rm; do
    pid=$(berth inspect --format '{{.State.Pid}}' $n)
    mon=$(awk '/^PPid:/ {print $2}' /proc/$pid/status)
    kill -KILL "$mon" "$pid"
  done
  sleep 0.5
  run berth ps --format '{{.Names}}'
  [ -z "$output" ]
  run berth system boot
  expect_status 0
  [[ "$output" == *boot-always* && "$output" == *boot-unless* ]]
  [[ "$output" != *boot-stopped* && "$output" != *boot-no* ]]
  run berth ps --format '{{.Names}}'
  [[ "$output" == *boot-always* && "$output" == *boot-unless* ]]
  # The --rm container the reboot ended is gone, as after a Docker daemon restart.
  run berth ps -a --format '{{.Names}}'
  [[ "$output" != *boot-rm* && "$output" == *boot-no* ]]
  # Twice is harmless: running containers are left alone.
  run berth system boot
  expect_status 0
  [ -z "$output" ]
  berth rm -f boot-always boot-unless boot-stopped boot-no >/dev/null
}

@test "attach streams a running container's output and returns its exit code; start -a does both" {
  berth run -d --name att colorai/cauchycv_visdom:0.2.7 sh -c 'sleep 0.5; echo from-attach; echo err-line >&2; exit 5' >/dev/null
  run berth attach att
  expect_status 5
  [[ "$output" == *from-attach* && "$output" == *err-line* ]]
  run berth attach att
  expect_status 1
  [[ "$output" == *"You cannot attach to a stopped container, start it first"* ]]
  run berth start -a att
  expect_status 5
  [[ "$output" == *from-attach* ]]
  berth rm att >/dev/null
}

@test "a started container reports ExitCode 0 while it runs: start and a restart policy reset how the last run ended" {
  # First run: exits 3 and leaves /tmp/ran; the next run sees it and keeps running.
  local cmd='test -f /tmp/ran && exec sleep 1000; touch /tmp/ran; exit 3'
  berth run -d --name again busybox sh -c "$cmd" >/dev/null
  inspect_is() { [ "$(berth inspect --format "$2" "$1")" = "$3" ]; }
  wait_for inspect_is again '{{.State.Status}} {{.State.ExitCode}}' "exited 3"
  finished=$(berth inspect --format '{{.State.FinishedAt}}' again)
  berth start again >/dev/null
  run berth inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}} [{{.State.Error}}] {{.State.FinishedAt}}' again
  [ "$output" = "running 0 false [] $finished" ]
  run berth ps --filter name=again --format '{{.Status}}'
  [[ "$output" == Up* ]]
  berth rm -f again >/dev/null
  berth run -d --name again2 --restart on-failure:1 busybox sh -c "$cmd" >/dev/null
  wait_for inspect_is again2 '{{.RestartCount}} {{.State.Status}}' "1 running"
  run berth inspect --format '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' again2
  [ "$output" = "1 running 0" ]
  berth rm -f again2 >/dev/null
}

@test "restart policy: between two runs inspect and ps say restarting; rm refuses it; stop cancels the restart" {
  berth run -d --name rs --restart always busybox sh -c 'exit 3' >/dev/null
  # Docker's backoff doubles from 100 ms: after 4 restarts the gaps last 1.6 s and more. Each
  # check below retries, as a short run may come in between.
  local fmt='{{.RestartCount}} {{.State.Status}} {{.State.Restarting}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}'
  for i in $(seq 1 150); do
    output=$(berth inspect --format "$fmt" rs)
    [[ "$output" =~ ^([4-9]|[1-9][0-9])\ restarting ]] && break
    sleep 0.05
  done
  [[ "$output" =~ ^[0-9]+\ restarting\ true\ true\ 3\ 0$ ]]
  for i in $(seq 1 50); do
    run berth ps --filter name=rs --format '{{.Status}}'
    [[ "$output" == Restarting* ]] && break
    sleep 0.05
  done
  [[ "$output" =~ ^Restarting\ \(3\)\ .*\ ago$ ]]
  for i in $(seq 1 50); do
    run berth rm rs
    [[ "$output" == *"is restarting"* ]] && break
    sleep 0.05
  done
  expect_status 1
  [[ "$output" == *'cannot remove container "/rs": container is restarting: stop the container before removing or force remove'* ]]
  berth stop rs >/dev/null
  run berth inspect --format '{{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}}' rs
  [ "$output" = "exited false 3" ]
  count=$(berth inspect --format '{{.RestartCount}}' rs)
  sleep 2  # longer than the gap it was in: it must not have started again
  run berth inspect --format '{{.State.Status}} {{.RestartCount}}' rs
  [ "$output" = "exited $count" ]
  berth rm rs >/dev/null
  # rm -f of a restarting container removes it and its monitor does not bring it back.
  berth run -d --name rs2 --restart always busybox sh -c 'exit 4' >/dev/null
  for i in $(seq 1 100); do
    [ "$(berth inspect --format '{{.State.Status}} {{ge .RestartCount 3}}' rs2)" = "restarting true" ] && break
    sleep 0.05
  done
  berth rm -f rs2 >/dev/null
  sleep 1
  run berth ps -a --filter name=rs2 -q
  [ -z "$output" ]
}

@test "healthchecks: ps shows (healthy) then (unhealthy); inspect has State.Health; --restart on-unhealthy restarts" {
  berth run -d --name hc --health-cmd 'test -f /tmp/ok' --health-interval 200ms --health-retries 2 \
    colorai/cauchycv_visdom:0.2.7 sh -c 'touch /tmp/ok; sleep 2; rm /tmp/ok; sleep 1000' >/dev/null
  for i in $(seq 1 100); do
    [ "$(berth inspect --format '{{.State.Health.Status}}' hc)" = healthy ] && break
    sleep 0.1
  done
  run berth ps --filter health=healthy --format '{{.Names}} {{.Status}}'
  [[ "$output" =~ ^hc\ Up\ .*\(healthy\)$ ]]
  for i in $(seq 1 100); do
    [ "$(berth inspect --format '{{.State.Health.Status}}' hc)" = unhealthy ] && break
    sleep 0.1
  done
  run berth ps --format '{{.Status}}' --filter name=hc
  [[ "$output" == *"(unhealthy)" ]]
  run berth inspect --format '{{.State.Health.FailingStreak}} {{(index .State.Health.Log 0).ExitCode}}' hc
  [[ "$output" =~ ^[2-9]\ [01]$ ]]
  berth rm -f hc >/dev/null
  # on-unhealthy:1 kills the unhealthy container and starts it once more; between the two runs it
  # is "restarting", so "1 exited" is only the end of the second run.
  berth run -d --name hc2 --restart on-unhealthy:1 --health-cmd 'false' --health-interval 200ms --health-retries 1 \
    colorai/cauchycv_visdom:0.2.7 sleep 1000 >/dev/null
  for i in $(seq 1 200); do
    [ "$(berth inspect --format '{{.RestartCount}} {{.State.Status}}' hc2)" = "1 exited" ] && break
    sleep 0.1
  done
  run berth inspect --format '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' hc2
  [ "$output" = "1 exited 137" ]
  # The second run probed afresh (its own Log) and was killed as unhealthy again.
  run berth inspect --format '{{.State.Health.Status}} {{len .State.Health.Log}}' hc2
  [ "$output" = "unhealthy 1" ]
  berth rm -f hc2 >/dev/null
  run berth run -d --restart on-unhealthy colorai/cauchycv_visdom:0.2.7 true
  expect_status 125
  [[ "$output" == *"needs a healthcheck"* ]]
}

@test "a detached container starts with no signal ignored or blocked (the monitor's SIG_IGN does not leak)" {
  berth run -d --name sigs colorai/cauchycv_visdom:0.2.7 sleep 1000 >/dev/null
  run berth exec sigs grep -E '^Sig(Ign|Blk):' /proc/1/status
  expect_status 0
  [ "$output" = "$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')" ]
  berth rm -f sigs >/dev/null
}
