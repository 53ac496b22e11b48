#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (run as root), builds berth and runs all its tests with ctest:
# GoogleTest unit tests and the bats end-to-end tests that use real podman and skopeo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
