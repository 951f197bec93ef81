// The recorder's side of "why is this node unhealthy": condition messages in node records, Lease renewals,
// and the kubelet's PLEG metrics from its /metrics page (1.23 with dockershim and 1.34 name the same
// metrics; a metric a kubelet does not expose is absent, never zero).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GapRecord, KubeletPlegRecord, NodeLeaseRecord, NodeRecord, RecordInput } from '../../src/history/records.ts';
import { messageCauses, messageKind } from '../../src/history/condition-message.ts';
import { fingerprint, nodeRecord } from '../../src/recorder/k8s-recorder.ts';
import { KUBELET_PLEG_SOURCE, KubeletPlegSampler, PLEG_METRICS, plegRecord } from '../../src/recorder/kubelet-pleg.ts';
import { leaseRecord } from '../../src/recorder/node-leases.ts';
import { repoRoot } from '../../src/util/paths.ts';

const page = (v: string) => fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'kubelet-metrics', `kubelet-${v}.txt`), 'utf8');

const PLEG_MSG = (ago: string) => `container runtime is down,PLEG is not healthy: pleg was last seen active ${ago} ago; threshold is 3m0s`;
const v1Node = (ready: string, reason: string, message?: string) =>
  ({
    metadata: { name: 'outage-lab-worker2' },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: ready, reason, ...(message ? { message } : {}), lastHeartbeatTime: '2026-12-06T01:20:00Z' }] },
  }) as never;

test('node records carry each condition\u2019s message; a new cause is a new record, a ticking duration is not', () => {
  const a = nodeRecord(v1Node('False', 'KubeletNotReady', PLEG_MSG('3m10.5s')), 'modified') as NodeRecord;
  assert.equal(a.conditions[0]!.message, PLEG_MSG('3m10.5s'));
  assert.equal(a.conditions[0]!.reason, 'KubeletNotReady');
  const b = nodeRecord(v1Node('False', 'KubeletNotReady', PLEG_MSG('3m20.5s')), 'modified');
  assert.equal(fingerprint(a), fingerprint(b), 'only the live duration changed');
  const c = nodeRecord(v1Node('False', 'KubeletNotReady', 'container runtime is down'), 'modified');
  assert.notEqual(fingerprint(a), fingerprint(c), 'the cause changed');
  const d = nodeRecord(v1Node('Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'), 'modified');
  assert.notEqual(fingerprint(c), fingerprint(d));
  assert.equal(messageKind(PLEG_MSG('4m14.123456789s')), 'container runtime is down,PLEG is not healthy: pleg was last seen active … ago; threshold is …');
  assert.deepEqual(messageCauses(PLEG_MSG('4m14s')), ['PLEG is not healthy', 'container runtime is down']);
  assert.deepEqual(messageCauses('Kubelet stopped posting node status.'), ['Kubelet stopped posting node status']);
  assert.deepEqual(messageCauses('something new 12s'), ['something new …']);
});

test('PLEG metrics of a 1.23 (dockershim) kubelet: both histograms with their buckets, and the last-seen gauge', () => {
  const r = plegRecord('w1', page('1.23.17')) as KubeletPlegRecord;
  assert.equal(r.source, KUBELET_PLEG_SOURCE);
  assert.equal(r.absent, undefined);
  assert.equal(r.relistDuration!.count, 294);
  assert.equal(r.relistDuration!.sum, 1.2642203990000005);
  assert.deepEqual(r.relistDuration!.buckets.slice(0, 3), [[0.005, 12], [0.01, 150], [0.025, 270]]);
  assert.equal(r.relistDuration!.buckets.length, 11, '+Inf is left out: it is the count');
  assert.equal(r.relistInterval!.count, 293);
  assert.equal(r.lastSeenS, 1.764984e9);
  assert.doesNotThrow(() => JSON.stringify(r), 'no Infinity in a record');
  assert.ok(!JSON.stringify(r).includes('null'));
});

test('PLEG metrics of a 1.34 kubelet (captured from a lab worker): same names; the evented-PLEG metrics beside them are not mistaken for them', () => {
  const r = plegRecord('w1', page('1.34.4')) as KubeletPlegRecord;
  assert.equal(r.relistDuration!.count, 160);
  assert.deepEqual(r.relistDuration!.buckets.slice(0, 4), [[0.005, 155], [0.01, 157], [0.025, 158], [0.05, 160]]);
  assert.equal(r.relistInterval!.count, 159);
  assert.equal(r.relistInterval!.sum, 159.50400606800005);
  assert.equal(r.lastSeenS, 1.796631712e9);
  assert.equal(r.absent, undefined);
});

