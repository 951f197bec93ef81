#!/usr/bin/env bash
# Proves split clusters (scenario `clusters: 2`, question 4) on a real machine, end to end:
#   1. lab up --clusters 2 --workers 1   two kind clusters (outage-lab, outage-lab-b), each with its own control
#                                        plane, 3 Consul servers and Vault; one external Kafka for both
#   2. lab replay smoke --variant split-clusters
#                                        1 worker and 3 app pods a cluster, every phase (about 10 minutes)
#   3. checks on the run folder          records of both clusters tagged apart, two pools, the cut applied to
#                                        every node of both, nothing lost, the split section of summary.json
#                                        and the Clusters section of report.html
#   4. lab heal                          nothing left to heal, and no cut rule on any node of either cluster
#   5. lab down                          then asserts no cluster, container, network, kube context or state left
# TRY_SPLIT_E2E=1 then also runs the opt-in e2e test (test/e2e/50-split.test.ts), which adds a kill -9 of the
# controller mid-cut, healed in both clusters by `lab heal` (another ~30 minutes).
#
# It REPLACES whatever lab is up (the lab's state lives in ~/.local/state/outage-lab, shared by every
# checkout) and ends with `lab down`. It refuses to start while a controller holds the lab's lock, i.e.
# while a replay is measuring. Needs about 11 GiB of free memory (2 control planes of 3 GiB, 2 workers of
# 2 GiB, Kafka 1 GiB); `lab up` checks that before creating anything.
set -euo pipefail
cd "$(dirname "$0")/.."

STATE="${LAB_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/outage-lab}"
RUNS="${LAB_RUNS_DIR:-$PWD/runs}"
lab() { npx lab "$@"; }
step() { printf '\n=== %s\n' "$*" >&2; }
fail() { printf '✖ try-split: %s\n' "$*" >&2; exit 1; }
ok() { printf '✔ %s\n' "$*" >&2; }
nodes_of() { docker ps --filter "label=io.x-k8s.kind.cluster=$1" --format '{{.Names}}' | sort; }

step "0. preconditions ($(git rev-parse --abbrev-ref HEAD) @ $(git rev-parse --short HEAD))"
if [ -f "$STATE/controller.lock" ]; then
  pid="$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$STATE/controller.lock")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then fail "a controller (pid $pid) holds $STATE/controller.lock: a replay is running; wait for it"; fi
fi
command -v docker >/dev/null || fail "docker is not on PATH"
# kind's known issue with several clusters: every node's systemd, kubelet and containerd take inotify
# instances from one per-user pool (128 by default); kind suggests 512. Said, not changed: it is the host's.
inst="$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 0)"
if [ "$inst" -lt 512 ]; then
  printf '! fs.inotify.max_user_instances is %s; kind suggests 512 with several clusters (sudo sysctl fs.inotify.max_user_instances=512). If pods fail with "too many open files", that is why.\n' "$inst" >&2
fi
[ -d node_modules ] || fail "no node_modules here: run npm ci (or symlink the main checkout's)"

step "1. lab up --clusters 2 --workers 1"
lab up --clusters 2 --workers 1
for c in outage-lab outage-lab-b; do
  n="$(nodes_of "$c" | wc -l)"
  [ "$n" -eq 2 ] || fail "$c has $n node containers, expected 2 (1 control plane + 1 worker)"
  for node in $(nodes_of "$c"); do
    nets="$(docker inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$node")"
    grep -qw outage-lab-dc <<<"$nets" || fail "$node is not on the data centre network outage-lab-dc (it is on: $nets)"
  done
done
[ "$(docker ps --filter name=outage-lab-kafka --format '{{.Names}}' | wc -l)" -eq 1 ] || fail "expected exactly one Kafka container"
status="$(lab status)"
printf '%s\n' "$status"
grep -Eq 'consul \(outage-lab-b\) +ok' <<<"$status" || fail "lab status: Consul of outage-lab-b not ok"
grep -Eq 'vault \(outage-lab-b\) +ok, unsealed' <<<"$status" || fail "lab status: Vault of outage-lab-b not ok"
ok "two clusters up, every node on outage-lab-dc, one Kafka, both Consul and Vault healthy"

step "2. lab replay smoke --variant split-clusters"
before="$(ls "$RUNS" 2>/dev/null | sort || true)"
lab replay smoke --variant split-clusters
run="$(comm -13 <(printf '%s\n' "$before") <(ls "$RUNS" | sort) | grep 'smoke-sidecar+split-clusters' | tail -1)"
[ -n "$run" ] || fail "no new run folder smoke-sidecar+split-clusters under $RUNS"
dir="$RUNS/$run"
ok "run folder $dir"

