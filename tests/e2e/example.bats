#!/usr/bin/env bats
# The README's main job on its example: build examples/hello-web from a local base, run it with
# a published port, wait for its healthcheck, and call it, as scripts/quickstart.sh does.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" busybox:latest >/dev/null
}
teardown_file() {
  berth_teardown_file
}

@test "examples/hello-web: build, run -p, healthy, GET and POST answer, stop and rm clean up" {
  run berth build -q -t hello-web:latest --build-arg GIT_COMMIT=abc1234 "$BERTH_SRC/examples/hello-web"
  expect_status 0
  run berth inspect --format '{{index .Config.Labels "org.label-schema.vcs-ref"}} {{.Config.User}} {{json .Config.ExposedPorts}}' hello-web:latest
  [ "$output" = 'abc1234 web {"8000/tcp":{}}' ]
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  berth run -d --pull never --name hello-web -p "127.0.0.1:$port:8000" hello-web:latest >/dev/null
  for i in $(seq 1 100); do
    [ "$(berth inspect --format '{{.State.Health.Status}}' hello-web)" = healthy ] && break
    sleep 0.2
  done
  run berth ps --format '{{.Status}} {{.Ports}}'
  [[ "$output" =~ ^Up\ .*\(healthy\)\ 127\.0\.0\.1:$port-\>8000/tcp$ ]]
  run curl -fsS "http://127.0.0.1:$port/"
  expect_status 0
  [[ "$output" == *"Hello from a berth container"* ]]
  run curl -fsS -X POST -H 'Content-Type: application/json' -d '{"text": "hello"}' "http://127.0.0.1:$port/cgi-bin/predict"
  expect_status 0
  [ "$output" = '{"input_bytes": 17, "prediction": "berth works"}' ]
  run berth stop hello-web
  expect_status 0
  run curl -sS --max-time 2 "http://127.0.0.1:$port/"
  [ "$status" -ne 0 ]
  run berth rm hello-web
  expect_status 0
  run berth ps -aq
  [ -z "$output" ]
}
