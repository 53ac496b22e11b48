#!/usr/bin/env bash
# Container start time on the default bridge network, side by side: `berth run --rm IMG true` vs
# `podman run --rm IMG true` (podman 4.3 from Debian, CNI bridge) and, when Debian's docker.io
# is installed, `docker run --rm IMG true` against a dockerd 20.10 started here (its docker0
# bridge, iptables NAT and containerd/runc), and all with --network none for what the network
# costs. Median and p90 in ms, ratios to podman. Then (with apache2-utils' ab) HTTP requests/s
# through each engine's port published on 127.0.0.1, beside a direct connection to berth's
# container: a busybox httpd serving 1 KiB.
# Usage: bench/bridge-start.sh [RUNS (default 20)]   (as root; Debian 12)
# BERTH_BASE=/path/to/older/berth adds that build's rows (same runs, same namespace), to measure
# a change side by side: e.g. cp build/bin/berth /tmp/berth-before before rebuilding.
# Both engines run in a private network namespace and mount namespace made for this script: their
# bridges, veths, nftables/iptables rules and ip_forward live and die there, and podman's CNI
# state (/var/lib/cni, /run/netns) is a tmpfs. Nothing of the host's network changes, and nothing
# is left behind even if the script is killed. No address outside that namespace is used.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
if [ -z "${BERTH_BENCH_NETNS:-}" ]; then
  exec env BERTH_BENCH_NETNS=1 unshare -m -n --propagation private bash "$0" "$@"
fi
runs=${1:-20}
BERTH=${BERTH:-$PWD/build/bin/berth}
[ -x "$BERTH" ] || { echo "build berth first (cmake --build build --target berth)" >&2; exit 1; }
for p in podman hyperfine jq; do command -v $p >/dev/null || { echo "apt-get install $p" >&2; exit 1; }; done
[ -x /usr/lib/cni/bridge ] || { echo "apt-get install containernetworking-plugins" >&2; exit 1; }

ip link set lo up
# podman's CNI state goes to tmpfs mounts seen only here; a directory the host lacks is made for
# the mount point and removed again at the end.
made=()
for d in /run/netns /var/lib/cni; do
  if [ ! -d $d ]; then mkdir $d; made+=("$d"); fi
  mount -t tmpfs tmpfs $d
