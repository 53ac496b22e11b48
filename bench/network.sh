#!/usr/bin/env bash
# Networking figures, side by side, loopback and container addresses only:
#  1. HTTP requests/s and latency to a busybox httpd in a container: directly at its address,
#     through berth's published port on 127.0.0.1 (DNAT + route_localnet), and through a userland
#     proxy (socat, standing in for docker-proxy) on 127.0.0.1; and, on a host with IPv6, through
#     berth's own userland proxy on [::1] (how IPv6 published ports are served).
#  2. `run --rm busybox true` on the default bridge vs --network none.
# Usage: bench/network.sh [REQUESTS (default 3000)] [RUNS (default 20)]   (as root; Debian 12)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
requests=${1:-3000}
runs=${2:-20}
BERTH=${BERTH:-$PWD/build/bin/berth}
[ -x "$BERTH" ] || { echo "build berth first" >&2; exit 1; }
for p in ab hyperfine socat; do command -v $p >/dev/null || { echo "apt-get install $p" >&2; exit 1; }; done

work=$(mktemp -d /var/tmp/berth-netbench.XXXXXX)
berth_() { "$BERTH" --root "$work/berth" --runroot "$work/berth/run" "$@"; }
proxy=
cleanup() {
  [ -z "$proxy" ] || kill "$proxy" 2>/dev/null || true
  ids=$(berth_ ps -aq 2>/dev/null || true)
  [ -z "$ids" ] || berth_ rm -f $ids >/dev/null 2>&1 || true
  br=$(berth_ network inspect bridge --format '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null || true)
  tbl=$(berth_ network inspect bridge --format '{{index .Options "berth.nftables.table"}}' 2>/dev/null || true)
  [ -z "$br" ] || ip link del "$br" 2>/dev/null || true
  [ -z "$tbl" ] || nft delete table ip "$tbl" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tests/fixtures/busybox-rootfs.sh "$work/busybox.tar"
berth_ import -c 'CMD ["sh"]' "$work/busybox.tar" busybox >/dev/null
head -c 1024 /dev/zero | tr '\0' x > "$work/index.html"
v6=
if grep -q . /proc/net/if_inet6 2>/dev/null; then v6=(-p '[::1]:18202:80'); fi
berth_ run -d --name web -p 127.0.0.1:18200:80 ${v6:+"${v6[@]}"} -v "$work:/www:ro" busybox httpd -f -p 80 -h /www >/dev/null
ip=$(berth_ inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' web)
socat TCP-LISTEN:18201,bind=127.0.0.1,fork,reuseaddr "TCP:$ip:80" &
proxy=$!
sleep 0.5

echo "== HTTP through each path ($requests requests, 1 KiB body, busybox httpd) =="
ab_line "direct to $ip:80" "http://$ip:80/index.html"
ab_line "published 127.0.0.1:18200 (DNAT)" "http://127.0.0.1:18200/index.html"
ab_line "userland proxy 127.0.0.1:18201" "http://127.0.0.1:18201/index.html"
[ -z "$v6" ] || ab_line "berth's proxy [::1]:18202" "http://[::1]:18202/index.html"

echo "== run --rm busybox true =="
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/start.md" \
  -n "berth bridge" "$BERTH --root $work/berth --runroot $work/berth/run run --rm busybox true" \
  -n "berth none" "$BERTH --root $work/berth --runroot $work/berth/run run --rm --network none busybox true" \
  2>&1 | grep -E "Time|±|faster|berth" || true
# podman's bridge runs need containernetworking-plugins and leave CNI chains in the host's
# iptables tables, so they are not run here: bench/bridge-start.sh compares berth and podman on
# the default bridge inside a private network namespace instead.