step "3. the run folder"
for f in history.jsonl summary.json report.html delivery.json; do [ -s "$dir/$f" ] || fail "$f missing in $dir"; done
npx node --input-type=module - "$dir" <<'JS'
import { readFileSync } from 'node:fs';
const dir = process.argv[2]; // node - <dir>: argv[1] is '-'
const records = readFileSync(`${dir}/history.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
const problems = [];
for (const type of ['node', 'pod', 'consul-members', 'consul-latency', 'vault-latency', 'cpu', 'app']) {
  const tags = [...new Set(records.filter((r) => r.type === type).map((r) => r.cluster))].sort();
  if (JSON.stringify(tags) !== '[0,1]') problems.push(`${type} records tagged ${JSON.stringify(tags)}, expected [0,1]`);
}
const observers = new Set(records.filter((r) => r.type === 'consul-members').map((r) => r.observer));
if (observers.size !== 2) problems.push(`consul-members observers ${[...observers].join(' | ')}: expected one per cluster`);
const inject = records.find((r) => r.type === 'fault' && r.f === 'kafka-cut' && r.kind === 'invoke' && r.op === 'inject');
const cutNodes = inject?.details?.nodes ?? [];
const nodeNames = [...new Set(records.filter((r) => r.type === 'node').map((r) => r.name))];
for (const n of nodeNames) if (!cutNodes.includes(n)) problems.push(`the cut did not list node ${n}`);
const phase = (name) => records.find((r) => r.type === 'phase' && r.name === name && r.edge === 'start')?.ts;
const got = (from, to) => records.filter((r) => r.type === 'kafka' && r.received && r.ts > from && r.ts <= to).reduce((s, r) => s + Object.values(r.received).reduce((a, b) => a + b, 0), 0);
const cut = phase('cut'), restore = phase('restore');
if (!cut || !restore) problems.push('no cut or restore phase');
else {
  const settled = new Date(Date.parse(cut) + 8000).toISOString();
  if (got(settled, restore) !== 0) problems.push(`${got(settled, restore)} lines reached Kafka while it was cut`);
  if (got(restore, '9999') === 0) problems.push('no line reached Kafka after the restore');
}
if (!records.some((r) => r.type === 'note' && r.text === 'run completed')) problems.push('the run did not complete');
const delivery = JSON.parse(readFileSync(`${dir}/delivery.json`, 'utf8'));
for (const d of delivery) if (d.holes !== 0) problems.push(`${d.pod}: ${d.holes} lines missing`);
if (delivery.length < 6) problems.push(`only ${delivery.length} pods delivered, expected 3 in each cluster`);
const summary = JSON.parse(readFileSync(`${dir}/summary.json`, 'utf8'));
const names = summary.split?.clusters?.map((c) => c.name) ?? [];
if (JSON.stringify(names) !== '["outage-lab","outage-lab-b"]') problems.push(`summary.json split clusters ${JSON.stringify(names)}`);
if (!readFileSync(`${dir}/report.html`, 'utf8').includes('<section id="clusters">')) problems.push('report.html has no Clusters section');
if (problems.length) { console.error(problems.map((p) => `✖ ${p}`).join('\n')); process.exit(1); }
console.error(`✔ ${records.length} records; both clusters tagged apart; pools ${[...observers].join(' and ')}; cut over ${cutNodes.length} nodes; ${delivery.length} pods delivered with no hole`);
for (const c of summary.split.clusters) console.error(`  ${c.name}: workers NotReady at once ${JSON.stringify(c.notReadyShare)}, pods moved ${JSON.stringify(c.podsRescheduled)}, pool peak ${JSON.stringify(c.pool.peakTotal)}, reached ${JSON.stringify(c.reached)}`);
JS

step "4. lab heal, and no cut rule on any node"
lab heal
for c in outage-lab outage-lab-b; do
  for node in $(nodes_of "$c"); do
    rules="$(docker exec "$node" iptables -w -S)"
    if grep -q outage-lab-kafka-cut <<<"$rules"; then fail "a cut rule is still on $node"; fi
  done
done
ok "no cut rule on any node of either cluster"

if [ "${TRY_SPLIT_E2E:-}" = 1 ]; then
  step "4b. the opt-in e2e test (up again, replay, kill -9 mid-cut healed in both, down)"
  LAB_E2E_SPLIT=1 npx node --import tsx --test --test-concurrency=1 --test-reporter=spec test/e2e/50-split.test.ts
fi

step "5. lab down, and nothing of the lab remains"
lab down
[ -z "$(docker ps -aq --filter name=outage-lab)" ] || fail "containers named outage-lab* remain: $(docker ps -a --filter name=outage-lab --format '{{.Names}}' | tr '\n' ' ')"
[ -z "$(docker ps -aq --filter label=outage-lab=1)" ] || fail "containers labelled outage-lab=1 remain"
[ -z "$(docker ps -aq --filter label=io.x-k8s.kind.cluster=outage-lab-b)" ] || fail "node containers of outage-lab-b remain"
[ -z "$(docker network ls -q --filter name=outage-lab)" ] || fail "networks named outage-lab* remain"
kubeconfig="${KUBECONFIG:-$HOME/.kube/config}"
if [ -f "$kubeconfig" ] && grep -q 'kind-outage-lab' "$kubeconfig"; then fail "a kind-outage-lab* entry remains in $kubeconfig"; fi
[ ! -e "$STATE/cluster.json" ] || fail "$STATE/cluster.json remains"
ls "$STATE"/vault-credentials*.json >/dev/null 2>&1 && fail "Vault credentials remain in $STATE"
ok "lab down left no cluster, container, network, kube context, state or credentials"
printf '\n✔ split clusters proven on this machine; run folder: %s\n' "$dir" >&2
