#!/usr/bin/env bash
# Bakes one lab image into a kind node image: the node's own containerd imports it, and the container
# is committed as a new node image. `lab images` and `lab up` chain calls to this script (see README.md).
set -euo pipefail
: "${PARENT_IMAGE:?}" "${IMAGE:?}" "${BUILD_TAG:?}"

cid=""
cleanup() { [ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# Restored on commit: the bake runs containerd as the entrypoint instead of the node's init.
entrypoint=$(docker image inspect -f '{{json .Config.Entrypoint}}' "$PARENT_IMAGE")
cmd=$(docker image inspect -f '{{json .Config.Cmd}}' "$PARENT_IMAGE")
[ "$entrypoint" = null ] && entrypoint='[]'
[ "$cmd" = null ] && cmd='[]'

echo "STEP containerd of $PARENT_IMAGE"
# containerd by PATH: the lab's node has it in /usr/bin, kind's upstream node in /usr/local/bin.
cid=$(docker run -d --privileged --tmpfs /run --tmpfs /tmp --entrypoint containerd "$PARENT_IMAGE")
ok=""
for _ in $(seq 60); do docker exec "$cid" ctr version >/dev/null 2>&1 && { ok=1; break; }; sleep 0.5; done
[ -n "$ok" ] || { docker logs "$cid" 2>&1 | tail -20 >&2; echo "containerd did not answer in $PARENT_IMAGE" >&2; exit 1; }

echo "STEP import $IMAGE"; echo "containerd up at ${SECONDS}s"
# Pinned: kubelet's image GC must never delete what no registry can give back. Not unpacked: the
# snapshots would land in this container's overlay layer, whose whiteout files Docker would read as its
# own on commit; containerd unpacks on first use instead, as it does for the control-plane images.
docker save "$IMAGE" | docker exec -i "$cid" ctr -n k8s.io images import --label=io.cri-containerd.pinned=pinned \
  --all-platforms --no-unpack --digests -
have=$(docker exec "$cid" ctr -n k8s.io images ls -q)
# ctr lists Docker-style short names fully qualified (docker.io/..., docker.io/library/...).
grep -qxF -e "$IMAGE" -e "docker.io/$IMAGE" -e "docker.io/library/$IMAGE" <<<"$have" || { echo "$have" >&2; echo "missing after import: $IMAGE" >&2; exit 1; }
# SIGTERM, not `docker stop`: that sends the node's STOPSIGNAL (SIGRTMIN+3, for systemd), which
# containerd ignores, and the bake would wait out the timeout before a SIGKILL.
docker kill -s TERM "$cid" >/dev/null
docker wait "$cid" >/dev/null

echo "STEP commit $BUILD_TAG"; echo "imported at ${SECONDS}s"
docker commit --change "ENTRYPOINT $entrypoint" --change "CMD $cmd" "$cid" "$BUILD_TAG" >/dev/null
echo "baked $IMAGE into $PARENT_IMAGE in ${SECONDS}s"
