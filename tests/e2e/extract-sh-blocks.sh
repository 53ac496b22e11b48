#!/usr/bin/env bash
# Prints every ```sh block of a Markdown file, in order, as one bash script; before each block a
# line `echo "### block N (FILE:LINE)"`, so a failing run names the block it stopped in.
# Other fences (```text, ```bash, ...) are not run. An unclosed ```sh block is an error.
set -euo pipefail
md=${1:?usage: extract-sh-blocks.sh FILE.md}
awk -v file="$md" '
  !inblock && /^```sh[ \t]*$/ { inblock = 1; n++; printf "echo \"### block %d (%s:%d)\"\n", n, file, NR; next }
  inblock && /^```[ \t]*$/    { inblock = 0; next }
  inblock                     { print }
  END { if (inblock) { printf "%s: the ```sh block at the end is not closed\n", file > "/dev/stderr"; exit 1 } }
' "$md"