done
work=$(mktemp -d /var/tmp/berth-bench-bridge.XXXXXX)
mkdir -p "$work/podman"
podman_conf "$work/podman/containers.conf" "$work/podman/tmp"
P="podman --root $work/podman/root --runroot $work/podman/run --storage-driver overlay"
B="$BERTH --root $work/berth --runroot $work/berth/run"
BASE=${BERTH_BASE:-}
[ -z "$BASE" ] || [ -x "$BASE" ] || { echo "BERTH_BASE=$BASE is not executable" >&2; exit 1; }
# The older build gets its own root (its records may differ) and so its own bridge and table.
[ -z "$BASE" ] || A="$BASE --root $work/base --runroot $work/base/run"
dockerd_pid=
D="/usr/bin/docker -H unix://$work/docker/docker.sock"
cleanup() {
  set +e
  if [ -n "$dockerd_pid" ]; then
    timeout 60 $D rm -f $($D ps -aq 2>/dev/null) >/dev/null 2>&1
    stop_dockerd
  fi
  ids=$($B ps -aq 2>/dev/null)
  [ -z "$ids" ] || $B rm -f $ids >/dev/null 2>&1
  if [ -n "$BASE" ]; then
    ids=$($A ps -aq 2>/dev/null)
    [ -z "$ids" ] || $A rm -f $ids >/dev/null 2>&1
  fi
  timeout 120 $P rm -a -f -t 0 >/dev/null 2>&1
  grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
  for d in /run/netns /var/lib/cni; do umount -l $d 2>/dev/null; done
  for d in "${made[@]}"; do rmdir "$d" 2>/dev/null; done
  # The namespace's links, rules and tmpfs mounts go away with the namespace itself.
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tests/fixtures/busybox-rootfs.sh "$work/busybox.tar"
$B import "$work/busybox.tar" bench-busybox >/dev/null
[ -z "$BASE" ] || $A import "$work/busybox.tar" bench-busybox >/dev/null
$P import -q "$work/busybox.tar" localhost/bench-busybox >/dev/null
# dockerd in this namespace: its bridge and iptables rules live and die with it.
have_docker=0
if command -v dockerd >/dev/null && [ -x /usr/bin/docker ]; then
  if start_dockerd "$work/docker"; then have_docker=1; fi
  if [ $have_docker = 1 ]; then
    $D import "$work/busybox.tar" bench-busybox >/dev/null
  else
    echo "(dockerd did not start; its rows are skipped)" >&2
  fi
fi

hf() {  # hf FILE CMD
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$1" "$2" >/dev/null 2>&1 ||
    { echo "failed: $2" >&2; hyperfine -N --runs 1 "$2" >&2 || true; exit 1; }
}
median_of() { jq -r '.results[0].times | sort | length as $l | .[(($l - 1) / 2 | floor)] * 1000' "$1"; }
stats() {  # stats NAME JSON REF_MS
  # CPU (user + system, mean, the engine's children included) varies less with the machine's
  # load than wall time: it shows what the engine itself does.
  jq -r --arg n "$1" --argjson ref "$3" '.results[0] | ((.user + .system) * 1000) as $cpu |
    .times | sort | length as $l |
    (.[(($l - 1) / 2 | floor)] * 1000) as $med | (.[(($l * 0.9) | ceil) - 1] * 1000) as $p90 |
    "\($n)\t\($med)\t\($p90)\t\($med / $ref)\t\($cpu)"' "$2" |
    awk -F'\t' '{printf "%s\t%.1f\t%.1f\t%.2f\t%.1f\n", $1, $2, $3, $4, $5}'
}

echo "host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (shared with other builds)"
echo "== run --rm busybox true, default bridge and --network none ($runs runs each, after 3 warmups) =="
hf "$work/berth-bridge.json" "$B run --rm --pull never bench-busybox true"
[ -z "$BASE" ] || hf "$work/base-bridge.json" "$A run --rm --pull never bench-busybox true"
# With a published port (its map elements are added at start and removed at exit).
hf "$work/berth-port.json" "$B run --rm --pull never -p 18000:80 bench-busybox true"
[ -z "$BASE" ] || hf "$work/base-port.json" "$A run --rm --pull never -p 18001:80 bench-busybox true"
hf "$work/podman-bridge.json" "$P run --rm --pull never localhost/bench-busybox true"
[ $have_docker = 0 ] || hf "$work/docker-bridge.json" "$D run --rm bench-busybox true"
hf "$work/berth-none.json" "$B run --rm --pull never --network none bench-busybox true"
hf "$work/podman-none.json" "$P run --rm --pull never --network none localhost/bench-busybox true"
[ $have_docker = 0 ] || hf "$work/docker-none.json" "$D run --rm --network none bench-busybox true"
ref=$(median_of "$work/podman-bridge.json")
{
  printf 'engine\tmedian ms\tp90 ms\tmedian / podman bridge\tcpu ms (mean)\n'
  stats "berth bridge" "$work/berth-bridge.json" "$ref"
  [ -z "$BASE" ] || stats "berth bridge (BERTH_BASE)" "$work/base-bridge.json" "$ref"
  stats "berth bridge -p 18000:80" "$work/berth-port.json" "$ref"
  [ -z "$BASE" ] || stats "berth bridge -p (BERTH_BASE)" "$work/base-port.json" "$ref"
  stats "podman bridge (CNI, runc)" "$work/podman-bridge.json" "$ref"
  [ $have_docker = 0 ] || stats "docker bridge (dockerd 20.10, runc)" "$work/docker-bridge.json" "$ref"
  stats "berth none" "$work/berth-none.json" "$ref"
  stats "podman none (runc)" "$work/podman-none.json" "$ref"
  [ $have_docker = 0 ] || stats "docker none" "$work/docker-none.json" "$ref"
} | column -t -s $'\t'
printf 'podman bridge / berth bridge: %s x\n' \
  "$(awk -v a="$(median_of "$work/berth-bridge.json")" -v b="$ref" 'BEGIN{printf "%.1f", b/a}')"
[ $have_docker = 0 ] || printf 'docker bridge / berth bridge: %s x\n' \
  "$(awk -v a="$(median_of "$work/berth-bridge.json")" -v b="$(median_of "$work/docker-bridge.json")" 'BEGIN{printf "%.1f", b/a}')"
printf 'bridge cost over none: berth %s ms, podman %s ms\n' \
  "$(awk -v a="$(median_of "$work/berth-bridge.json")" -v b="$(median_of "$work/berth-none.json")" 'BEGIN{printf "%.1f", a-b}')" \
  "$(awk -v a="$ref" -v b="$(median_of "$work/podman-none.json")" 'BEGIN{printf "%.1f", a-b}')"

if command -v ab >/dev/null; then
  requests=${BERTH_BENCH_REQUESTS:-3000}
  mkdir -p "$work/www"
  head -c 1024 /dev/zero | tr '\0' x > "$work/www/index.html"
  serve=(httpd -f -p 80 -h /www)
  $B run -d --name web -p 127.0.0.1:18300:80 -v "$work/www:/www:ro" bench-busybox "${serve[@]}" >/dev/null
  $P run -d --name web -p 127.0.0.1:18301:80 -v "$work/www:/www:ro" localhost/bench-busybox "${serve[@]}" >/dev/null
  [ $have_docker = 0 ] ||
    $D run -d --name web -p 127.0.0.1:18302:80 -v "$work/www:/www:ro" bench-busybox "${serve[@]}" >/dev/null
  ip=$($B inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' web)
  sleep 1
  echo "== HTTP through a port published on 127.0.0.1 ($requests requests, 1 KiB body) =="
  ab_line "direct to berth's container $ip:80" "http://$ip:80/index.html"
  ab_line "berth 127.0.0.1:18300 (DNAT)" "http://127.0.0.1:18300/index.html"
  ab_line "podman 127.0.0.1:18301 (CNI portmap)" "http://127.0.0.1:18301/index.html"
  [ $have_docker = 0 ] || ab_line "docker 127.0.0.1:18302 (docker-proxy)" "http://127.0.0.1:18302/index.html"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
