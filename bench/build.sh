#!/usr/bin/env bash
# Image builds, side by side: berth build vs `buildah bud --layers` (and BuildKit through Debian's
# dockerd 20.10 with DOCKER_BUILDKIT=1, when docker.io is installed). Two Dockerfiles on the same
# context of ~2000 files / ~50 MB, FROM a busybox image imported locally into each engine (nothing
# is pulled): a single-stage one with several RUN and COPY steps, and a multi-stage one. For
# each: a cold build (empty cache), a warm rebuild (nothing changed) and a rebuild after one
# source file changed. Prints medians of RUNS runs and berth's ratio to each peer (below 1.00 =
# berth is faster).
# Usage: bench/build.sh [RUNS (default 3)] [FILES (default 2000)] [SIZE_MB (default 50)]
#        (as root; Debian 12). BENCH_DOCKERFILES="Dockerfile.multistage" or BENCH_PEERS="docker"
#        narrow the run to some Dockerfiles or peers.
# Every engine runs in a private network and mount namespace made for this script (RUN steps get
# --network none anyway): dockerd's and buildah's network set-up cannot touch the host's, and
# their mounts die with the namespace.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
if [ -z "${BERTH_BENCH_NETNS:-}" ]; then
  exec env BERTH_BENCH_NETNS=1 unshare -m -n --propagation private bash "$0" "$@"
fi
runs=${1:-3}
files=${2:-2000}
size_mb=${3:-50}
BERTH=${BERTH:-$PWD/build/bin/berth}
[ -x "$BERTH" ] || { echo "build berth first (cmake --build build --target berth)" >&2; exit 1; }
for p in buildah podman python3; do command -v $p >/dev/null || { echo "apt-get install $p" >&2; exit 1; }; done
# BuildKit: Debian 12's docker.io ships dockerd 20.10 with BuildKit built in (the 28.x client that
# may come first in PATH has no buildx plugin, so Debian's /usr/bin/docker is used).
have_docker=0
if command -v dockerd >/dev/null && [ -x /usr/bin/docker ]; then have_docker=1; fi
ip link set lo up

