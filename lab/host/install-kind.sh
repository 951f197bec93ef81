#!/usr/bin/env bash
# Installs kind v0.30.0 into $LAB_CACHE/bin from the Go module proxy. Why this release: its default
# Kubernetes is 1.34, the last minor whose kubelet still runs on cgroup v1 hosts without opting out,
# and it writes the kubeadm v1beta4 config that 1.34 expects.
set -euo pipefail
want=v0.30.0
LAB_CACHE=${LAB_CACHE:-$HOME/.cache/outage-lab}
bin=$LAB_CACHE/bin/kind
have=$("$bin" version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  command -v go >/dev/null || { echo "install-kind: go is missing" >&2; exit 2; }
  mkdir -p "$LAB_CACHE/bin"
  GOBIN=$LAB_CACHE/bin CGO_ENABLED=0 go install "sigs.k8s.io/kind@$want" >&2
  have=$("$bin" version | awk '{print $2}')
  [ "$have" = "$want" ] || { echo "install-kind: got $have, wanted $want" >&2; exit 1; }
fi
echo "$bin"
