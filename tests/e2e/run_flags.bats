#!/usr/bin/env bats
# More `run` flags (--init, --env-file, --label-file, --cidfile, --stop-signal, --stop-timeout,
# --pid/--ipc/--uts host, health flags) and top / stats / update on a running container.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" flagbox:1 >/dev/null
}
teardown_file() {
  for id in $("$BERTH" --root "$BERTH_TEST_ROOT" ps -aq 2>/dev/null); do
    "$BERTH" --root "$BERTH_TEST_ROOT" rm -f "$id" >/dev/null 2>&1 || true
  done
  berth_teardown_file
}
setup() {
  WORK=$(mktemp -d)
}
teardown() {
  rm -rf "$WORK"
}

@test "--init runs tini as PID 1, which reaps and forwards; inspect keeps the user's command" {
  run berth run --rm --init flagbox:1 sh -c 'cat /proc/1/cmdline | tr "\0" " "'
  expect_status 0
  [[ "$output" == "/sbin/docker-init -- sh -c"* ]]
  berth create --name initc --init flagbox:1 echo hi >/dev/null
  run berth inspect --format '{{.Path}} {{.Args}}' initc
  [ "$output" = "echo [hi]" ]
  berth rm initc >/dev/null
}

@test "--env-file and --label-file; -e wins over the file; a bare key comes from the environment" {
  printf '# settings\nMODE=file\nLEVEL=3\n\nFROM_HOST\n' > "$WORK/env"
  printf 'team=ml\n# c\nstage=dev\n' > "$WORK/labels"
  export FROM_HOST=passed
  run berth run --rm --env-file "$WORK/env" -e MODE=flag flagbox:1 sh -c 'echo $MODE $LEVEL $FROM_HOST'
  expect_status 0
  [ "$output" = "flag 3 passed" ]
  berth create --name lab --label-file "$WORK/labels" -l stage=prod flagbox:1 true >/dev/null
  run berth inspect --format '{{index .Config.Labels "team"}} {{index .Config.Labels "stage"}}' lab
  [ "$output" = "ml prod" ]
  berth rm lab >/dev/null
  run berth run --rm --env-file "$WORK/nosuch" flagbox:1 true
  expect_status 125
  [[ "$output" == *"$WORK/nosuch"* ]]
}

@test "--cidfile writes the id and refuses an existing file" {
  run berth run -d --cidfile "$WORK/cid" flagbox:1 sleep 30
  expect_status 0
  [ "$(cat "$WORK/cid")" = "$output" ]
  run berth run -d --cidfile "$WORK/cid" flagbox:1 sleep 30
  expect_status 125
  [[ "$output" == *"Container ID file found"* ]]
  berth rm -f "$(cat "$WORK/cid")" >/dev/null
}

@test "--stop-signal is what stop sends; --stop-timeout bounds the wait" {
  berth run -d --name sig --stop-signal USR1 flagbox:1 sh -c 'trap "echo got-usr1; exit 7" USR1; while true; do sleep 0.1; done' >/dev/null
  sleep 0.3
  run berth stop sig
  expect_status 0
  run berth inspect --format '{{.State.ExitCode}} {{.Config.StopSignal}}' sig
  [ "$output" = "7 USR1" ]
  run berth logs sig
  [ "$output" = got-usr1 ]
  berth run -d --name slow --stop-timeout 1 flagbox:1 sh -c 'trap "" TERM; while true; do sleep 0.1; done' >/dev/null
  sleep 0.3
  start=$(date +%s)
  berth stop slow >/dev/null
  [ $(( $(date +%s) - start )) -lt 5 ]
  run berth inspect --format '{{.State.ExitCode}}' slow
  [ "$output" = 137 ]
  run berth run --rm --stop-signal NOPE flagbox:1 true
  expect_status 125
  [[ "$output" == *"Invalid signal: NOPE"* ]]
  berth rm sig slow >/dev/null
}

@test "--pid host sees the host's processes; --uts host the host's name; bad modes are refused" {
  run berth run --rm --pid host flagbox:1 sh -c "test -d /proc/$$ && echo seen"
  expect_status 0
  [ "$output" = seen ]
  run berth run --rm flagbox:1 sh -c "test -d /proc/$$ && echo seen || echo hidden"
  [ "$output" = hidden ]
  run berth run --rm --uts host flagbox:1 hostname
  [ "$output" = "$(hostname)" ]
  run berth run --rm --ipc bogus flagbox:1 true
  expect_status 125
  [[ "$output" == *'invalid ipc mode "bogus"'* ]]
}

@test "top lists the container's processes; stats shows its usage; update changes its limits" {
  berth run -d --name busy flagbox:1 sh -c 'sleep 1000; echo done' >/dev/null
  run berth top busy
  expect_status 0
  [[ "${lines[0]}" =~ ^UID\ +PID\ +PPID ]]
  [[ "$output" == *"sleep 1000"* ]]
  [ "${#lines[@]}" -eq 3 ]  # sh and sleep, nothing of the host
  run berth top busy -o pid,comm
  [[ "${lines[0]}" =~ PID\ +COMMAND ]]
  run berth stats --no-stream busy
  expect_status 0
  [[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAME\ +CPU\ %\ +MEM\ USAGE\ /\ LIMIT\ +MEM\ %\ +NET\ I/O\ +BLOCK\ I/O\ +PIDS$ ]]
  [[ "${lines[1]}" =~ busy\ +[0-9.]+%\ +[0-9.]+[KMG]?i?B\ /\ [0-9.]+[KMG]iB ]]
  run berth stats --no-stream --format '{{.Name}} {{.PIDs}}' busy
  [ "$output" = "busy 2" ]
  run berth update --memory 64m --pids-limit 20 --restart on-failure:2 busy
  expect_status 0
  [ "$output" = busy ]
  run berth inspect --format '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}' busy
  [ "$output" = "67108864 20 on-failure" ]
  run berth stats --no-stream --format '{{.MemUsage}}' busy
  [[ "$output" == *"/ 64MiB" ]]
  run berth update busy
  expect_status 1
  run berth update --restart on-unhealthy busy
  expect_status 1
  [[ "$output" == *"needs a healthcheck"* ]]
  run berth update --restart sometimes busy
  expect_status 1
  [[ "$output" == *"invalid restart policy: sometimes"* ]]
  run berth update --memory 12x busy
  expect_status 125
  [[ "$output" == *'invalid argument "12x" for "-m, --memory" flag'* ]]
  berth rm -f busy >/dev/null
  run berth top busy
  expect_status 1
}

@test "health flags are recorded in the container's config" {
  berth create --name hc --health-cmd 'wget -q -O- localhost:80' --health-interval 5s --health-retries 2 flagbox:1 true >/dev/null
  run berth inspect --format '{{json .Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Retries}}' hc
  [ "$output" = '["CMD-SHELL","wget -q -O- localhost:80"] 5000000000 2' ]
  berth rm hc >/dev/null
  run berth create --health-interval 5x flagbox:1 true
  expect_status 125
  [[ "$output" == *'invalid duration "5x"'* ]]
}
