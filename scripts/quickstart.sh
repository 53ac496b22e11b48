#!/usr/bin/env bash
# berth's main job: on a fresh Debian 12 machine (as root), install what berth needs, build it,
# make a local base image without any registry, build an example web app from it with
# `berth build`, run it detached with a published port, wait until its healthcheck passes and
# call it with curl, then leave it running. Idempotent: run it as often as you like.
# BERTH_DEMO_PORT (default 8000) is the host port. The ML serving example (Debian base, sklearn)
# is issue 7's, still to come.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "Installing build dependencies from Debian's packages"
bash scripts/install-deps.sh --build-only
for p in busybox-static nftables iproute2 curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    apt-get install -y -qq "$p" >/dev/null
done
port=${BERTH_DEMO_PORT:-8000}

step "Building berth"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target berth | tail -1
BERTH=$PWD/build/bin/berth

step "Making a busybox base image locally (no registry)"
tar=$(mktemp /tmp/busybox-rootfs.XXXXXX.tar)
trap 'rm -f "$tar"' EXIT
tests/fixtures/busybox-rootfs.sh "$tar"
"$BERTH" import -c 'CMD ["sh"]' -c 'LABEL org.label-schema.name=busybox' "$tar" busybox:latest

step "berth images"
"$BERTH" images
step "berth inspect busybox --format '{{json .ContainerConfig.Labels}}' | python3 -m json.tool"
"$BERTH" inspect busybox --format '{{json .ContainerConfig.Labels}}' | python3 -m json.tool
step "berth history busybox"
"$BERTH" history busybox
step "berth save busybox | wc -c   (a docker-archive + OCI layout that docker, podman and skopeo load)"
"$BERTH" save busybox | wc -c
step "berth run --rm busybox sh -c '...'   (a real container: namespaces, cgroups, seccomp, dropped capabilities)"
"$BERTH" run --rm --memory 64m --pids-limit 64 busybox sh -c \
  'echo "Hello from a berth container: hostname $(hostname), pid $$"; grep -E "^(CapEff|Seccomp):" /proc/self/status'
step "berth run --name hello busybox echo 'Hello world'; berth ps -a; berth rm hello"
"$BERTH" rm -f hello >/dev/null 2>&1 || true
"$BERTH" run --name hello busybox echo "Hello world"
"$BERTH" ps -a
"$BERTH" rm hello
step "berth build -t hello-web:latest --build-arg GIT_COMMIT=... examples/hello-web"
"$BERTH" build -t hello-web:latest --progress plain \
  --build-arg GIT_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" examples/hello-web
step "berth run -d --name hello-web -p $port:8000 hello-web:latest"
"$BERTH" rm -f hello-web >/dev/null 2>&1 || true
"$BERTH" run -d --pull never --name hello-web -p "$port:8000" hello-web:latest
printf 'waiting for the healthcheck'
for _ in $(seq 1 60); do
  [ "$("$BERTH" inspect --format '{{.State.Health.Status}}' hello-web)" = healthy ] && break
  printf '.'
  sleep 0.5
done
echo
step "curl http://localhost:$port/   and   curl -X POST http://localhost:$port/cgi-bin/predict"
curl -fsS "http://localhost:$port/"
curl -fsS -X POST -H 'Content-Type: application/json' -d '{"text": "hello"}' \
  "http://localhost:$port/cgi-bin/predict"
step "berth ps"
"$BERTH" ps
step "berth system df"
"$BERTH" system df
printf '\nDone: hello-web is still running on port %s. Stop it with:\n  %s stop hello-web && %s rm hello-web\n' \
  "$port" "$BERTH" "$BERTH"
