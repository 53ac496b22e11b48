#!/usr/bin/env bats
# The README's first command: scripts/quickstart.sh from a clean berth root, on a free port. It
# makes debian:bookworm with debootstrap (the tarball is cached in /var/cache/berth/debootstrap,
# or $BERTH_BASE_CACHE, so only the first run on a machine pays for it), builds
# examples/ml-serving (apt-get from Debian's mirror inside the build), runs it and calls it.
# Cold (no cached tarball): about 4 minutes; warm: about 2 (the apt step of the build).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  # The scripts call $BERTH directly: the private root goes through berth's environment.
  export BERTH_ROOT=$BERTH_TEST_ROOT BERTH_RUNROOT=$BERTH_TEST_ROOT/run
  export BERTH_DEMO_PORT
  BERTH_DEMO_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export QUICKSTART_LOG=$BERTH_TEST_ROOT/quickstart.log
}
teardown_file() {
  berth_teardown_file
}

predict() {
  curl -sS --max-time 10 -X POST "http://127.0.0.1:$BERTH_DEMO_PORT/predict" \
    -H "Content-Type: application/json" "$@"
}

@test "quickstart from a clean root: base made, image built, container healthy, prediction printed" {
  run berth images -q
  [ -z "$output" ]
  run bash "$BERTH_SRC/scripts/quickstart.sh"
  echo "$output" > "$QUICKSTART_LOG"
  expect_status 0
  # The prediction for request.json, as the quickstart printed it (pretty JSON).
  python3 - "$QUICKSTART_LOG" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
body = text[text.index("/predict -H"):]
body = body[body.index("\n{") + 1:body.index("\n}\n") + 2]
got = json.loads(body)
assert got["model"] == "iris-logreg", got
assert [p["class"] for p in got["predictions"]] == ["setosa", "virginica"], got
for p in got["predictions"]:
    assert abs(sum(p["probabilities"].values()) - 1) < 0.01, p
    assert p["probabilities"][p["class"]] > 0.8, p
PY
  [[ "$output" == *"make-base: "* ]]
  [[ "$output" == *"ml-serving is still running on port $BERTH_DEMO_PORT. Stop it with:"* ]]
  run berth images --format '{{.Repository}}:{{.Tag}}' debian
  [ "$output" = debian:bookworm ]
}

@test "the container is healthy in berth ps, with its port published" {
  run berth ps --format '{{.Names}} {{.Status}} {{.Ports}}'
  expect_status 0
  [[ "$output" =~ ^ml-serving\ Up\ .*\(healthy\)\ 0\.0\.0\.0:$BERTH_DEMO_PORT-\>8000/tcp(,\ \[::\]:$BERTH_DEMO_PORT-\>8000/tcp)?$ ]]
  run berth inspect --format '{{.Config.User}} {{json .Config.Entrypoint}} {{.State.Health.Status}}' ml-serving
  [ "$output" = 'app ["gunicorn","-c","app/gunicorn.py","app.api:app"] healthy' ]
  run curl -fsS "http://127.0.0.1:$BERTH_DEMO_PORT/health"
  [ "$output" = '{"model":"iris-logreg","status":"ok"}' ]
}

@test "POST /predict answers JSON for the sample body and 400 with a reason for a bad one" {
  run predict -f -d @"$BERTH_SRC/examples/ml-serving/request.json"
  expect_status 0
  run python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(*[p["class"] for p in d["predictions"]])' "$output"
  [ "$output" = "setosa virginica" ]
  run predict -w '%{http_code}' -d '{"features": [[1, 2]]}'
  [[ "$output" == *'"error":"features[0] must be a list of 4 finite numbers'*'400' ]]
  run predict -w '%{http_code}' -d 'not json'
  [[ "$output" == *'must be a JSON object with a \"features\" list'*'400' ]]
}

@test "the image carries the git metadata as label-schema labels" {
  commit=$(git -C "$BERTH_SRC" rev-parse --short HEAD 2>/dev/null || true)
  count=$(git -C "$BERTH_SRC" rev-list --count HEAD 2>/dev/null || true)
  run berth inspect --format '{{index .Config.Labels "org.label-schema.vcs-ref"}}|{{index .Config.Labels "org.label-schema.name"}}|{{index .Config.Labels "org.label-schema.schema-version"}}|{{index .Config.Labels "org.label-schema.docker.cmd"}}' ml-serving:latest
  expect_status 0
  [ "$output" = "${commit:-unknown}|ml-serving|1.0|berth run -d --name ml-serving -p 8000:8000 ml-serving:0.1.${count:-0}" ]
  # The classic builder's field, which seed 004's scripts read, has the same labels.
  run berth inspect --format '{{index .ContainerConfig.Labels "org.label-schema.vcs-ref"}}' ml-serving:latest
  [ "$output" = "${commit:-unknown}" ]
  # The container shows its image's labels too, as Docker's does.
  run berth inspect --format '{{index .Config.Labels "org.label-schema.vcs-ref"}}' ml-serving
  [ "$output" = "${commit:-unknown}" ]
  run berth inspect --format '{{index .Config.Labels "org.label-schema.build-date"}}' ml-serving:latest
  [[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
}

@test "a second quickstart is idempotent: same image, container replaced, healthy again" {
  image=$(berth inspect --format '{{.Id}}' ml-serving:latest)
  old=$(berth inspect --format '{{.Id}}' ml-serving)
  start=$SECONDS
  run bash "$BERTH_SRC/scripts/quickstart.sh"
  expect_status 0
  [ $((SECONDS - start)) -lt 60 ]
  [[ "$output" == *"debian:bookworm is already present"* ]]
  [ "$(berth inspect --format '{{.Id}}' ml-serving:latest)" = "$image" ]
  new=$(berth inspect --format '{{.Id}}' ml-serving)
  [ "$new" != "$old" ]
  run berth ps -aq --no-trunc
  [ "$output" = "$new" ]
  [ "$(berth inspect --format '{{.State.Health.Status}}' ml-serving)" = healthy ]
}

@test "berth stop and berth rm clean up: port closed, no container, no state left" {
  id=$(berth inspect --format '{{.Id}}' ml-serving)
  run berth stop ml-serving
  expect_status 0
  [ "$output" = ml-serving ]
  run berth ps -a --format '{{.Names}} {{.Status}}'
  [[ "$output" =~ ^ml-serving\ Exited ]]
  run curl -sS --max-time 2 "http://127.0.0.1:$BERTH_DEMO_PORT/health"
  [ "$status" -ne 0 ]
  run berth rm ml-serving
  expect_status 0
  run berth ps -aq
  [ -z "$output" ]
  [ ! -e "$BERTH_TEST_ROOT/containers/$id" ]
  [ ! -e "$BERTH_TEST_ROOT/run/netns/$id" ]
  run grep -c "$id" /proc/self/mounts
  [ "$output" = 0 ]
}
