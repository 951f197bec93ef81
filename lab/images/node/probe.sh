#!/usr/bin/env bash
# Proves a node image end to end: 1 control plane + 2 workers, pods on both workers, pod-to-pod across
# nodes, pod to a plain container on the kind Docker network (by name: Docker's DNS through CoreDNS),
# Service DNS. Usage: probe.sh <image> [--keep] [--cpus N]   (needs kind and kubectl on the node)
set -euo pipefail
image=${1:?image}; shift
keep=0 cpus=""
while [ $# -gt 0 ]; do case $1 in --keep) keep=1;; --cpus) cpus=$2; shift;; esac; shift; done
here=$(cd "$(dirname "$0")" && pwd)
LAB_CACHE=${LAB_CACHE:-$HOME/.cache/outage-lab}
kind=$("$here/../../host/install-kind.sh")
name=lab-probe
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
{ cat "$here/kind-patch.yaml"; printf 'nodes:\n- role: control-plane\n- role: worker\n- role: worker\n'; } >"$cfg"

t0=$(date +%s)
"$kind" create cluster --name "$name" --image "$image" --config "$cfg" --wait 5m
echo "PROBE create: $(( $(date +%s) - t0 ))s"
k() { docker exec -i "$name-control-plane" kubectl "$@"; }
if [ -n "$cpus" ]; then
  for n in $("$kind" get nodes --name "$name"); do docker update --cpus "$cpus" "$n" >/dev/null; done
  echo "PROBE node CPUs limited to $cpus"
fi
k wait --for=condition=Ready nodes --all --timeout=180s
k get nodes -o wide

# A plain container on the kind network, as Kafka/Consul will be.
docker rm -f "$name-web" >/dev/null 2>&1 || true
docker run -d --name "$name-web" --network kind "${BASE_IMAGE:-outage-lab/base:dev}" perl -MIO::Socket::INET -e \
  '$s=IO::Socket::INET->new(LocalPort=>8080,Listen=>5,ReuseAddr=>1) or die; while($c=$s->accept){print $c "HTTP/1.0 200 OK\r\n\r\nplain-container\n"; close $c}' >/dev/null

img=outage-lab.local/k8s/lab-cni:v1.34.4    # already in every node; has bash and perl
for w in "$name-worker" "$name-worker2"; do
  k apply -f - <<YAML
apiVersion: v1
kind: Pod
metadata: {name: web-${w##*-}, labels: {app: probe}}
spec:
  nodeName: $w
  containers:
  - name: web
    image: $img
    command: [perl, -MIO::Socket::INET, -e, '\$s=IO::Socket::INET->new(LocalPort=>8080,Listen=>5,ReuseAddr=>1) or die; while(\$c=\$s->accept){print \$c "HTTP/1.0 200 OK\r\n\r\n$w\n"; close \$c}']
YAML
done
k expose pod web-worker --port 8080 --name probe-web
k wait --for=condition=Ready pod -l app=probe --timeout=180s
k get pods -o wide
ip2=$(k get pod web-worker2 -o jsonpath='{.status.podIP}')
# The servers answer on connect and close: sending a request could race their close (SIGPIPE).
get='exec 3<>/dev/tcp/$0/$1; tail -1 <&3'
echo "PROBE pod->pod across nodes: $(k exec web-worker -- bash -c "$get" "$ip2" 8080)"
echo "PROBE pod->plain container by name: $(k exec web-worker -- bash -c "$get" "$name-web" 8080)"
echo "PROBE pod->service by DNS name: $(k exec web-worker2 -- bash -c "$get" probe-web.default.svc.cluster.local 8080)"
if [ $keep = 0 ]; then
  docker rm -f "$name-web" >/dev/null
  "$kind" delete cluster --name "$name"
fi
