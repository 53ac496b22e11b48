#!/usr/bin/env bats
# The build conformance suite: each case in tests/conformance/cases (parser edge cases, every
# instruction, multi-stage, ONBUILD, heredocs, .dockerignore) built by berth must give the image
# config, history and file tree in the case's `expected` file, which tests/conformance/regen.sh
# wrote from Docker's own builder (dockerd 20.10's BuildKit) on the same context. Only `heredoc`
# is written by hand: that builder cannot read heredocs without pulling a newer frontend.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import "$BUSYBOX_TAR" busybox:latest >/dev/null
}
teardown_file() {
  berth_teardown_file
}

conforms() {
  local c=$BERTH_SRC/tests/conformance/cases/$1
  run "$BERTH_SRC/tests/conformance/build-case.sh" "$c" "$BERTH_TEST_ROOT/$1.got" \
    "$BERTH" --root "$BERTH_TEST_ROOT" --runroot "$BERTH_TEST_ROOT/run"
  echo "$output"
  [ "$status" -eq 0 ]
  run diff -u "$c/expected" "$BERTH_TEST_ROOT/$1.got"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "conformance: every instruction and the COPY/ADD flags (config, history, tree, a whiteout)" {
  conforms instructions
}
@test "conformance: parser edge cases (escape directive, continuations, expansions)" {
  conforms parser
}
@test "conformance: multi-stage (by name, by index, from an image, an unused stage)" {
  conforms multistage
}
@test "conformance: ONBUILD triggers run in the child build" {
  conforms onbuild
}
@test "conformance: heredocs in RUN and COPY" {
  conforms heredoc
}
@test "conformance: .dockerignore (**, negation inside an ignored directory, comments)" {
  conforms dockerignore
}
