#!/usr/bin/env bash
# Consul from Debian bullseye's package: the only MPL-2.0 Consul any reachable registry serves.
set -euo pipefail
: "${BUILD_TAG:?}" "${BASE_IMAGE:?}" "${LAB_ROOT:?}"
here="$LAB_ROOT/lab/images/consul"
echo "STEP docker build (consul from bullseye's .deb)"
docker buildx build --load --progress=plain --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$BUILD_TAG" -f "$here/Dockerfile" "$here"
echo "STEP smoke: consul version"
docker run --rm "$BUILD_TAG" version
