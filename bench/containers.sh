#!/usr/bin/env bash
# Container figures, side by side, every peer from Debian's packages:
#  1. `run --rm --network none IMG true`: berth vs raw `crun run` and `runc run` of an OCI bundle
#     made from the same busybox rootfs, and vs `podman run --rm --network none` (median, p90,
#     ratio to crun).
#  2. The resident memory of the process that supervises one detached container: berth-monitor
#     (the small static monitor that berth execs in its place) vs podman's conmon (VmRSS, and Pss/Private from /proc/PID/smaps_rollup).
#  3. `ps -a` over N created (never started) containers: berth vs podman.
# Usage: bench/containers.sh [RUNS (default 30)] [CONTAINERS (default 1000)] [CREATE_LIMIT_S
#        (default 300, per engine)]   (as root; Debian 12)
#        BERTH_BENCH_SECTIONS="2" runs only the listed sections (default "1 2 3").
# On a host with hybrid cgroups (a cgroup2 mount at /sys/fs/cgroup/unified) crun 1.8 refuses to
# run, so the whole script re-runs itself in a private mount namespace where that mount is gone
# (see ../shared/PEERS.md); the host's mounts are unchanged, and every engine sees the same view.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
if [ -z "${BERTH_BENCH_NS:-}" ] && mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  exec env BERTH_BENCH_NS=1 unshare -m --propagation private \
    bash -c 'umount /sys/fs/cgroup/unified && exec bash "$0" "$@"' "$0" "$@"
fi
runs=${1:-30}
count=${2:-1000}
create_limit=${3:-300}
sections=${BERTH_BENCH_SECTIONS:-1 2 3}
want() { [[ " $sections " == *" $1 "* ]]; }
BERTH=${BERTH:-$PWD/build/bin/berth}
[ -x "$BERTH" ] || { echo "build berth first (cmake --build build --target berth)" >&2; exit 1; }
for p in crun runc podman conmon hyperfine jq; do
  command -v $p >/dev/null || { echo "apt-get install $p" >&2; exit 1; }
done

work=$(mktemp -d /var/tmp/berth-bench-ctr.XXXXXX)
mkdir -p "$work/podman"
podman_conf "$work/podman/containers.conf" "$work/podman/tmp"
P="podman --root $work/podman/root --runroot $work/podman/run --storage-driver overlay"
B="$BERTH --root $work/berth --runroot $work/berth/run"
podman_() { $P "$@"; }
berth_() { $B "$@"; }

