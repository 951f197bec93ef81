#!/usr/bin/env bash
# Bundles each program of src/apps into one ESM file with the repo's esbuild (no npm install inside
# the image, no node_modules in it) and puts them next to the repo's Node 22 binary on the base image.
set -euo pipefail
: "${BUILD_TAG:?}" "${BASE_IMAGE:?}" "${LAB_ROOT:?}"
cd "$LAB_ROOT"
esbuild="$LAB_ROOT/node_modules/.bin/esbuild"
nodebin="$LAB_ROOT/node_modules/node/bin/node"
[ -x "$esbuild" ] || { echo "esbuild is missing: run npm ci" >&2; exit 1; }
[ -x "$nodebin" ] || { echo "node_modules/node/bin/node is missing: run npm ci" >&2; exit 1; }
ctx=$(mktemp -d "${TMPDIR:-/tmp}/lab-apps.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/app"

echo "STEP esbuild: devenv, shipper, metrics-agent, fault-agent"
# kafkajs and client-node's dependencies are CommonJS and call require() for Node built-ins; an ESM
# bundle has no require, so give it one.
banner="import { createRequire as __labRequire } from 'node:module'; const require = __labRequire(import.meta.url);"
# Splitting puts what a program only import()s into its own chunk (<prog>-<hash>.mjs), loaded only when
# used: the metrics agent's Kubernetes client (DaemonSet discovery) stays out of every sidecar agent.
for prog in devenv shipper metrics-agent fault-agent; do
  "$esbuild" "$prog=src/apps/$prog/main.ts" --bundle --splitting --chunk-names="$prog-[hash]" --out-extension:.js=.mjs \
    --platform=node --format=esm --target=node22 \
    --banner:js="$banner" --legal-comments=none --log-level=warning --outdir="$ctx/app"
done
cp "$nodebin" "$ctx/node"
cp lab/images/apps/Dockerfile "$ctx/"
"$nodebin" --version > "$ctx/app/NODE_VERSION"
ls -l "$ctx/app"

echo "STEP docker build"
docker buildx build --load --progress=plain --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$BUILD_TAG" "$ctx"

echo "STEP smoke: every program starts"
# The dev-env app must write its lines to stdout at the requested rate.
lines=$(docker run --rm -e LOG_RATE=200 -e POD_NAME=smoke "$BUILD_TAG" timeout -s INT 2 node /app/devenv.mjs 2>/dev/null | wc -l || true)
[ "$lines" -ge 100 ] || { echo "devenv wrote $lines lines in 2 s, expected ~400" >&2; exit 1; }
# The shipper and the agent load every dependency (kafkajs, client-node) and reject a bad setting.
for prog in shipper metrics-agent; do
  set +e
  out=$(docker run --rm -e SHIPPER_MODE=smoke-test -e POD_NAME=p -e POD_NAMESPACE=n "$BUILD_TAG" node "/app/$prog.mjs" 2>&1)
  rc=$?
  set -e
  if [ "$rc" -ne 2 ] || ! grep -q 'SHIPPER_MODE' <<<"$out"; then
    echo "$prog: expected a configuration error (exit 2), got exit $rc: $out" >&2
    exit 1
  fi
done
# The DaemonSet agent's Kubernetes client is a chunk of its own: it must load (and then fail here, on the
# kubeconfig this container does not have, rather than on a missing module).
set +e
out=$(docker run --rm -e SCRAPE_DISCOVERY=node -e NODE_NAME=n -e POD_NAMESPACE=n -e KUBECONFIG=/nonexistent "$BUILD_TAG" node /app/metrics-agent.mjs 2>&1)
rc=$?
set -e
if [ "$rc" -ne 1 ] || ! grep -q '/nonexistent' <<<"$out" || grep -qi 'cannot find module' <<<"$out"; then
  echo "metrics-agent: node discovery did not load its Kubernetes client: exit $rc: $out" >&2
  exit 1
fi
# The fault agent loads (client-node, its iptables and probe code) and refuses to start without its node.
set +e
out=$(docker run --rm "$BUILD_TAG" node /app/fault-agent.mjs 2>&1)
rc=$?
set -e
if [ "$rc" -ne 2 ] || ! grep -q 'NODE_NAME' <<<"$out"; then
  echo "fault-agent: expected a configuration error naming NODE_NAME (exit 2), got exit $rc: $out" >&2
  exit 1
fi
echo "smoke ok: devenv wrote $lines lines in 2 s"
