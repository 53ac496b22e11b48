#!/usr/bin/env bash
# Makes the `debian:bookworm` base image locally, without Docker Hub: `debootstrap
# --variant=minbase` from the Debian mirror this host's apt already uses, cached as a tarball, then
# `berth import`ed with CMD ["bash"], as Docker's official image has. Run as root.
#
# Idempotent: does nothing when the image exists; reuses the cached tarball when it exists.
#
#   BERTH             the berth binary (default: build/bin/berth if built, else `berth`)
#   BERTH_ROOT        berth's root, as for berth itself (the e2e tests use a private one)
#   BERTH_BASE_IMAGE  the reference to make (default debian:bookworm)
#   BERTH_BASE_PULL=1 try `berth pull` first (Docker Hub or a configured mirror); the local build
#                     is the fallback when that fails
#   BERTH_BASE_CACHE  the tarball cache directory (default /var/cache/berth/debootstrap)
#   BERTH_BASE_MIRROR the Debian mirror (default: the first bookworm entry of /etc/apt/sources.list
#                     and /etc/apt/sources.list.d/*.{list,sources})
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'make-base: %s\n' "$*"; }
die() { printf 'make-base: error: %s\n' "$*" >&2; exit 1; }

if [ -z "${BERTH:-}" ]; then
  if [ -x build/bin/berth ]; then BERTH=$PWD/build/bin/berth; else BERTH=berth; fi
fi
suite=bookworm
image=${BERTH_BASE_IMAGE:-debian:$suite}
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
cache=${BERTH_BASE_CACHE:-/var/cache/berth/debootstrap}
tarball=$cache/$suite-$arch.tar.zst

if "$BERTH" image inspect --format '{{.Id}}' "$image" >/dev/null 2>&1; then
  say "$image is already present"
  exit 0
fi

if [ "${BERTH_BASE_PULL:-0}" = 1 ]; then
  say "trying berth pull $image"
  if "$BERTH" pull "$image"; then exit 0; fi
  say "pull failed; making $image locally instead"
fi

# The mirror (and the security mirror) apt uses on this host, from either sources format:
# one-line "deb [opts] URI suite comps" entries, or deb822 stanzas (Types/URIs/Suites).
# Prints "URI SUITE" for each deb entry, in file order.
apt_entries() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                       print $i, $(i + 1) }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'function flush() { if (types ~ /(^| )deb( |$)/ && enabled != "no")
                              for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++) print uris[u], suites[s];
                            types = ""; nu = 0; ns = 0; enabled = "" }
         /^[ \t]*#/ { next }
         /^[ \t]*$/ { flush(); next }
         tolower($1) == "types:"   { $1 = ""; types = $0 }
         tolower($1) == "uris:"    { nu = 0; for (k = 2; k <= NF; k++) uris[++nu] = $k }
         tolower($1) == "suites:"  { ns = 0; for (k = 2; k <= NF; k++) suites[++ns] = $k }
         tolower($1) == "enabled:" { enabled = tolower($2) }
         END { flush() }' "$f"
  done
}
entries=$(apt_entries)
mirror=${BERTH_BASE_MIRROR:-$(awk -v s="$suite" '$2 == s { print $1; exit }' <<<"$entries")}
security=$(awk -v s="$suite-security" '$2 == s { print $1; exit }' <<<"$entries")
[ -n "$mirror" ] || die "no '$suite' entry in /etc/apt/sources.list{,.d/}; set BERTH_BASE_MIRROR"
mirror=${mirror%/}

if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  command -v zstd >/dev/null || die "zstd is not installed (apt-get install zstd)"
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/.work.XXXXXX")
  rootfs=$work/rootfs
  # debootstrap mounts /proc and /sys in the target; an interrupted run must not leave them.
  cleanup() {
    local m
    for m in $(awk -v r="$rootfs/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r); do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$work"
  }
  trap cleanup EXIT
  say "debootstrap --variant=minbase $suite from $mirror (a minute or two, once)"
  debootstrap --variant=minbase --arch="$arch" "$suite" "$rootfs" "$mirror" \
    > "$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

  say "tidying the root filesystem for use as an image"
  # apt sources as in Docker's debian image (deb822), pointing at the same mirrors as the host.
  rm -f "$rootfs/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$mirror" "$suite" "$suite"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [ -n "$security" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "${security%/}" "$suite"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } > "$rootfs/etc/apt/sources.list.d/debian.sources"
  # No services start on package installs inside containers, no translations are fetched, and
  # downloaded .debs are removed after each install (the tweaks of Docker's debian image).
  printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  echo 'Acquire::Languages "none";' > "$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  # The runtime provides these per container; the host's copies must not ship in the image.
  : > "$rootfs/etc/resolv.conf"
  : > "$rootfs/etc/hostname"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/log/apt/* "$rootfs"/var/log/dpkg.log "$rootfs"/var/log/bootstrap.log "$rootfs"/tmp/* \
    "$rootfs"/debootstrap
  mkdir -p "$rootfs/var/lib/apt/lists/partial"

  say "packing $tarball"
  # Device nodes, /proc and /sys contents stay out: the runtime makes them. Written beside the
  # target and renamed, so an interrupted run never leaves a truncated cache.
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$rootfs" \
      --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf - . |
    zstd -q -T0 -10 -o "$work/rootfs.tar.zst"
  mv -f "$work/rootfs.tar.zst" "$tarball"
  trap - EXIT
  cleanup
else
  say "using the cached $tarball"
fi

say "berth import $tarball $image"
"$BERTH" import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["bash"]' \
  -m "debootstrap --variant=minbase $suite $mirror" \
  "$tarball" "$image" >/dev/null
say "$image is ready ($("$BERTH" image inspect --format '{{.Id}}' "$image" | cut -c1-19))"
