#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (run as root), builds berth and runs all its tests with ctest:
# GoogleTest unit tests, fuzz corpus replays, and the bats end-to-end tests that run real
# containers and use real podman and skopeo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
# Containers put their cgroups under a shared "berth" parent; remove it if the tests left it
# empty (a berth container still running elsewhere keeps it, and rmdir then fails harmlessly).
cleanup_cgroups() {
  for d in /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
  done
}
trap cleanup_cgroups EXIT
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
