#!/usr/bin/env bash
# build-case.sh CASE_DIR OUT_FILE ENGINE...: builds one conformance case with ENGINE (a command:
# `berth --root R` or `docker -H unix://S`, whose store already holds busybox:latest imported from
# $BUSYBOX_TAR) and writes describe.py's description of the image to OUT_FILE.
# A case is a directory with a Dockerfile (outside the context, as `-f` allows), its context in
# context/, and optionally: Dockerfile.base (built first as conformance-base, for ONBUILD),
# build-args (KEY=VALUE lines for --build-arg) and target (for --target). RUN steps get no network.
set -euo pipefail
case_dir=$1 out=$2
shift 2
engine=("$@")
here=$(cd "$(dirname "$0")" && pwd)
name=conformance-$(basename "$case_dir")
tmp=$(mktemp -d)
ctr=
cleanup() {
  [ -z "$ctr" ] || "${engine[@]}" rm -f "$ctr" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# The context as git stores it (0644 or 0755 files, 0755 directories) whatever the checkout's
# umask, since COPY keeps modes.
cp -a "$case_dir/context" "$tmp/context"
find "$tmp/context" -type d -exec chmod 755 {} +
find "$tmp/context" -type f -perm /111 -exec chmod 755 {} +
find "$tmp/context" -type f ! -perm /111 -exec chmod 644 {} +
args=()
if [ -f "$case_dir/build-args" ]; then
  while IFS= read -r a; do [ -z "$a" ] || args+=(--build-arg "$a"); done <"$case_dir/build-args"
fi
[ ! -f "$case_dir/target" ] || args+=(--target "$(cat "$case_dir/target")")
if [ -f "$case_dir/Dockerfile.base" ]; then
  "${engine[@]}" build -q --network none -t conformance-base -f "$case_dir/Dockerfile.base" "$tmp/context" >/dev/null
fi
"${engine[@]}" build -q --network none -t "$name" "${args[@]}" -f "$case_dir/Dockerfile" "$tmp/context" >/dev/null
"${engine[@]}" save -o "$tmp/image.tar" "$name"
ctr=$("${engine[@]}" create "$name" sh)  # never started; an imported base has no CMD
"${engine[@]}" export -o "$tmp/rootfs.tar" "$ctr"
python3 "$here/describe.py" "$tmp/image.tar" "$tmp/rootfs.tar" "$BUSYBOX_TAR" >"$out"
