// The recorder's "why is this node unhealthy" streams against real kubelets: PLEG metrics read from each
// kubelet's /metrics through the API server's node proxy (names as this Kubernetes exposes them, none
// absent), every Lease renewal in kube-node-lease, and the Ready condition's message in node records.
// Uses the lab that is up; brings up the smallest one (`lab up --workers 1`) when none is. Run it under
// the cluster lock. The Docker-runtime (1.23) side is checked by 30-docker-runtime.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clients } from '../../src/cluster/kube.ts';
import { readState } from '../../src/cluster/state.ts';
import type { KubeletPlegRecord, NodeLeaseRecord, NodeRecord, RecordInput } from '../../src/history/records.ts';
import { nodeRecord } from '../../src/recorder/k8s-recorder.ts';
import { KubeletPlegSampler, PLEG_SAMPLE_PERIOD_MS } from '../../src/recorder/kubelet-pleg.ts';
import { NodeLeaseRecorder } from '../../src/recorder/node-leases.ts';
import { lab } from './helpers.ts';

const RUN_MS = 45_000;

test('PLEG metrics, Lease renewals and Ready messages from the lab\u2019s kubelets', { timeout: 20 * 60_000 }, async () => {
  if (!readState()) {
    const up = await lab(['up', '--workers', '1']);
    assert.equal(up.code, 0, 'lab up --workers 1');
  }
  const state = readState()!;
  const c = clients({ clusterName: state.settings.name });
  const names = (await c.core.listNode()).items.map((n) => n.metadata!.name!).sort();
  const out: RecordInput[] = [];
  const stamp = (r: RecordInput) => out.push({ ...r, ts: r.ts ?? new Date().toISOString() } as RecordInput);
  const pleg = new KubeletPlegSampler(c.core, stamp);
  const leases = new NodeLeaseRecorder(c.kc, stamp);
  leases.start();
  const until = Date.now() + RUN_MS;
  while (Date.now() < until) {
    await pleg.sample();
    await new Promise((r) => setTimeout(r, PLEG_SAMPLE_PERIOD_MS));
  }
  await leases.stop();

  assert.deepEqual(out.filter((r) => r.type === 'gap'), [], 'no gaps: every kubelet answered, the Lease watch stayed up');
  const p = out.filter((r): r is KubeletPlegRecord & RecordInput => r.type === 'kubelet-pleg');
  for (const node of names) {
    const own = p.filter((r) => r.node === node);
    assert.ok(own.length >= 5, `${node}: PLEG readings (${own.length})`);
    const last = own.at(-1)!;
    assert.equal(last.absent, undefined, `${node}: every PLEG metric exposed`);
    assert.ok(last.relistDuration!.count > own[0]!.relistDuration!.count, `${node}: relists counted between readings`);
    assert.ok(last.relistDuration!.buckets.length >= 5, `${node}: histogram buckets`);
    assert.ok(Math.abs(Date.parse(last.ts!) / 1000 - last.lastSeenS!) < 10, `${node}: PLEG last seen within 10 s of the reading (${Date.parse(last.ts!) / 1000 - last.lastSeenS!} s)`);
    const renewals = new Set(out.filter((r): r is NodeLeaseRecord & RecordInput => r.type === 'node-lease' && r.node === node).map((r) => r.renewTime));
    assert.ok(renewals.size >= 3, `${node}: Lease renewals in ${RUN_MS / 1000} s (${renewals.size})`);
    process.stderr.write(`${node}: ${own.length} PLEG readings, relists ${last.relistDuration!.count}, ${renewals.size} renewals\n`);
  }
  const nodes = (await c.core.listNode()).items.map((n) => nodeRecord(n, 'modified') as NodeRecord);
  for (const n of nodes) assert.ok(n.conditions.find((x) => x.type === 'Ready')?.message, `${n.name}: the Ready condition\u2019s message is kept`);
});
