#!/usr/bin/env bash
# Installs every build and test dependency of berth from Debian 12's packages.
# Idempotent: packages already present are skipped by apt.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

build_pkgs=(
  build-essential cmake ninja-build pkg-config git
  libarchive-dev libsqlite3-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libssl-dev libzstd-dev zlib1g-dev liblzma-dev libbz2-dev libseccomp-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev
  libnl-3-dev libnl-route-3-dev libnftables-dev libyaml-cpp-dev
)
test_pkgs=(
  bats busybox-static podman skopeo runc uidmap fuse-overlayfs python3 jq curl tini procps
  containerd nftables iproute2 docker-registry apache2-utils openssl
  debootstrap zstd
)
# The peers bench/ compares with, and its tools (`install-deps.sh --bench`; not needed by the
# tests). docker.io starts its service on install where no policy-rc.d forbids it.
bench_pkgs=(
  crun runc podman buildah conmon containernetworking-plugins docker.io
  hyperfine apache2-utils socat jq strace
)

want=("${build_pkgs[@]}")
if [ "${1:-}" != "--build-only" ]; then want+=("${test_pkgs[@]}"); fi
if [ "${1:-}" = "--bench" ]; then want+=("${bench_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all dependencies present"
