#!/usr/bin/env bash
# The LB tier: HAProxy from Debian plus consul-template compiled from the Go module proxy.
# consul-template v0.43.0 is the newest release the proxy serves (v0.43.1, v0.44.x: not served) and its
# module zip's LICENSE is MPL-2.0: unlike Consul and Vault, HashiCorp left consul-template on MPL in 2023.
# The licence is checked here, in the zip that is built, so a bump to a BUSL release fails the build.
# The 2018 platform would have run v0.19.5 (2018-06-12, the last release of 2018; v0.20.0 is 2019-02).
set -euo pipefail
: "${BUILD_TAG:?}" "${BASE_IMAGE:?}" "${LAB_ROOT:?}" "${LAB_CACHE:?}"
here="$LAB_ROOT/lab/images/lb"
version=v0.43.0
module=github.com/hashicorp/consul-template
command -v go >/dev/null || { echo "go is missing: install Go 1.26 or newer (consul-template $version needs it)" >&2; exit 1; }
# Without a VCS fallback: a module the proxy lacks should fail here, not send go to source hosts.
GOPROXY=$(go env GOPROXY | sed -e 's/,direct$//' -e 's/|direct$//')
export GOPROXY
ctx=$(mktemp -d "${TMPDIR:-/tmp}/lab-lb.XXXXXX")
trap 'rm -rf "$ctx"' EXIT

echo "STEP licence of $module@$version (module zip)"
moddir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$moddir" ] || { echo "go mod download gave no folder for $module@$version" >&2; exit 1; }
grep -q 'Mozilla Public License, version 2.0' "$moddir/LICENSE" || { echo "$module@$version: LICENSE is not MPL-2.0" >&2; exit 1; }
! grep -qi 'business source' "$moddir/LICENSE" || { echo "$module@$version: LICENSE mentions the Business Source License" >&2; exit 1; }
cp "$moddir/LICENSE" "$ctx/LICENSE.consul-template"

echo "STEP go build consul-template $version"
# go install needs no module of ours: the release's go.mod has no replace directives. Go's module and
# build caches make a rebuild take seconds.
CGO_ENABLED=0 GOBIN="$ctx" GOFLAGS=-mod=mod nice -n 10 go install -trimpath -ldflags '-s -w' "$module@$version"
"$ctx/consul-template" -version 2>&1 | grep -q "${version#v}" || { echo "built consul-template does not report $version" >&2; exit 1; }

cp "$here/Dockerfile" "$here/entrypoint.sh" "$here/haproxy.ctmpl" "$here/consul-template.hcl" "$ctx/"
echo "STEP docker build (haproxy from trixie)"
docker buildx build --load --progress=plain --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$BUILD_TAG" "$ctx"

echo "STEP smoke: haproxy accepts the template rendered with no services"
# consul-template's -dry renders to stdout without a Consul only when there are no dependencies, so the
# smoke renders the template's empty shape by hand: the config HAProxy must accept before any service exists.
docker run --rm --entrypoint sh "$BUILD_TAG" -c 'haproxy -vv | head -1 && consul-template -version && sed -e "/{{/d" /etc/lb/haproxy.ctmpl > /tmp/h.cfg && haproxy -c -f /tmp/h.cfg'
