#!/usr/bin/env bash
# Seed 004's build_docker.sh with berth: three layered images.
#   layer 1  busybox:latest             a third-party base, almost never updated (made locally
#                                       from Debian's busybox-static when missing)
#   layer 2  example/service_base:latest  run-time dependencies; built only when missing
#   layer 3  example/service:0.2.N      the service itself, N = the number of git commits;
#                                       versioned with git metadata in org.label-schema.* labels
# Environment: BERTH (the berth binary), REPOSITORY (example/service), TAG (default 0.2.N),
# SERVICE_PORT (the host port written into org.label-schema.docker.cmd, default 8339).
set -euo pipefail
cd "$(dirname "$0")"
berth() { "${BERTH:-berth}" "$@"; }

REPOSITORY=${REPOSITORY:-example/service}
base_image=${REPOSITORY}_base
first_layer=busybox:latest

# Version information from git, for the labels (as in the seed).
git_or() { git "$@" 2>/dev/null || echo "$GIT_DEFAULT"; }
GIT_DEFAULT=unknown
DATE=$(date -u +'%Y-%m-%dT%H:%M:%SZ')
VERSION=$(git_or describe --tags --always)
URL=$(git_or config --get remote.origin.url)
COMMIT=$(git_or rev-parse HEAD | cut -c 1-7)
BRANCH=$(git_or rev-parse --abbrev-ref HEAD)
GIT_DEFAULT=0
TAG=${TAG:-"0.2.$(git_or rev-list --count HEAD)"}

# Layer 1.
if [ -z "$(berth images -q "$first_layer")" ]; then
  echo "making $first_layer from Debian's busybox-static"
  tar=$(mktemp /tmp/busybox-rootfs.XXXXXX.tar)
  trap 'rm -f "$tar"' EXIT
  ../../tests/fixtures/busybox-rootfs.sh "$tar"
  berth import -c 'CMD ["sh"]' "$tar" "$first_layer" >/dev/null
fi

# Layer 2: one local copy, tagged latest, built only when missing.
base_tag=$(berth images -q "$base_image:latest")
if [[ x$base_tag == x ]]; then
  echo "build $base_image"
  berth build --tag "$base_image:latest" \
              --build-arg FIRST_LAYER="$first_layer" \
              --build-arg DATE="$DATE" \
              --file Dockerfile.base .
else
  echo "using $base_image:latest ($base_tag)"
fi

# Layer 3.
echo "build $REPOSITORY:$TAG"
berth build --tag "$REPOSITORY:$TAG" \
            --build-arg REPOSITORY="$REPOSITORY" \
            --build-arg TAG="$TAG" \
            --build-arg DATE="$DATE" \
            --build-arg VERSION="$VERSION" \
            --build-arg URL="$URL" \
            --build-arg COMMIT="$COMMIT" \
            --build-arg BRANCH="$BRANCH" \
            --build-arg PORT="${SERVICE_PORT:-8339}" \
            .
echo "built $REPOSITORY:$TAG"
