#!/usr/bin/env bash
# Side-by-side timing of image import, save and load: berth vs podman (and skopeo for copies).
# Prints medians of N runs and berth's ratio to each peer (below 1.00 = berth is faster).
# Usage: bench/images.sh [SIZE_MB (default 200)] [RUNS (default 5)]   (as root; Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-200}
runs=${2:-5}
BERTH=${BERTH:-$PWD/build/bin/berth}
[ -x "$BERTH" ] || { echo "build berth first (scripts/test.sh or cmake --build build)" >&2; exit 1; }
for p in podman skopeo; do command -v $p >/dev/null || { echo "apt-get install $p" >&2; exit 1; }; done

work=$(mktemp -d /var/tmp/berth-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/podman"
cat > "$work/podman/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
CONF
podman_() {
  CONTAINERS_CONF="$work/podman/containers.conf" podman --root "$work/podman/root" \
    --runroot "$work/podman/run" --storage-driver overlay "$@"
}
berth_() { "$BERTH" --root "$work/berth" "$@"; }

# A root file system of about size_mb: a busybox base plus files of mixed sizes, half of them
# compressible text, half random, like a Python environment with model weights.
echo "making a ${size_mb} MB rootfs tarball..."
rootfs="$work/rootfs"
tests/fixtures/busybox-rootfs.sh "$work/base.tar"
mkdir -p "$rootfs" && tar -C "$rootfs" -xf "$work/base.tar"
python3 - "$rootfs" "$size_mb" <<'PY'
import os, random, sys
root, total = sys.argv[1], int(sys.argv[2]) << 20
rng = random.Random(42)
os.makedirs(f"{root}/opt/app", exist_ok=True)
written, i = 0, 0
while written < total:
    n = rng.choice([512, 4096, 65536, 1 << 20, 8 << 20])
    d = f"{root}/opt/app/d{i % 50}"
    os.makedirs(d, exist_ok=True)
    data = rng.randbytes(n) if i % 2 else (b"import numpy as np  # model code\n" * (n // 34 + 1))[:n]
    with open(f"{d}/f{i}", "wb") as f:
        f.write(data)
    written += n
    i += 1
PY
tar -C "$rootfs" -cf "$work/rootfs.tar" .
echo "rootfs.tar: $(du -m "$work/rootfs.tar" | cut -f1) MB"

# median_ms CMD...: runs CMD `runs` times (after `reset` each time) and prints the median in ms.
median_ms() {
  local reset=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    eval "$reset" >/dev/null 2>&1 || true
    sync
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

row() { printf '%-42s %8s ms %8s ms   %s\n' "$1" "$2" "$3" "$(awk -v a="$2" -v b="$3" 'BEGIN{printf "%.2f", a/b}')"; }

echo
printf '%-42s %11s %11s   %s\n' "operation (median of $runs)" berth peer "berth/peer"

b=$(median_ms "rm -rf $work/berth" berth_ import "$work/rootfs.tar" bench:1)
p=$(median_ms "rm -rf $work/podman/root $work/podman/run" podman_ import "$work/rootfs.tar" bench:1)
row "import ~${size_mb}MB vs podman import" "$b" "$p"

berth_ import "$work/rootfs.tar" bench:1 >/dev/null
podman_ import "$work/rootfs.tar" localhost/bench:1 >/dev/null 2>&1 || true
b=$(median_ms "rm -f $work/b.tar" berth_ save -o "$work/b.tar" bench:1)
p=$(median_ms "rm -f $work/p.tar" podman_ save --format docker-archive -o "$work/p.tar" localhost/bench:1)
row "save vs podman save" "$b" "$p"
s=$(median_ms "rm -rf $work/oci" skopeo copy "docker-archive:$work/b.tar" "oci:$work/oci:bench")
row "save vs skopeo copy docker-archive->oci" "$b" "$s"

b=$(median_ms "berth_ rmi -f bench:1; berth_ system prune -f" berth_ load -i "$work/b.tar")
p=$(median_ms "podman_ rmi -f localhost/bench:1" podman_ load -i "$work/p.tar")
row "load vs podman load" "$b" "$p"
