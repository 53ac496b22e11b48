# Shared setup for berth's bats tests: a private berth root per test file, and a busybox image.

: "${BERTH:?BERTH must point at the berth binary}"
: "${BERTH_SRC:?BERTH_SRC must point at the source tree}"

berth() { "$BERTH" --root "$BERTH_TEST_ROOT" --runroot "$BERTH_TEST_ROOT/run" "$@"; }

# One root for the whole file (setup_file), removed at the end even when tests fail.
berth_setup_file() {
  export BERTH_TEST_ROOT
  BERTH_TEST_ROOT=$(mktemp -d /tmp/berth-e2e.XXXXXX)
  export BUSYBOX_TAR="$BERTH_TEST_ROOT/busybox.tar"
  "$BERTH_SRC/tests/fixtures/busybox-rootfs.sh" "$BUSYBOX_TAR"
}

berth_teardown_file() {
  [ -n "${BERTH_TEST_ROOT:-}" ] && rm -rf "$BERTH_TEST_ROOT"
}

# Fails the test with the command's output when the status differs.
expect_status() {
  local want=$1
  if [ "$status" -ne "$want" ]; then
    echo "expected exit $want, got $status; output:" >&2
    echo "$output" >&2
    return 1
  fi
}