work=$(mktemp -d /var/tmp/berth-build.XXXXXX)  # short: podman wants a runroot under 50 characters
dockerd_pid=
cleanup() {
  set +e
  stop_dockerd
  grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

podman_conf "$work/containers.conf" "$work/podman-tmp"

# The context: FILES files of about SIZE_MB in all, mostly small sources plus a few large blobs.
tests/fixtures/busybox-rootfs.sh "$work/busybox.tar"
ctx="$work/ctx"
python3 - "$ctx" "$files" "$size_mb" <<'PY'
import os, random, sys
root, n, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) << 20
rng = random.Random(7)
big = max(1, n // 100)               # 1% of the files hold 70% of the bytes
big_size = int(total * 0.7) // big
small_size = int(total * 0.3) // (n - big)
for i in range(n):
    d = f"{root}/src/d{i % 40}" if i >= big else f"{root}/data"
    os.makedirs(d, exist_ok=True)
    if i < big:
        data = rng.randbytes(big_size)
        name = f"{d}/blob{i}.bin"
    else:
        data = (f"def f{i}(x):\n    return x * {i}\n" * (small_size // 24 + 1)).encode()[:small_size]
        name = f"{d}/f{i}.py"
    with open(name, "wb") as f:
        f.write(data)
with open(f"{root}/app.conf", "w") as f:
    f.write("mode=bench\n")
PY
cat > "$ctx/Dockerfile.steps" <<'EOF'
FROM bench-busybox
RUN mkdir -p /app && echo built > /app/stamp
COPY src/ /app/src/
RUN find /app/src -type f | wc -l > /app/count
COPY data/ /app/data/
RUN du -s /app > /app/size
ENV MODE=bench
COPY app.conf /etc/app.conf
CMD ["cat", "/app/count"]
EOF
cat > "$ctx/Dockerfile.multistage" <<'EOF'
FROM bench-busybox AS build
COPY src/ /build/src/
RUN cat /build/src/d1/* | sha256sum > /build/digest && ls -R /build/src | wc -l > /build/list
FROM bench-busybox
COPY --from=build /build/digest /build/list /out/
COPY app.conf /etc/app.conf
CMD ["cat", "/out/digest"]
EOF
echo "context: $(find "$ctx" -type f | wc -l) files, $(du -sm "$ctx" | cut -f1) MB"
changed=$(find "$ctx/src/d1" -type f | sort | head -1)  # the file the one-change rebuilds edit

# Engines. Each cold build starts from a fresh store that holds only the base image (imported,
# untimed); warm and one-change rebuilds reuse that store.
engine_setup() {  # engine_setup ENGINE STORE
  case $1 in
    berth) "$BERTH" --root "$2" --runroot "$2/run" import "$work/busybox.tar" bench-busybox >/dev/null ;;
    buildah) podman --root "$2/root" --runroot "$2/run" --storage-driver overlay \
               import -q "$work/busybox.tar" localhost/bench-busybox >/dev/null ;;
    docker) /usr/bin/docker -H "unix://$work/docker/docker.sock" import "$work/busybox.tar" bench-busybox >/dev/null ;;
  esac
}
engine_build() {  # engine_build ENGINE STORE DOCKERFILE TAG
  case $1 in
    berth) "$BERTH" --root "$2" --runroot "$2/run" build -q --network none -f "$ctx/$3" -t "$4" "$ctx" ;;
    buildah) buildah --root "$2/root" --runroot "$2/run" --storage-driver overlay bud --layers -q \
               --pull=never --network none -f "$ctx/$3" -t "$4" "$ctx" ;;
    docker) DOCKER_BUILDKIT=1 /usr/bin/docker -H "unix://$work/docker/docker.sock" build -q \
              --network none -f "$ctx/$3" -t "$4" "$ctx" ;;
  esac
}
engine_reset() {  # engine_reset ENGINE STORE: an empty store (and build cache)
  case $1 in
    berth|buildah)
      { grep -o " $2[^ ]*" /proc/self/mounts || true; } | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
      rm -rf "$2" ;;
    docker)
      local d=(/usr/bin/docker -H "unix://$work/docker/docker.sock")
      "${d[@]}" builder prune -a -f >/dev/null
      "${d[@]}" image prune -a -f >/dev/null
      "${d[@]}" rmi -f bench-busybox >/dev/null 2>&1 || true ;;
  esac
}

ms() { echo $(( ($2 - $1) / 1000000 )); }
timed() {  # timed LOG CMD...: runs CMD, prints its wall time in ms; on failure shows LOG and exits
  local t0 t1
  t0=$(date +%s%N)
  if ! "$@" >"$work/last.log" 2>&1; then
    echo "failed: $*" >&2
    tail -20 "$work/last.log" >&2
    exit 1
  fi
  t1=$(date +%s%N)
  ms "$t0" "$t1"
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

# bench ENGINE DOCKERFILE: sets cold/warm/change medians for that engine in R_<engine>_<kind>.
declare -A R
bench_one() {
  local e=$1 df=$2 store="$work/s-$1" cold=() warm=() change=() i
  for i in $(seq "$runs"); do
    engine_reset "$e" "$store"
    engine_setup "$e" "$store"
    cold+=("$(timed engine_build "$e" "$store" "$df" "bench-$i")")
    warm+=("$(timed engine_build "$e" "$store" "$df" "bench-$i")")
    echo "# change $i" >> "$changed"
    change+=("$(timed engine_build "$e" "$store" "$df" "bench-$i")")
  done
  engine_reset "$e" "$store"
  R[$e,$df,cold]=$(median "${cold[@]}")
  R[$e,$df,warm]=$(median "${warm[@]}")
  R[$e,$df,change]=$(median "${change[@]}")
}

echo "host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (shared with other builds)"
peers=${BENCH_PEERS:-buildah docker}
engines=(berth)
[[ " $peers " != *" buildah "* ]] || engines+=(buildah)
if [[ " $peers " != *" docker "* ]]; then
  have_docker=0
elif [ $have_docker = 1 ]; then
  # No iptables, no bridge, no forwarding: builds run with --network none in this namespace.
  if start_dockerd "$work/docker" --iptables=false --ip-forward=false --ip-masq=false --bridge=none; then
    engines+=(docker)
  else
    echo "(BuildKit skipped: dockerd did not start)"
  fi
else
  echo "(BuildKit skipped: Debian's docker.io is not installed)"
fi
# Engines alternate per Dockerfile so that each is measured right beside the others (builds slow
# down over many back-to-back runs here; see ../shared/PEERS.md).
for df in ${BENCH_DOCKERFILES:-Dockerfile.steps Dockerfile.multistage}; do
  for e in "${engines[@]}"; do bench_one "$e" "$df"; done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "-" }'; }
echo
echo "== builds, median of $runs (ms); ratio = berth / peer =="
{
  hdr="dockerfile\tcase\tberth\tbuildah\tberth/buildah"
  [ $have_docker = 1 ] && [[ " ${engines[*]} " == *" docker "* ]] && hdr+="\tBuildKit\tberth/BuildKit"
  printf '%b\n' "$hdr"
  for df in ${BENCH_DOCKERFILES:-Dockerfile.steps Dockerfile.multistage}; do
    for k in cold warm change; do
      line="${df#Dockerfile.}\t$k\t${R[berth,$df,$k]}\t${R[buildah,$df,$k]:--}\t$(ratio "${R[berth,$df,$k]}" "${R[buildah,$df,$k]:-0}")"
      if [[ " ${engines[*]} " == *" docker "* ]]; then
        line+="\t${R[docker,$df,$k]}\t$(ratio "${R[berth,$df,$k]}" "${R[docker,$df,$k]}")"
      fi
      printf '%b\n' "$line"
    done
  done
} | column -t -s $'\t'
echo "(warm = unchanged rebuild; change = one source file under src/ changed)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
