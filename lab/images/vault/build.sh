#!/usr/bin/env bash
# HashiCorp Vault 1.14.2 (MPL-2.0) compiled from the Go module proxy, because it is the last open-source
# Vault that still has the Consul storage backend the incident's Vault used (OpenBao dropped it).
set -euo pipefail
: "${BUILD_TAG:?}" "${BASE_IMAGE:?}" "${LAB_ROOT:?}" "${LAB_CACHE:?}"
here="$LAB_ROOT/lab/images/vault"
command -v go >/dev/null || { echo "go is missing: install Go 1.22 or newer" >&2; exit 1; }
ctx=$(mktemp -d "${TMPDIR:-/tmp}/lab-vault.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
# Without a VCS fallback: a module the proxy lacks should fail here, not send go to source hosts.
GOPROXY=$(go env GOPROXY | sed -e 's/,direct$//' -e 's/|direct$//')
export GOPROXY
# Vault's releases build against the sdk folder of their own tree, which the proxy does not serve; the
# nearest tag, sdk v0.9.2, has everything 1.14.2 uses plus one check from 1.15 that panics on the
# first request (the 1.14 system backend's managed-keys paths define Create without ExistenceCheck).
# A copy of that sdk with the check turned off is swapped in through a throw-away go.work, so
# go.mod keeps naming exactly what the proxy serves.
echo "STEP patch vault sdk v0.9.2 (drop the 1.15-only ExistenceCheck panic)"
read -r sdk_src sdk_ver < <(cd "$here/cmd" && go mod download github.com/hashicorp/vault/sdk \
  && go list -m -f '{{.Dir}} {{.Version}}' github.com/hashicorp/vault/sdk)
sdk="$LAB_CACHE/vault/sdk-$sdk_ver-patched"
rm -rf "$sdk" && mkdir -p "$(dirname "$sdk")" && cp -r "$sdk_src" "$sdk" && chmod -R u+w "$sdk"
check='panic(fmt.Sprintf("Pattern %v defines a CreateOperation but no ExistenceCheck", p.Pattern))'
[ "$(grep -cF "$check" "$sdk/framework/backend.go")" = 2 ] || { echo "sdk $sdk_ver: the check to disable was not found twice" >&2; exit 1; }
sed -i "s/$check/_ = 0/" "$sdk/framework/backend.go"
! grep -qF "$check" "$sdk/framework/backend.go" || { echo "sdk patch did not apply" >&2; exit 1; }
printf 'go 1.20\n\nuse %s\n\nreplace github.com/hashicorp/vault/sdk %s => %s\n' "$here/cmd" "$sdk_ver" "$sdk" > "$ctx/go.work"
echo "STEP go build vault (first build: 15-30 min on 2 cores; Go's caches make later ones fast)"
# Go's own module and build caches (GOMODCACHE, GOCACHE) hold the heavy part between builds.
(cd "$here/cmd" && GOWORK="$ctx/go.work" CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags '-s -w' -o "$ctx/vault" .)
"$ctx/vault" version
moddir=$(cd "$here/cmd" && go list -m -f '{{.Dir}}' github.com/hashicorp/vault)
grep -q 'Mozilla Public License' "$moddir/LICENSE" || { echo "vault module LICENSE is not MPL-2.0" >&2; exit 1; }
cp "$moddir/LICENSE" "$ctx/LICENSE"
cp "$here/Dockerfile" "$here/entrypoint.sh" "$ctx/"
echo "STEP docker build"
docker buildx build --load --progress=plain --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$BUILD_TAG" "$ctx"
echo "STEP smoke: vault version"
docker run --rm "$BUILD_TAG" version
