#!/usr/bin/env bash
# Builds the kind node image for Kubernetes v1.34.4 from local bits only: Kubernetes and CoreDNS
# from the Go module proxy, everything else from Debian. See NOTES.md for the traps on the way.
set -euo pipefail
: "${BUILD_TAG:?}" "${BASE_IMAGE:?}" "${LAB_CACHE:?}" "${LAB_ROOT:?}"
here=$LAB_ROOT/lab/images/node
K8S_VERSION=v1.34.4
REPO=outage-lab.local/k8s            # must match imageRepository in kind-patch.yaml
ETCD_TAG=3.5.16-0 PAUSE_TAG=3.10.1 COREDNS_TAG=v1.12.1

cache=$LAB_CACHE/node
mkdir -p "$cache"
ctx=$(mktemp -d "${TMPDIR:-/tmp}/lab-node.XXXXXX")
cid=""
cleanup() {
  [ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1 || true
  docker image rm "$rootfs_tag" >/dev/null 2>&1 || true
  rm -rf "$ctx"
}
rootfs_tag=outage-lab/node-rootfs:build-$$
trap cleanup EXIT

# Go binaries are cached by a hash of their sources: relinking the Kubernetes binary alone takes
# minutes here, and Go's own build cache still has to link.
gobuild() { # <module dir> <package> <output name> <ldflags>
  local dir=$1 pkg=$2 out=$3 ld=$4 key
  key=$( (cd "$dir" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z | xargs -0 sha256sum; \
          echo "$pkg $ld"; go version) | sha256sum | cut -c1-16)
  if [ ! -x "$cache/$out-$key" ]; then
    echo "STEP go build $out (cold: many minutes)"
    (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$cache/$out-$key.tmp" "$pkg")
    mv "$cache/$out-$key.tmp" "$cache/$out-$key"
    find "$cache" -maxdepth 1 -name "$out-*" ! -name "$out-$key" -delete
  fi
  cp "$cache/$out-$key" "$ctx/$out"
}

ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=34 -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
done
gobuild "$here/kube" . kube "$ld"
gobuild "$here/kube" ./pause pause "-s -w"
gobuild "$here/coredns" . coredns "-s -w"
# crictl lets `kind load` see which images a node already has (and helps debugging); its module has
# no replace directives, so a plain install works.
CRICTL_VERSION=v1.34.0
if [ ! -x "$cache/crictl-$CRICTL_VERSION" ]; then
  echo "STEP go install crictl"
  GOBIN=$ctx/gobin CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
  mv "$ctx/gobin/crictl" "$cache/crictl-$CRICTL_VERSION"
fi
cp "$cache/crictl-$CRICTL_VERSION" "$ctx/crictl"
cp "$here/iptables-mode" "$ctx/"

# Bits of the node images (built by the plain docker builder so FROM can name a local image).
img() { # <target> <tag>...
  local target=$1; shift
  echo "STEP image $target"
  docker buildx build --load --build-arg "BASE_IMAGE=$BASE_IMAGE" --target "$target" -f "$here/Dockerfile.images" -t "$1" "$ctx"
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
cp -a "$here/rootfs" "$ctx/rootfs"
docker buildx build --load --build-arg "BASE_IMAGE=$BASE_IMAGE" -f "$here/Dockerfile.node" -t "$rootfs_tag" "$ctx"

# Same approach as kind's node image builder: run the image's own containerd, import, commit.
echo "STEP import images into the node's containerd"
cid=$(docker run -d --privileged --tmpfs /run --tmpfs /tmp --entrypoint /usr/bin/containerd "$rootfs_tag")
for _ in $(seq 60); do docker exec "$cid" ctr version >/dev/null 2>&1 && break; sleep 0.5; done
# Pinned: kubelet's image GC must never delete what cannot be pulled again. Not unpacked: the
# snapshots would land in the container's overlay layer; containerd unpacks on first use instead.
docker exec -i "$cid" ctr -n k8s.io images import --label=io.cri-containerd.pinned=pinned \
  --all-platforms --no-unpack --digests - <"$ctx/images.tar"
have=$(docker exec "$cid" ctr -n k8s.io images ls -q)
echo "$have"
for i in "${images[@]}"; do
  grep -qxF "$i" <<<"$have" || { echo "missing after import: $i" >&2; exit 1; }
done
docker stop -t 30 "$cid" >/dev/null
echo "STEP commit $BUILD_TAG"
docker commit \
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
  --change 'CMD []' \
  "$cid" "$BUILD_TAG" >/dev/null
docker image inspect -f 'size {{.Size}}' "$BUILD_TAG"
