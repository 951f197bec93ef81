#!/usr/bin/env bash
# Proves the Docker-runtime node image without the lab: a bare kind cluster (1 control plane + 1 worker)
# with the settings src/runtime/docker.ts adds, a pod on the worker whose stdout must land in dockerd's
# json-file log behind /var/log/pods, `docker ps` timed in the node, kubelet's PLEG relist metrics.
# Usage: probe.sh <image> [--keep] [--name N]   (cluster name default lab-probe-docker; never the lab's own)
set -euo pipefail
image=${1:?image}; shift
keep=0 name=lab-probe-docker
while [ $# -gt 0 ]; do case $1 in --keep) keep=1;; --name) name=$2; shift;; esac; shift; done
case $name in outage-lab | outage-lab-b) echo "refusing the lab's own cluster name $name" >&2; exit 2;; esac
here=$(cd "$(dirname "$0")" && pwd)
kind=$("$here/../../host/install-kind.sh")
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
{
  cat "$here/kind-patch.yaml"
  # The settings src/runtime/docker.ts adds to the lab's kind config: change both together.
  cat <<'YAML'
- |
  kind: InitConfiguration
  nodeRegistration:
    criSocket: /var/run/dockershim.sock
    taints:
    - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
    kubeletExtraArgs: {container-runtime: docker}
- |
  kind: JoinConfiguration
  nodeRegistration:
    criSocket: /var/run/dockershim.sock
    kubeletExtraArgs: {container-runtime: docker}
nodes:
- role: control-plane
- role: worker
YAML
} >"$cfg"

t0=$(date +%s)
"$kind" create cluster --name "$name" --image "$image" --config "$cfg" --wait 5m
echo "PROBE create: $(( $(date +%s) - t0 ))s"
k() { docker exec -i "$name-control-plane" kubectl --kubeconfig=/etc/kubernetes/admin.conf "$@"; }
k wait --for=condition=Ready nodes --all --timeout=180s
k get nodes -o wide
k run probe-logger --image=outage-lab.local/k8s/etcd:3.5.16-0 --image-pull-policy=Never \
  --overrides="{\"spec\":{\"nodeName\":\"$name-worker\"}}" --command -- sh -c 'i=0; while true; do i=$((i+1)); echo "probe line $i"; sleep 1; done'
k wait --for=condition=Ready pod/probe-logger --timeout=180s
sleep 3
docker exec "$name-worker" sh -euc '
  link=$(ls /var/log/pods/default_probe-logger_*/probe-logger/0.log)
  target=$(readlink "$link")
  case $target in /var/lib/docker/containers/*-json.log) ;; *) echo "0.log links to $target, not a json-file log" >&2; exit 1;; esac
  grep -q "\"log\":\"probe line 1\\\\n\",\"stream\":\"stdout\"" "$target"
  echo "PROBE json-file log: $target"
  ls /var/log/containers/ | grep -q "^probe-logger_default_" && echo "PROBE /var/log/containers link present"
  for i in 1 2 3 4 5; do a=$(date +%s%N); docker ps -aq >/dev/null; b=$(date +%s%N); echo "PROBE docker ps: $(( (b - a) / 1000000 )) ms"; done'
k get --raw "/api/v1/nodes/$name-worker/proxy/metrics" | grep -E '^kubelet_pleg_relist_duration_seconds_(sum|count) ' | sed 's/^/PROBE /'
if [ $keep = 0 ]; then "$kind" delete cluster --name "$name"; fi
