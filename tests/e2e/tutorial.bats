#!/usr/bin/env bats
# docs/tutorial.md cannot drift from the code: every ```sh block of it runs, in order, as one bash
# script (set -euo pipefail) in an empty directory, with `berth` on PATH (a private root).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  export BERTH_ROOT=$BERTH_TEST_ROOT BERTH_RUNROOT=$BERTH_TEST_ROOT/run
  export DOCKER_CONFIG=$BERTH_TEST_ROOT/docker-config
  export TUTORIAL_DIR=$BERTH_TEST_ROOT/tutorial
  mkdir -p "$BERTH_TEST_ROOT/bin" "$TUTORIAL_DIR"
  ln -s "$BERTH" "$BERTH_TEST_ROOT/bin/berth"
  export PORT
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
}
teardown_file() {
  # The tutorial stops its registry in its last block; a failed run stops it here.
  local pid
  pid=$(cat "$TUTORIAL_DIR/registry/pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = docker-registry ]; then
    kill "$pid" 2>/dev/null || true
  fi
  berth_teardown_file
}

@test "the extractor runs sh blocks only, in order, and refuses an unclosed block" {
  md=$BERTH_TEST_ROOT/t.md
  printf '# t\n```sh\necho one\n```\n```text\nnot run\n```\n```sh\necho two\n```\n' > "$md"
  run bash -c "'$BERTH_SRC/tests/e2e/extract-sh-blocks.sh' '$md' | bash"
  expect_status 0
  [ "$output" = "$(printf '### block 1 (%s:2)\none\n### block 2 (%s:8)\ntwo' "$md" "$md")" ]
  printf '```sh\necho open\n' > "$md"
  run "$BERTH_SRC/tests/e2e/extract-sh-blocks.sh" "$md"
  [ "$status" -ne 0 ]
  [[ "$output" == *"is not closed"* ]]
}

@test "every sh block of docs/tutorial.md runs without error" {
  script=$BERTH_TEST_ROOT/tutorial.sh
  "$BERTH_SRC/tests/e2e/extract-sh-blocks.sh" "$BERTH_SRC/docs/tutorial.md" > "$script"
  blocks=$(grep -c '^```sh' "$BERTH_SRC/docs/tutorial.md")
  [ "$blocks" -ge 15 ]
  cd "$TUTORIAL_DIR"
  # fd 3 is bats' own: the registry the tutorial starts must not hold it.
  run env PATH="$BERTH_TEST_ROOT/bin:$PATH" bash -euo pipefail "$script" 3>&-
  echo "$output" > "$BERTH_TEST_ROOT/tutorial.out"
  if [ "$status" -ne 0 ]; then
    echo "$output" | tail -40 >&2
    echo "the tutorial stopped in: $(grep '^### block' <<<"$output" | tail -1)" >&2
    return 1
  fi
  # Every block ran, and the outputs the text shows are the ones berth gives.
  [ "$(grep -c '^### block' <<<"$output")" = "$blocks" ]
  [[ "$output" == *'{"model": "v1", "words": 7, "tag": "long"}'* ]]
  [[ "$output" == *'{"org.label-schema.name":"tagifai","org.label-schema.vcs-ref":"abc1234"}'* ]]
  [[ "$output" =~ tagifai:latest\ +\"httpd\ -f\ -p\ 8000\ -h…\"\ .*Up\ .*\(healthy\)\ +0\.0\.0\.0:$PORT-\>8000/tcp(,\ \[::\]:$PORT-\>8000/tcp)?\ +tagifai ]]
  [[ "$output" == *"uid=1000(app) gid=1000"* ]]
  [[ "$output" == *"the build saw a 12-byte secret"* ]]
  [[ "$output" == *"no secret in the image"* ]]
  [[ "$output" == *"not in its history either"* ]]
  [[ "$output" == *"login johndoe, password of 12 characters"* ]]
  [ "$(grep -c 's3cret-token' <<<"$output")" = 0 ]
  [[ "$output" == *'{"status": "ok"}'* ]]
}

@test "the tutorial leaves no container, no image and no registry behind" {
  run berth ps -aq
  [ -z "$output" ]
  run berth images -q
  [ -z "$output" ]
  pid=$(cat "$TUTORIAL_DIR/registry/pid")
  [ ! -e "/proc/$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != docker-registry ]
}
