#!/usr/bin/env bash
# berth's main job, in one command, on a fresh Debian 12 machine (as root): install what berth
# needs, build it, make the debian:bookworm base locally when it is missing (debootstrap, no
# registry), build the ML model-serving example (examples/ml-serving: scikit-learn + Flask +
# gunicorn, a model trained at build time), run it with a published port, wait until its
# healthcheck passes, send it a prediction request with curl, and leave it running.
# Idempotent: run it as often as you like; a second run reuses the base, the build cache and
# replaces the container.
#
#   BERTH_DEMO_PORT   the host port (default 8000)
#   BERTH             an already built berth binary: skips installing packages and building
#   BERTH_BASE_PULL=1 try `berth pull debian:bookworm` before making the base locally
#   BERTH_ROOT        berth's state directory, as for berth itself
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }
port=${BERTH_DEMO_PORT:-8000}
name=ml-serving
t0=$(date +%s)

if [ -z "${BERTH:-}" ]; then
  step "Installing dependencies from Debian's packages"
  bash scripts/install-deps.sh --build-only
  missing=()
  for p in nftables iproute2 curl debootstrap zstd python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi

  step "Building berth"
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" --target berth | tail -1
  BERTH=$PWD/build/bin/berth
else
  step "Using $BERTH"
fi
export BERTH
b() { "$BERTH" "$@"; }

step "Base image debian:bookworm (made locally with debootstrap when missing)"
bash scripts/make-base.sh

# Build metadata from git, as label-schema labels (see seed 004's build_docker.sh). The build
# date is the commit's, so a rebuild of the same commit is a cache hit with the same image id.
git_or() { git "$@" 2>/dev/null || true; }
commit=$(git_or rev-parse --short HEAD); commit=${commit:-unknown}
version=$(git_or describe --tags --always --dirty); version=${version:-$commit}
branch=$(git_or rev-parse --abbrev-ref HEAD); branch=${branch:-unknown}
url=$(git_or config --get remote.origin.url); url=${url:-file://$PWD}
date=$(TZ=UTC git_or log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)
date=${date:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
tag="0.1.$(git_or rev-list --count HEAD)"; [ "$tag" != "0.1." ] || tag=0.1.0

step "berth build -t $name:latest -t $name:$tag --build-arg COMMIT=$commit ... examples/ml-serving"
log=$(mktemp /tmp/berth-quickstart.XXXXXX.log)
trap 'rm -f "$log"' EXIT
set +e
b build -t "$name:latest" -t "$name:$tag" --progress plain \
  --build-arg REPOSITORY="$name" --build-arg TAG="$tag" --build-arg DATE="$date" \
  --build-arg VERSION="$version" --build-arg URL="$url" --build-arg COMMIT="$commit" \
  --build-arg BRANCH="$branch" examples/ml-serving 2>&1 |
  tee "$log" | grep --line-buffered -E '^#[0-9]+ (\[|DONE|CACHED|writing|naming)|trained'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  echo "quickstart: berth build failed (exit $rc); the end of its output:" >&2
  tail -30 "$log" >&2
  exit "$rc"
fi

step "berth images $name"
b images "$name"
step "berth inspect $name:$tag --format '{{json .Config.Labels}}'"
b inspect "$name:$tag" --format '{{json .Config.Labels}}' | python3 -m json.tool

step "berth run -d --name $name -p $port:8000 $name:$tag"
b rm -f "$name" >/dev/null 2>&1 || true
b run -d --pull never --name "$name" -p "$port:8000" "$name:$tag"

printf 'waiting for the healthcheck'
status=starting
for _ in $(seq 1 120); do
  status=$(b inspect --format '{{.State.Health.Status}}' "$name")
  [ "$status" = healthy ] && break
  [ "$(b inspect --format '{{.State.Running}}' "$name")" = true ] || break
  printf '.'
  sleep 0.5
done
echo " $status"
if [ "$status" != healthy ]; then
  echo "quickstart: $name did not become healthy; its logs:" >&2
  b logs --tail 30 "$name" >&2 || true
  exit 1
fi

step "curl -X POST http://localhost:$port/predict -H \"Content-Type: application/json\" -d @examples/ml-serving/request.json"
curl -fsS -X POST "http://localhost:$port/predict" -H "Content-Type: application/json" \
  -d @examples/ml-serving/request.json | python3 -m json.tool

step "berth ps"
b ps

printf '\nDone in %ss: %s is still running on port %s. Stop it with:\n  %s stop %s && %s rm %s\n' \
  "$(($(date +%s) - t0))" "$name" "$port" "$BERTH" "$name" "$BERTH" "$name"
