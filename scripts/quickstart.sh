#!/usr/bin/env bash
# berth's main job, as far as berth can do it today: on a fresh Debian 12 machine (as root),
# install what berth needs, build it, make a local base image without any registry, and show the
# image commands working on it. Idempotent: run it as often as you like.
#
# The rest of the main job (build the ML example with `berth build`, run it detached with
# -p 8000:8000, call POST /predict) arrives with the monitor, networking and builder work; see
# README.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "Installing build dependencies from Debian's packages"
bash scripts/install-deps.sh --build-only
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" ||
  apt-get install -y -qq busybox-static >/dev/null

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
step "berth system df"
"$BERTH" system df
printf '\nDone. The binary is %s; try `%s images` or `%s --help`.\n' "$BERTH" "$BERTH" "$BERTH"
