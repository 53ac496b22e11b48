#!/usr/bin/env bash
# Builds the fuzz targets with clang + libFuzzer + ASan and runs each for SECONDS (default 60),
# seeded from fuzz/corpus/<target>. New crashes are written to fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
command -v clang++ >/dev/null || apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DBERTH_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address" >/dev/null
mkdir -p fuzz/crashes
for t in reference template image_json tar; do
  cmake --build build-fuzz --target "fuzz_$t"
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$t/." "$work/"
  ./build-fuzz/fuzz/fuzz_$t -max_total_time="$secs" -artifact_prefix=fuzz/crashes/ "$work"
  rm -rf "$work"
done