cleanup() {
  set +e
  for rt in crun runc; do
    for id in $("$rt" --root "$work/$rt" list -q 2>/dev/null); do "$rt" --root "$work/$rt" delete -f "$id" >/dev/null 2>&1; done
  done
  ids=$(berth_ ps -aq 2>/dev/null)
  [ -z "$ids" ] || timeout 300 $B rm -f $ids >/dev/null 2>&1
  timeout 300 $P rm -a -f -t 0 >/dev/null 2>&1
  # Whatever is still mounted under the work dir (a crash between mount and cleanup).
  grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One busybox rootfs for all: an image for berth and podman, an OCI bundle for crun and runc.
tests/fixtures/busybox-rootfs.sh "$work/busybox.tar"
berth_ import "$work/busybox.tar" bench-busybox >/dev/null
podman_ import -q "$work/busybox.tar" localhost/bench-busybox >/dev/null
mkdir -p "$work/bundle/rootfs"
tar -C "$work/bundle/rootfs" -xf "$work/busybox.tar"
# runc's default spec: pid, net (only lo), ipc, uts and mount namespaces, read-only root, no
# seccomp; that is less work than berth's or podman's container (overlay, seccomp, /dev, ...).
(cd "$work/bundle" && runc spec)
jq '.process.terminal = false | .process.args = ["true"]' "$work/bundle/config.json" > "$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"

# stats NAME JSON REF: median and p90 in ms of hyperfine's runs, and the median's ratio to REF ms.
stats() {
  jq -r --arg n "$1" --argjson ref "${3:-0}" '.results[0].times | sort | length as $l |
    (.[(($l - 1) / 2 | floor)] * 1000) as $med | (.[(($l * 0.9) | ceil) - 1] * 1000) as $p90 |
    "\($n)\t\($med)\t\($p90)\t\(if $ref > 0 then $med / $ref else 1 end)"' "$2" |
    awk -F'\t' -v OFS='\t' '{printf "%s\t%.1f\t%.1f\t%.2f\n", $1, $2, $3, $4}'
}
median_of() { jq -r '.results[0].times | sort | length as $l | .[(($l - 1) / 2 | floor)] * 1000' "$1"; }
hf() {  # hf FILE CMD: hyperfine, no shell, warmup 3, $runs runs, times into FILE
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$1" "$2" >/dev/null 2>&1 ||
    { echo "failed: $2" >&2; hyperfine -N --runs 1 "$2" >&2 || true; exit 1; }
}

echo "host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (shared with other builds)"
echo
if want 1; then
echo "== 1. run --rm --network none busybox true ($runs runs each, after 3 warmups) =="
hf "$work/crun.json" "crun --root $work/crun run --bundle $work/bundle bench-crun"
hf "$work/runc.json" "runc --root $work/runc run --bundle $work/bundle bench-runc"
hf "$work/berth.json" "$B run --rm --pull never --network none bench-busybox true"
hf "$work/podman.json" "$P run --rm --pull never --network none localhost/bench-busybox true"
ref=$(median_of "$work/crun.json")
{
  printf 'engine\tmedian ms\tp90 ms\tmedian / crun\n'
  stats "crun run (bundle)" "$work/crun.json" "$ref"
  stats "runc run (bundle)" "$work/runc.json" "$ref"
  stats "berth run --rm" "$work/berth.json" "$ref"
  stats "podman run --rm (runc)" "$work/podman.json" "$ref"
} | column -t -s $'\t'
printf 'berth / podman: %s\n' "$(awk -v a="$(median_of "$work/berth.json")" -v b="$(median_of "$work/podman.json")" 'BEGIN{printf "%.2f", a/b}')"

fi

if want 2; then
echo
echo "== 2. memory of the supervisor of one detached container (sleep 1000) =="
# mem PID NAME: VmRSS, Pss and Private_Dirty in KiB. Private_Dirty (heap, stack, relocated data)
# is what each further supervisor adds; most of the rest is program and library text, shared by
# all the supervisors that run.
mem() {
  local rss pss dirty
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status")
  pss=$(awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup")
  dirty=$(awk '/^Private_Dirty:/ {print $2}' "/proc/$1/smaps_rollup")
  printf '%s\t%s\t%s\t%s\n' "$2" "$rss" "$pss" "$dirty"
}
bid=$(berth_ run -d --pull never --network none bench-busybox sleep 1000)
podman_ run -d --pull never --network none --name bench-mon localhost/bench-busybox sleep 1000 >/dev/null
sleep 1  # let both settle (the monitor's start-up allocations are done)
mon=$(cat "$work/berth/containers/$bid/monitor.pid")
conmon=$(podman_ inspect --format '{{.State.ConmonPid}}' bench-mon)
grep -q "berth-monitor" "/proc/$mon/cmdline" || { echo "pid $mon is not berth-monitor" >&2; exit 1; }
grep -q "conmon" "/proc/$conmon/cmdline" || { echo "pid $conmon is not conmon" >&2; exit 1; }
{
  printf 'supervisor\tVmRSS KiB\tPss KiB\tPrivate_Dirty KiB\n'
  mem "$mon" "berth-monitor (pid $mon)"
  mem "$conmon" "podman conmon (pid $conmon)"
} | column -t -s $'\t'
berth_ rm -f "$bid" >/dev/null
podman_ rm -f -t 0 bench-mon >/dev/null

fi

if want 3; then
echo
echo "== 3. ps -a over up to $count created containers (create bounded to ${create_limit}s each) =="
# create_many ENGINE: creates containers until $count or the time limit; prints how many.
create_many() {
  local n=0 end=$((SECONDS + create_limit))
  while [ $n -lt "$count" ] && [ $SECONDS -lt $end ]; do
    if [ "$1" = berth ]; then
      berth_ create --pull never --network none bench-busybox true >/dev/null
    else
      podman_ create --pull never --network none localhost/bench-busybox true >/dev/null
    fi
    n=$((n + 1))
  done
  echo $n
}
t0=$SECONDS; nb=$(create_many berth); tb=$((SECONDS - t0))
t0=$SECONDS; np=$(create_many podman); tp=$((SECONDS - t0))
echo "created: berth $nb in ${tb}s, podman $np in ${tp}s"
runs=10
hf "$work/ps-berth.json" "$B ps -a"
hf "$work/ps-podman.json" "$P ps -a"
ref=$(median_of "$work/ps-podman.json")
{
  printf 'ps -a\tmedian ms\tp90 ms\tmedian / podman\n'
  stats "berth ps -a ($nb)" "$work/ps-berth.json" "$ref"
  stats "podman ps -a ($np)" "$work/ps-podman.json" "$ref"
} | column -t -s $'\t'
printf 'podman / berth: %s x\n' "$(awk -v a="$(median_of "$work/ps-berth.json")" -v b="$ref" 'BEGIN{printf "%.1f", b/a}')"
fi
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
