#!/usr/bin/env bash
# Checks `berth run --gpus` on a machine with an NVIDIA GPU and its driver (no NVIDIA container
# toolkit needed). It makes a small image from the host itself (busybox plus the host's C library,
# so the driver's own nvidia-smi runs inside), then runs, with a private berth root:
#   1. berth run --gpus all IMG nvidia-smi -L           (the driver's tool, mounted by berth)
#   2. berth run --gpus all IMG cuda_check               (CUDA driver API: a PTX kernel on the GPU)
#   3. berth run --gpus device=0 IMG ls /dev/nvidia*     (one GPU chosen)
#   4. berth run IMG cuda_check                          (no --gpus: must fail, no driver inside)
# Usage: scripts/gpu-check.sh BERTH BUSYBOX CUDA_CHECK   (cuda_check: gcc tests/gpu/cuda_check.c -ldl)
set -uo pipefail
berth_bin=${1:?berth binary} busybox=${2:?static busybox} cuda_check=${3:?cuda_check binary}
root=$(mktemp -d /tmp/berth-gpu.XXXXXX)
b() { "$berth_bin" --root "$root" --runroot "$root/run" "$@"; }
cleanup() { b rm -f $(b ps -aq 2>/dev/null) >/dev/null 2>&1; rm -rf "$root"; }
trap cleanup EXIT
fails=0
check() {  # check NAME EXPECTED-STATUS COMMAND...
  local name=$1 want=$2; shift 2
  echo "---- $name: $*"
  "$@"; local got=$?
  if { [ "$want" = 0 ] && [ "$got" = 0 ]; } || { [ "$want" != 0 ] && [ "$got" != 0 ]; }; then
    echo "---- PASS $name (exit $got)"
  else
    echo "---- FAIL $name (exit $got, wanted $([ "$want" = 0 ] && echo 0 || echo non-zero))"
    fails=$((fails + 1))
  fi
}

echo "host: $(uname -srm); $(ldd --version | head -1)"
cat /proc/driver/nvidia/version 2>/dev/null | head -1
ls -l /dev/nvidia* 2>&1 | head
ls /etc/cdi /var/run/cdi 2>/dev/null
smi=$(command -v nvidia-smi) || { echo "no nvidia-smi on this host"; exit 1; }

# The image: busybox, the libraries nvidia-smi and cuda_check need (from this host), cuda_check.
rootfs=$root/rootfs
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc"
cp "$busybox" "$rootfs/bin/busybox"
for a in sh ls cat grep stat; do ln -sf busybox "$rootfs/bin/$a"; done
cp "$cuda_check" "$rootfs/bin/cuda_check"
for f in $( (ldd "$smi"; ldd "$cuda_check") | grep -o '/[^ ]*' | sort -u); do
  mkdir -p "$rootfs$(dirname "$f")"
  cp -L "$f" "$rootfs$f"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
tar -C "$rootfs" -cf "$root/rootfs.tar" .
b import -c 'CMD ["sh"]' "$root/rootfs.tar" gpucheck:1 >/dev/null || exit 1

check "nvidia-smi -L" 0 b run --rm --network none --gpus all gpucheck:1 nvidia-smi -L
check "nvidia-smi" 0 b run --rm --network none --gpus all gpucheck:1 nvidia-smi
check "cuda kernel" 0 b run --rm --network none --gpus all gpucheck:1 cuda_check
check "one GPU" 0 b run --rm --network none --gpus device=0 gpucheck:1 sh -c 'ls -l /dev/nvidia*'
check "no --gpus" 1 b run --rm --network none gpucheck:1 cuda_check
b create --name gpujob --network none --gpus all gpucheck:1 true >/dev/null &&
  b inspect --format '{{json .HostConfig.DeviceRequests}}' gpujob
echo "failures: $fails"
exit $((fails > 0))
