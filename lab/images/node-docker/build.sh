#!/usr/bin/env bash
# Builds the Docker-runtime kind node image: Kubernetes v1.23.17 (the last kubelet with dockershim)
# from the Go module proxy, Docker from Debian. Shares the containerd node's recipe parts (entrypoint,
# in-node image stages, pause, CoreDNS, lab-cni) so both runtimes' nodes differ only where the runtime
# does. See NOTES.md.
set -euo pipefail
: "${BUILD_TAG:?}" "${BASE_IMAGE:?}" "${LAB_CACHE:?}" "${LAB_ROOT:?}"
here=$LAB_ROOT/lab/images/node-docker
node=$LAB_ROOT/lab/images/node
K8S_VERSION=v1.23.17
REPO=outage-lab.local/k8s            # must match imageRepository in kind-patch.yaml
# kubeadm 1.23 asks pause 3.6 (its default); etcd and CoreDNS tags are set in kind-patch.yaml.
ETCD_TAG=3.5.16-0 PAUSE_TAG=3.6 COREDNS_TAG=v1.12.1

cache=$LAB_CACHE/node-docker
mkdir -p "$cache"
ctx=$(mktemp -d "${TMPDIR:-/tmp}/lab-node-docker.XXXXXX")
trap 'rm -rf "$ctx"' EXIT

# Cached by a hash of the sources (symlinks followed: labcni.go is the containerd node's file).
gobuild() { # <module dir> <package> <output name> <ldflags> [go build flags...]
  local dir=$1 pkg=$2 out=$3 ld=$4 key
  shift 4
  key=$( (cd "$dir" && find -L . -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.sh' \) -print0 | sort -z | xargs -0 sha256sum; \
          echo "$pkg $ld"; go version) | sha256sum | cut -c1-16)
  if [ ! -x "$cache/$out-$key" ]; then
    echo "STEP go build $out (cold: many minutes)"
    (cd "$dir" && CGO_ENABLED=0 nice -n 10 go build "$@" -trimpath -ldflags "$ld" -o "$cache/$out-$key.tmp" "$pkg")
    mv "$cache/$out-$key.tmp" "$cache/$out-$key"
    find "$cache" -maxdepth 1 -name "$out-*" ! -name "$out-$key" -delete
  fi
  cp "$cache/$out-$key" "$ctx/$out"
}

ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=23 -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
done
# kube-apiserver needs a generated file the v1.23.17 module lacks: build against a patched copy of the
# module through a go.mod beside it that replaces k8s.io/kubernetes with that copy (kube/gen-openapi.sh).
echo "STEP generate kube-apiserver's OpenAPI definitions"
ksrc=$("$here/kube/gen-openapi.sh" "$cache")
{ cat "$here/kube/go.mod"; printf '\nreplace k8s.io/kubernetes => %s\n' "$ksrc"; } >"$cache/kube.mod"
cp "$here/kube/go.sum" "$cache/kube.sum"
gobuild "$here/kube" . kube "$ld" -modfile="$cache/kube.mod"
gobuild "$node/kube" ./pause pause "-s -w"
gobuild "$node/coredns" . coredns "-s -w"
cp "$node/iptables-mode" "$ctx/"

img() { # <target> <tag>...
  local target=$1; shift
  echo "STEP image $target"
  docker buildx build --load --build-arg "BASE_IMAGE=$BASE_IMAGE" --target "$target" -f "$node/Dockerfile.images" -t "$1" "$ctx"
  local t; for t in "${@:2}"; do docker tag "$1" "$t"; done
}
img kube "$REPO/kube-apiserver:$K8S_VERSION" "$REPO/kube-controller-manager:$K8S_VERSION" \
  "$REPO/kube-scheduler:$K8S_VERSION" "$REPO/kube-proxy:$K8S_VERSION" "$REPO/lab-cni:$K8S_VERSION"
img etcd "$REPO/etcd:$ETCD_TAG"
img pause "$REPO/pause:$PAUSE_TAG"
img coredns "$REPO/coredns:$COREDNS_TAG"
images=("$REPO/kube-apiserver:$K8S_VERSION" "$REPO/kube-controller-manager:$K8S_VERSION" "$REPO/kube-scheduler:$K8S_VERSION"
  "$REPO/kube-proxy:$K8S_VERSION" "$REPO/lab-cni:$K8S_VERSION" "$REPO/etcd:$ETCD_TAG" "$REPO/pause:$PAUSE_TAG" "$REPO/coredns:$COREDNS_TAG")
echo "STEP docker save ${#images[@]} images"
docker save -o "$ctx/images.tar" "${images[@]}"

echo "STEP node root filesystem"
cp -a "$node/rootfs" "$ctx/node-rootfs"
cp -a "$here/rootfs" "$ctx/rootfs"
cat >>"$ctx/Dockerfile" <"$here/Dockerfile.node"
# The tar goes in last: a change to it does not invalidate the package layer above.
printf 'COPY images.tar /kind/images/control-plane.tar\n' >>"$ctx/Dockerfile"
docker buildx build --load --build-arg "BASE_IMAGE=$BASE_IMAGE" -f "$ctx/Dockerfile" -t "$BUILD_TAG" "$ctx"

# The images must load into the node's own dockerd under the names kubeadm derives.
echo "STEP check: load the images into the node's dockerd"
"$here/check-images.sh" "$BUILD_TAG" "${images[@]}"
docker image inspect -f 'size {{.Size}}' "$BUILD_TAG"
