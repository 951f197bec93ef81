// The 2019 runtime end to end: a lab whose nodes run Docker under the kubelet's dockershim (Kubernetes
// 1.23.17), the smallest one (1 control plane + 1 worker) through a short replay with the docker-runtime
// variant; the app's stdout goes through dockerd's json-file log to the shipper and on to Kafka, the
// runtime probe times `docker ps` in every node, and `lab down` leaves nothing. Run it under the cluster
// lock: it replaces whatever lab is up.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clients } from '../../src/cluster/kube.ts';
import { isReady } from '../../src/cluster/nodes.ts';
import { readState } from '../../src/cluster/state.ts';
import { readHistory } from '../../src/history/reader.ts';
import type { CpuRecord, HistoryRecord, KubeletPlegRecord, NodeLeaseRecord, NodeRecord, RuntimeLatencyRecord } from '../../src/history/records.ts';
import { readFileSync } from 'node:fs';
import { capture } from '../../src/util/exec.ts';
import { runsDir } from '../../src/util/paths.ts';
import { assertLabGone, lab } from './helpers.ts';

const PHASES = JSON.stringify([{ name: 'baseline', duration: '60s' }]);

function newestRun(prefix: string, before: Set<string>): string {
  const dirs = readdirSync(runsDir).filter((d) => !before.has(d) && d.includes(prefix) && statSync(join(runsDir, d)).isDirectory());
  assert.ok(dirs.length > 0, `a new run folder matching ${prefix}`);
  return join(runsDir, dirs.sort().at(-1)!);
}

test('Docker runtime: nodes Ready on dockershim, a pod’s json-file log reaches Kafka through the shipper, the runtime probe recorded, lab down leaves nothing', { timeout: 45 * 60_000 }, async (t) => {
  mkdirSync(runsDir, { recursive: true });
  const before = new Set(readdirSync(runsDir));
  const res = await lab(['replay', 'smoke', '--variant', 'docker-runtime', '--set', 'cluster.workers=1', '--set', 'workload.replicas=2', '--set', `phases=${PHASES}`], { timeoutMs: 40 * 60_000 });
  assert.equal(res.code, 0, 'lab replay smoke --variant docker-runtime exits 0');
  const state = readState();
  assert.ok(state, 'the replay left its lab up');
  assert.equal(state.settings.runtime, 'docker');
  const runDir = newestRun('smoke-sidecar+docker-runtime', before);
  const { records } = await readHistory(join(runDir, 'history.jsonl'));

  await t.test('both nodes Ready, on Kubernetes 1.23.17 with Docker as the runtime', async () => {
    const nodes = (await clients({ clusterName: state.settings.name }).core.listNode()).items;
    assert.equal(nodes.length, 2);
    assert.deepEqual(nodes.filter((n) => !isReady(n)).map((n) => n.metadata?.name), []);
    for (const n of nodes) {
      assert.equal(n.status?.nodeInfo?.kubeletVersion, 'v1.23.17');
      assert.match(n.status?.nodeInfo?.containerRuntimeVersion ?? '', /^docker:\/\//);
    }
  });

  await t.test('the app’s stdout is in dockerd’s json-file log on the worker, and lines reached Kafka', async () => {
    const worker = `${state.settings.name}-worker`;
    const found = await capture('docker', ['exec', worker, 'sh', '-c', 'grep -l -m1 "\\"stream\\":\\"stdout\\"" /var/lib/docker/containers/*/*-json.log | wc -l']);
    assert.ok(Number(found) > 0, `json-file logs with stdout records on ${worker}`);
    const received = records
      .filter((r): r is Extract<HistoryRecord, { type: 'kafka' }> => r.type === 'kafka' && r.received !== undefined)
      .reduce((s, r) => s + Object.values(r.received!).reduce((a, b) => a + b, 0), 0);
    assert.ok(received > 0, `lines received in Kafka (${received})`);
  });

  await t.test('the runtime probe timed docker ps in every node; dockerd and containerd recorded apart', () => {
    const probes = records.filter((r): r is RuntimeLatencyRecord => r.type === 'runtime-latency');
    const nodes = new Set(probes.filter((p) => p.ms !== undefined).map((p) => p.node));
    assert.equal(nodes.size, 2, `successful probes on both nodes (${[...nodes].join(', ')})`);
    assert.ok(probes.every((p) => p.op === 'docker ps' && p.target === 'docker'));
    const ms = probes.flatMap((p) => (p.ms === undefined ? [] : [p.ms])).sort((a, b) => a - b);
    process.stderr.write(`runtime probe: n=${ms.length} median ${ms[Math.floor(ms.length / 2)]?.toFixed(1)} ms max ${ms.at(-1)?.toFixed(1)} ms\n`);
    const daemons = new Set(records.filter((r): r is CpuRecord => r.type === 'cpu' && r.scope === 'runtime').map((r) => r.id));
    assert.ok(daemons.has('dockerd') && daemons.has('containerd'), `runtime CPU per daemon (${[...daemons].join(', ')})`);
  });

  await t.test('why a node would be unhealthy is recorded: PLEG metrics of the 1.23 kubelets, Lease renewals, Ready messages; the report has its runtime panel', () => {
    const pleg = records.filter((r): r is KubeletPlegRecord => r.type === 'kubelet-pleg');
    const plegNodes = new Set(pleg.filter((r) => (r.relistDuration?.count ?? 0) > 0).map((r) => r.node));
    assert.equal(plegNodes.size, 2, `PLEG relist histograms from both kubelets (${[...plegNodes].join(', ')})`);
    assert.deepEqual([...new Set(pleg.flatMap((r) => r.absent ?? []))], [], 'a 1.23 kubelet exposes all three PLEG metrics');
    assert.ok(pleg.every((r) => r.lastSeenS === undefined || Math.abs(Date.parse(r.ts) / 1000 - r.lastSeenS) < 60), 'last seen is a Unix time close to the sample');
    const leases = records.filter((r): r is NodeLeaseRecord => r.type === 'node-lease');
    for (const n of plegNodes) {
      const renewals = new Set(leases.filter((l) => l.node === n).map((l) => l.renewTime));
      assert.ok(renewals.size >= 3, `${n}: Lease renewals recorded (${renewals.size})`);
    }
    const messages = records.filter((r): r is NodeRecord => r.type === 'node').flatMap((r) => r.conditions.filter((c) => c.type === 'Ready' && c.message).map((c) => c.message));
    assert.ok(messages.length > 0, 'Ready conditions carry their message');
    const gaps = records.filter((r) => r.type === 'gap' && /kubelet-pleg|leases/.test(r.source));
    process.stderr.write(`PLEG records ${pleg.length}, Lease renewals ${leases.length}, Ready messages ${[...new Set(messages)].join(' | ')}, gaps ${gaps.length}\n`);
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    assert.ok(summary.runtimeHealth, 'summary.json has the runtime health section');
    assert.equal(summary.runtimeHealth.recorded.pleg, true);
    assert.match(readFileSync(join(runDir, 'report.html'), 'utf8'), /id="runtime"/);
  });

  await t.test('lab down leaves no container, network or kube context of the lab', async () => {
    const d = await lab(['down']);
    assert.equal(d.code, 0);
    await assertLabGone(state.settings.name);
  });
});
