#!/usr/bin/env bash
# regen.sh [CASE...]: writes each case's `expected` file from what Docker's own builder makes of
# it: a private dockerd (Debian's docker.io, BuildKit built in, DOCKER_BUILDKIT=1) with busybox
# imported from the same fixture the tests use. berth's conformance test (tests/e2e/
# build_conformance.bats) then checks berth against these files. Cases with a `handwritten`
# file use features this dockerd's builder lacks; their `expected` is written by hand.
# As root, in a private network and mount namespace (as bench/build.sh): nothing is pulled.
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${CONFORMANCE_NETNS:-}" ]; then
  exec env CONFORMANCE_NETNS=1 unshare -m -n --propagation private bash "$0" "$@"
fi
. ../../bench/lib.sh
ip link set lo up
work=$(mktemp -d /var/tmp/berth-conf.XXXXXX)
dockerd_pid=
cleanup() {
  set +e
  stop_dockerd
  grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT
../fixtures/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
export BUSYBOX_TAR=$work/busybox.tar
start_dockerd "$work/docker" --iptables=false --ip-forward=false --ip-masq=false --bridge=none
docker=(/usr/bin/docker -H "unix://$work/docker/docker.sock")
"${docker[@]}" import "$BUSYBOX_TAR" busybox:latest >/dev/null
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=($(ls cases))
for c in "${cases[@]}"; do
  if [ -f "cases/$c/handwritten" ]; then echo "$c: handwritten, left as it is"; continue; fi
  DOCKER_BUILDKIT=1 ./build-case.sh "cases/$c" "cases/$c/expected" "${docker[@]}"
  echo "$c: $(wc -l <"cases/$c/expected") lines"
done
