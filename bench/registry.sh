#!/usr/bin/env bash
# Side-by-side push and pull of a ~SIZE_MB image of several layers to a local docker-registry:
# berth vs skopeo copy and podman push/pull. Prints medians of RUNS runs, MB/s, and berth's
# ratio to each peer (below 1.00 = berth is faster).
# Usage: bench/registry.sh [SIZE_MB (default 200)] [RUNS (default 3)]   (as root; Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-200}
runs=${2:-3}
BERTH=${BERTH:-$PWD/build/bin/berth}
[ -x "$BERTH" ] || { echo "build berth first (cmake --build build)" >&2; exit 1; }
for p in podman skopeo docker-registry; do
  command -v $p >/dev/null || { echo "apt-get install $p" >&2; exit 1; }
done

work=$(mktemp -d /var/tmp/berth-bench-reg.XXXXXX)
# The registry's pid lives in a file: median_ms runs start_registry in a $(...) subshell.
stop_registry() {
  [ -s "$work/reg.pid" ] || return 0
  local pid; pid=$(cat "$work/reg.pid")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$work/reg.pid"
}
trap 'stop_registry; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
R=127.0.0.1:$port

# A fresh, empty registry: every push run starts from nothing.
start_registry() {
  stop_registry
  rm -rf "$work/reg" && mkdir -p "$work/reg"
  cat > "$work/reg.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/reg
http:
  addr: $R
YAML
  env -u REGISTRY_AUTH_FILE docker-registry serve "$work/reg.yml" >/dev/null 2>&1 &
  echo $! > "$work/reg.pid"
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://$R/v2/" && return; sleep 0.1; done
  echo "registry did not start" >&2
  exit 1
}

mkdir -p "$work/podman"
cat > "$work/podman/containers.conf" <<CONF
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
CONF
podman_() {
  CONTAINERS_CONF="$work/podman/containers.conf" podman --root "$work/podman/root" \
    --runroot "$work/podman/run" --storage-driver overlay "$@"
}
podman_pull_() {
  CONTAINERS_CONF="$work/podman/containers.conf" podman --root "$work/podman-pull/root" \
    --runroot "$work/podman-pull/run" --storage-driver overlay "$@"
}
berth_() { "$BERTH" --root "$work/berth" "$@"; }
berth_pull_() { "$BERTH" --root "$work/berth-pull" "$@"; }

# The image: a busybox base layer and four layers of mixed files (half compressible text, half
# random, like an application with model weights), built by podman from scratch.
echo "making a ~${size_mb} MB image of 5 layers..."
ctx="$work/ctx"
mkdir -p "$ctx"
tests/fixtures/busybox-rootfs.sh "$ctx/base.tar"
python3 - "$ctx" "$size_mb" <<'PY'
import os, random, sys
ctx, total = sys.argv[1], int(sys.argv[2]) << 20
rng = random.Random(42)
for part in range(4):
    written, i = 0, 0
    d = f"{ctx}/part{part}"
    os.makedirs(d, exist_ok=True)
    while written < total // 4:
        n = rng.choice([512, 4096, 65536, 1 << 20, 8 << 20])
        data = rng.randbytes(n) if i % 2 else (b"import numpy as np  # model code\n" * (n // 34 + 1))[:n]
        with open(f"{d}/f{i}", "wb") as f:
            f.write(data)
        written += n
        i += 1
PY
printf 'FROM scratch\nADD base.tar /\nCOPY part0 /opt/app/part0\nCOPY part1 /opt/app/part1\nCOPY part2 /opt/app/part2\nCOPY part3 /opt/app/part3\nCMD ["sh"]\n' > "$ctx/Containerfile"
podman_ build -q -t localhost/bench/app:1 "$ctx" >/dev/null
podman_ save --format docker-archive -o "$work/app.tar" localhost/bench/app:1 >/dev/null 2>&1
berth_ load -i "$work/app.tar" >/dev/null
berth_ tag localhost/bench/app:1 "$R/bench/app:1"
mb=$(du -m "$work/app.tar" | cut -f1)
echo "image: $mb MB uncompressed"

median_ms() {
  local reset=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    eval "$reset" >/dev/null 2>&1 || true
    sync
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}
rate() { awk -v ms="$1" -v mb="$mb" 'BEGIN{printf "%.0f MB/s", mb * 1000 / ms}'; }
row() {
  printf '%-44s %7s ms (%s) %7s ms (%s)   %s\n' "$1" "$2" "$(rate "$2")" "$3" "$(rate "$3")" \
    "$(awk -v a="$2" -v b="$3" 'BEGIN{printf "%.2f", a/b}')"
}

echo
printf '%-44s %22s %22s   %s\n' "operation (median of $runs)" berth peer "berth/peer"

# Push. berth's first push compresses each layer once and keeps the blob; later pushes (of this
# or any image sharing the layers) send it as is. Peers compress on every push.
start_registry
t0=$(date +%s%N); berth_ push "$R/bench/app:1" >/dev/null; t1=$(date +%s%N)
first=$(( (t1 - t0) / 1000000 ))
b=$(median_ms start_registry berth_ push "$R/bench/app:1")
s=$(median_ms start_registry skopeo copy --dest-tls-verify=false \
  "containers-storage:[overlay@$work/podman/root+$work/podman/run]localhost/bench/app:1" \
  "docker://$R/bench/app:1")
row "push vs skopeo copy containers-storage" "$b" "$s"
p=$(median_ms start_registry podman_ push --tls-verify=false localhost/bench/app:1 "$R/bench/app:1")
row "push vs podman push" "$b" "$p"
printf '%-44s %7s ms (%s)\n' "berth's first push (compresses once)" "$first" "$(rate "$first")"

# Pull into an empty store.
start_registry
berth_ push "$R/bench/app:1" >/dev/null
b=$(median_ms "rm -rf $work/berth-pull" berth_pull_ pull "$R/bench/app:1")
p=$(median_ms "podman_pull_ rmi -a -f; rm -rf $work/podman-pull" \
  podman_pull_ pull --tls-verify=false "$R/bench/app:1")
row "pull (empty store) vs podman pull" "$b" "$p"
s=$(median_ms "rm -rf $work/skopeo-oci" skopeo copy --src-tls-verify=false \
  "docker://$R/bench/app:1" "oci:$work/skopeo-oci:1")
row "pull vs skopeo copy to an oci dir (no extract)" "$b" "$s"
