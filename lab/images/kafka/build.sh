#!/usr/bin/env bash
# Apache Kafka from Maven Central's jars on Debian's JRE: there is no container registry to pull
# apache/kafka from, and the release tarball is not in any reachable package registry.
set -euo pipefail
: "${BUILD_TAG:?}" "${BASE_IMAGE:?}" "${LAB_ROOT:?}"
here="$LAB_ROOT/lab/images/kafka"
command -v mvn >/dev/null || { echo "mvn is missing: apt-get install maven" >&2; exit 1; }
ctx=$(mktemp -d "${TMPDIR:-/tmp}/lab-kafka.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
echo "STEP maven: kafka jars and their runtime closure"
# Maven's own cache (~/.m2) keeps the jars between builds.
mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$ctx/libs"
cp -r "$here/files" "$here/Dockerfile" "$ctx/"
echo "STEP docker build"
docker buildx build --load --progress=plain --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$BUILD_TAG" "$ctx"
echo "STEP smoke: storage tool runs"
docker run --rm --entrypoint /opt/kafka/bin/kafka-storage.sh "$BUILD_TAG" random-uuid
