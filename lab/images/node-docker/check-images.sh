#!/usr/bin/env bash
# Boots the node image's own dockerd (not systemd: quicker, and enough for this), loads /kind/images
# as the node does at boot, and checks that every image kubeadm will ask for is there by name, and
# that a privileged container asking kubelet's sandbox oom_score_adj (-998) starts: the two things
# that fail first on this host (missing CAP_SYS_RESOURCE) when the runtime setup is wrong.
set -euo pipefail
image=${1:?node image}; shift
cid=$(docker run -d --privileged --tmpfs /run --tmpfs /tmp -v /var/lib/docker --entrypoint /usr/sbin/dockerd "$image")
trap 'docker rm -fv "$cid" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 120); do docker exec "$cid" docker info >/dev/null 2>&1 && break; sleep 0.5; done
docker exec "$cid" docker info --format 'dockerd {{.ServerVersion}} cgroup driver {{.CgroupDriver}} log driver {{.LoggingDriver}} runtime {{.DefaultRuntime}}'
docker exec "$cid" sh -euc 'for f in /kind/images/*.tar; do docker load -q -i "$f"; done'
have=$(docker exec "$cid" docker images --format '{{.Repository}}:{{.Tag}}')
for i in "$@"; do
  grep -qxF "$i" <<<"$have" || { echo "missing after load: $i" >&2; echo "$have" >&2; exit 1; }
done
etcd=$(grep -m1 '/etcd:' <<<"$have")
docker exec "$cid" docker run --rm --privileged --oom-score-adj=-998 --network=none "$etcd" etcd --version
echo "images and a privileged container with oom_score_adj -998: OK"