test('a metric the kubelet does not expose is recorded as absent, not as zero', () => {
  const without = page('1.23.17').split('\n').filter((l) => !l.includes(PLEG_METRICS.lastSeen) && !l.includes(PLEG_METRICS.relistInterval)).join('\n');
  const r = plegRecord('w1', without) as KubeletPlegRecord;
  assert.deepEqual(r.absent, [PLEG_METRICS.relistInterval, PLEG_METRICS.lastSeen]);
  assert.equal('lastSeenS' in r, false);
  assert.equal('relistInterval' in r, false);
  assert.equal(r.relistDuration!.count, 294);
  // A histogram missing its count is not a histogram.
  const torn = page('1.23.17').split('\n').filter((l) => !l.startsWith(`${PLEG_METRICS.relistDuration}_count`)).join('\n');
  assert.ok(((plegRecord('w1', torn) as KubeletPlegRecord).absent ?? []).includes(PLEG_METRICS.relistDuration));
});

test('the PLEG sampler: a kubelet that does not answer in time is one gap for its node, closed at its next answer; a hanging request is not sent twice', async () => {
  let hang: (() => void) | undefined;
  let mode: 'ok' | 'hang' | 'fail' = 'hang';
  const calls: string[] = [];
  const core = {
    listNode: async () => ({ items: [] }),
    connectGetNodeProxyWithPath: async ({ name, path: p }: { name: string; path: string }) => {
      calls.push(`${name}:${p}`);
      if (name === 'b' && mode === 'hang') return new Promise<string>((resolve) => (hang = () => resolve(page('1.23.17'))));
      if (name === 'b' && mode === 'fail') throw new Error('proxy error: 502 Bad Gateway');
      return page('1.34.4');
    },
  };
  const out: RecordInput[] = [];
  const s = new KubeletPlegSampler(core as never, (r) => out.push(r), { nodes: ['a', 'b'], timeoutMs: 30 });
  await s.sample();
  await s.sample(); // b's first request still hangs: not sent again
  assert.deepEqual(calls, ['a:metrics', 'b:metrics', 'a:metrics']);
  hang!();
  await new Promise((r) => setImmediate(r));
  mode = 'fail';
  await s.sample();
  mode = 'ok';
  await s.sample();
  const gaps = out.filter((r): r is GapRecord & RecordInput => r.type === 'gap');
  assert.equal(gaps.length, 2, 'one opening, one closing');
  assert.ok(gaps.every((g) => g.node === 'b' && g.affects?.join() === 'kubelet-pleg'));
  assert.match(gaps[0]!.error!, /no answer in 30 ms/);
  assert.equal(gaps[1]!.from, gaps[0]!.from);
  assert.ok(gaps[1]!.to);
  const pleg = out.filter((r): r is KubeletPlegRecord & RecordInput => r.type === 'kubelet-pleg');
  assert.deepEqual(pleg.map((r) => r.node), ['a', 'a', 'a', 'a', 'b'], 'the late answer of a timed-out request is not recorded');
});

test('Lease renewals become records with the renew time (microseconds cut to ms); a Lease never renewed writes none', () => {
  const r = leaseRecord({ metadata: { name: 'w1' }, spec: { holderIdentity: 'w1', leaseDurationSeconds: 40, renewTime: '2026-12-06T01:20:03.123456Z' as never } }, 'modified') as NodeLeaseRecord;
  assert.equal(r.renewTime, '2026-12-06T01:20:03.123Z');
  assert.equal(r.node, 'w1');
  assert.equal(r.durationS, 40);
  assert.equal(leaseRecord({ metadata: { name: 'w1' }, spec: {} }, 'added'), null);
  const fromDate = leaseRecord({ metadata: { name: 'w1' }, spec: { renewTime: new Date('2026-12-06T01:20:03Z') as never } }, 'added') as NodeLeaseRecord;
  assert.equal(fromDate.renewTime, '2026-12-06T01:20:03.000Z');
});
