#!/usr/bin/env bash
# The quickstart's wall time, cold and warm, beside the same Dockerfile built by buildah and run by
# podman (Debian's packages, with a private store and config).
#   berth:  scripts/quickstart.sh with a built berth (BERTH=...: no apt, no compile) on an empty
#           root: import the cached debian:bookworm tarball, build examples/ml-serving, run -d
#           -p PORT:8000, wait for (healthy), curl /predict. Warm: the same again (cache hits,
#           container replaced).
#   peers:  podman load the same base (from `berth save`), buildah bud --layers the same
#           Dockerfile, podman run -d, wait until /health answers, curl /predict. podman runs with
#           --network host (its bridge needs CNI chains in the host's iptables) and
#           --no-healthcheck (podman 4.3 schedules healthchecks with systemd timers), so the peer
#           column does a little less than berth's (no bridge, no NAT, no healthcheck runs).
# Both build with the host's network and download the same packages from the Debian mirror, so
# the cold figures include the same apt step. The debootstrap tarball is made once first (its
# time is printed) and is not part of either column.
# Usage: bench/quickstart.sh   (as root; Debian 12; berth built in build/)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BERTH=${BERTH:-$PWD/build/bin/berth}
[ -x "$BERTH" ] || { echo "build berth first (cmake --build build --target berth)" >&2; exit 1; }
for p in podman buildah curl python3; do
  command -v $p >/dev/null || { echo "apt-get install $p" >&2; exit 1; }
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d /var/tmp/berth-bench-quickstart.XXXXXX)
export BERTH_ROOT=$work/berth BERTH_RUNROOT=$work/berth/run
mkdir -p "$work/podman"
podman_conf "$work/podman/containers.conf"
store=(--root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay)
podman_() { podman "${store[@]}" "$@"; }
buildah_() { buildah "${store[@]}" "$@"; }
cleanup() {
  "$BERTH" rm -f ml-serving >/dev/null 2>&1 || true
  podman_ rm -f -t 0 ml-serving >/dev/null 2>&1 || true
  # The bench root's bridge and nftables table, as the e2e helpers remove them.
  if [ -d "$BERTH_ROOT/networks" ]; then
    for f in "$BERTH_ROOT"/networks/*.json; do
      [ -f "$f" ] || continue
      ip link del "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Bridge"])' "$f")" 2>/dev/null || true
      t=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("Options",{}).get("berth.nftables.table",""))' "$f")
      [ -z "$t" ] || nft delete table ip "$t" 2>/dev/null || true
    done
  fi
  podman_ rmi -af >/dev/null 2>&1 || true
  # containers/storage leaves its overlay home bind-mounted on itself.
  local m
  for m in $(awk -v r="$work/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  # A container's monitor may still be closing its log as the root goes: try again once.
  rm -rf "$work" 2>/dev/null || { sleep 1; rm -rf "$work"; }
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

if [ ! -s "${BERTH_BASE_CACHE:-/var/cache/berth/debootstrap}/bookworm-amd64.tar.zst" ]; then
  echo "== the debootstrap tarball (once per machine, not part of the figures below)"
  t=$(now)
  BERTH_ROOT=$work/base-only BERTH_RUNROOT=$work/base-only/run bash scripts/make-base.sh | sed 's/^/   /'
  echo "   $(since "$t") s"
fi

berth_quickstart() {
  local port t
  port=$(free_port)
  t=$(now)
  BERTH="$BERTH" BERTH_DEMO_PORT=$port bash scripts/quickstart.sh > "$work/quickstart-$1.log" 2>&1 ||
    { tail -30 "$work/quickstart-$1.log" >&2; exit 1; }
  since "$t"
}

peer_quickstart() {
  local port t
  port=$(free_port)
  t=$(now)
  if [ -z "$(podman_ images -q docker.io/library/debian:bookworm 2>/dev/null)" ]; then
    "$BERTH" save debian:bookworm | podman_ load -q >/dev/null
  fi
  buildah_ bud --layers --format docker --pull=never --network host -t ml-serving:latest \
    --build-arg COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    examples/ml-serving > "$work/buildah-$1.log" 2>&1 || { tail -30 "$work/buildah-$1.log" >&2; exit 1; }
  podman_ rm -f -t 0 ml-serving >/dev/null 2>&1 || true
  podman_ run -d --name ml-serving --network host -e PORT="$port" --no-healthcheck \
    ml-serving:latest >/dev/null
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break
    sleep 0.1
  done
  curl -fsS -X POST "http://127.0.0.1:$port/predict" -H "Content-Type: application/json" \
    -d @examples/ml-serving/request.json > "$work/peer-$1.json"
  grep -q '"class":"setosa"' "$work/peer-$1.json" || { echo "podman: wrong answer" >&2; exit 1; }
  since "$t"
}

echo "== berth: scripts/quickstart.sh (base import, build, run -p, healthy, curl)"
berth_cold=$(berth_quickstart cold); echo "   cold $berth_cold s"
berth_warm=$(berth_quickstart warm); echo "   warm $berth_warm s"
"$BERTH" rm -f ml-serving >/dev/null
echo "== buildah + podman: load base, bud --layers, run -d, /health answers, curl"
peer_cold=$(peer_quickstart cold); echo "   cold $peer_cold s"
peer_warm=$(peer_quickstart warm); echo "   warm $peer_warm s"

printf '\n%-22s %10s %10s\n' "quickstart wall time" "cold (s)" "warm (s)"
printf '%-22s %10s %10s\n' "berth" "$berth_cold" "$berth_warm"
printf '%-22s %10s %10s\n' "buildah + podman" "$peer_cold" "$peer_warm"
