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
  # Tests talk to no registry but their own on 127.0.0.1: a missing image must fail here, not be
  # looked up on Docker Hub.
  if [ -z "${BERTH_REGISTRIES_CONF:-}" ]; then
    export BERTH_REGISTRIES_CONF="$BERTH_TEST_ROOT/registries.conf"
    printf '[[registry]]\nlocation = "docker.io"\nblocked = true\n' > "$BERTH_REGISTRIES_CONF"
  fi
}

berth_teardown_file() {
  [ -n "${BERTH_TEST_ROOT:-}" ] || return 0
  # Containers first (their network namespaces are mounts under the root), then the host objects
  # of this root's networks: bridges and its nftables table.
  local ids
  ids=$(berth ps -aq 2>/dev/null || true)
  [ -z "$ids" ] || berth rm -f $ids >/dev/null 2>&1 || true
  if [ -d "$BERTH_TEST_ROOT/networks" ]; then
    python3 - "$BERTH_TEST_ROOT/networks" <<'PY' | while read -r kind name; do
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/*.json"):
    r = json.load(open(f))
    print("link", r["Bridge"])
    print("table", r.get("Options", {}).get("berth.nftables.table", ""))
PY
      case $kind in
        link) ip link del "$name" 2>/dev/null || true ;;
        table) [ -z "$name" ] || nft delete table ip "$name" 2>/dev/null || true ;;
      esac
    done
  fi
  rm -rf "$BERTH_TEST_ROOT"
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
