// Question 5's per-node evidence from small hand-written histories: runtime probe latency, the kubelet's
// PLEG relist p99 (histogram_quantile over what the histogram gained in the phase), the longest relist
// interval, the longest Lease gap, and NotReady stretches with their condition messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun } from '../../src/analysis/analyze.ts';
import { histogramDelta, histogramFloorOfMax, histogramQuantile } from '../../src/analysis/histogram.ts';
import { isUnknown } from '../../src/analysis/unknown.ts';
import type { HistogramSample } from '../../src/history/records.ts';
import { at, history, phases, T0 } from './analysis-helpers.ts';

const LE = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A cumulative histogram from per-bucket (non-cumulative) counts; the last entry is the +Inf bucket's own. */
function hist(perBucket: number[], sum = 0): HistogramSample {
  let c = 0;
  const buckets = LE.map((le, i) => [le, (c += perBucket[i] ?? 0)] as [number, number]);
  return { buckets, sum, count: c + (perBucket[LE.length] ?? 0) };
}

test('histogram_quantile as Prometheus: linear inside the bucket holding the rank, +Inf gives the highest bound', () => {
  // 12 observations in (0.5, 1], 12 in (1, 2.5]: p50 is the top of the first, p99 near the top of the second.
  const h = hist([0, 0, 0, 0, 0, 0, 0, 12, 12]);
  assert.equal(histogramQuantile(0.5, h), 1);
  assert.ok(Math.abs(histogramQuantile(0.99, h) - (1 + 1.5 * (11.76 / 12))) < 1e-12);
  // First bucket: interpolated from 0.
  assert.equal(histogramQuantile(0.5, hist([10])), 0.0025);
  // Everything above 10 s: the histogram can only say "the highest finite bound".
  assert.equal(histogramQuantile(0.99, hist([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5])), 10);
  assert.ok(Number.isNaN(histogramQuantile(0.99, hist([]))), 'no observations: no quantile, not zero');
  assert.equal(histogramFloorOfMax(hist([3, 0, 0, 0, 0, 0, 0, 0, 2])), 1, 'the largest lies in (1, 2.5]: at least 1');
  assert.equal(histogramFloorOfMax(hist([3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])), 10);
});

test('histogram deltas: what was observed in between; a restarted kubelet counts from its restart', () => {
  const a = hist([5, 5]);
  const b = hist([5, 7, 0, 0, 0, 0, 0, 0, 3]);
  const d = histogramDelta(b, a)!;
  assert.equal(d.count, 5);
  assert.equal(d.buckets[1]![1], 2);
  assert.equal(d.buckets[8]![1], 5);
  assert.deepEqual(histogramDelta(hist([1]), b), hist([1]), 'counts went down: restart');
  assert.equal(histogramDelta(b, { buckets: [[1, 0]], sum: 0, count: 0 }), null, 'other buckets: not comparable');
});

const PLEG_MSG = (ago: string) => `container runtime is down,PLEG is not healthy: pleg was last seen active ${ago} ago; threshold is 3m0s`;
const ready = (t: number, name: string, status: 'True' | 'False' | 'Unknown', reason: string, message?: string): Parameters<typeof history>[number] => ({
  t, type: 'node', source: 'watch/nodes', name, ready: status === 'True' ? true : status === 'False' ? false : 'unknown',
  conditions: [{ type: 'Ready', status, reason, ...(message ? { message } : {}) }], taints: [], unschedulable: false,
});

/**
 * w1: relists fast until the restore (120 s), then slow (one in (0.5, 1] and one in (1, 2.5] per 5 s reading)
 * until 180 s, its PLEG stuck from 148 s to 165 s; probes 20 ms, then 100..1100 ms and one timeout; Lease renewed
 * every 10 s except 130 s -> 200 s; NotReady 140-200 s, first "runtime down", then PLEG too. w2 healthy.
 */
function runtimeHistory(opts: { pleg?: boolean } = {}) {
  const recs: Parameters<typeof history> = [...phases(300)];
  const dur: number[] = new Array(12).fill(0);
  const ivl: number[] = new Array(12).fill(0);
  for (let t = 0; t <= 295; t += 5) {
    const flood = t > 120 && t <= 180;
    if (flood) {
      dur[7]! += 1;
      dur[8]! += 1;
      ivl[8]! += 2;
    } else {
      dur[1]! += 5;
      ivl[7]! += 5;
    }
    if (t === 170) ivl[11]! += 1; // one interval above 10 s
    const lastSeen = t >= 150 && t <= 165 ? 148 : t - 2;
    if (opts.pleg !== false) {
      recs.push({ t, type: 'kubelet-pleg', source: 'sampler/kubelet-pleg', node: 'w1', relistDuration: hist(dur), relistInterval: hist(ivl), lastSeenS: (T0 + lastSeen * 1000) / 1000 });
      recs.push({ t, type: 'kubelet-pleg', source: 'sampler/kubelet-pleg', node: 'w2', relistDuration: hist(new Array(2).fill(0).concat([t])), absent: ['kubelet_pleg_relist_interval_seconds', 'kubelet_pleg_last_seen_seconds'] });
    }
    const ms = t < 120 || t >= 180 ? 20 : t === 175 ? 60_000 : 100 * ((t - 120) / 5 + 1);
    recs.push({ t, type: 'runtime-latency', source: 'sampler/runtime', node: 'w1', op: 'docker ps', ms, ...(t === 175 ? { error: 'no answer within 60 s' } : {}) });
    recs.push({ t, type: 'runtime-latency', source: 'sampler/runtime', node: 'w2', op: 'docker ps', ms: 15 });
  }
  for (let t = 0; t <= 290; t += 10) {
    if (t <= 130 || t >= 200) recs.push({ t, type: 'node-lease', source: 'watch/leases', node: 'w1', renewTime: at(t), event: 'modified' });
    recs.push({ t, type: 'node-lease', source: 'watch/leases', node: 'w2', renewTime: at(t), event: 'modified' });
  }
  recs.push(ready(0, 'w1', 'True', 'KubeletReady'), ready(0, 'w2', 'True', 'KubeletReady'));
  recs.push(ready(140, 'w1', 'False', 'KubeletNotReady', 'container runtime is down'));
  recs.push(ready(150, 'w1', 'False', 'KubeletNotReady', PLEG_MSG('3m0.5s')));
  recs.push(ready(160, 'w1', 'False', 'KubeletNotReady', PLEG_MSG('3m10.5s')));
  recs.push(ready(200, 'w1', 'True', 'KubeletReady', 'kubelet is posting ready status'));
  recs.push({ t: 296, type: 'note', source: 'recorder', text: 'recorder stopping' });
  return history(...recs);
}

test('per node and phase: probe p50/p99/max with a timeout as a lower bound, PLEG relist p99, longest relist interval, Lease gap', () => {
  const { summary: s } = analyzeRun({ records: runtimeHistory() });
  const h = s.runtimeHealth!;
  assert.deepEqual(h.recorded, { runtimeProbe: true, pleg: true, leases: true, conditionMessages: true });
  const w1 = h.nodes.find((n) => n.node === 'w1')!;
  const flood = w1.byPhase.flood!;
  assert.equal(flood.probe.n, 12);
  assert.equal(flood.probe.failures, 1);
  assert.equal(flood.probe.timeouts, 1);
  assert.deepEqual(flood.probe.p50Ms, { unknown: true, reason: '1 probe(s) timed out, counted at their elapsed time', observed: 650, bound: 'lower' });
  assert.ok(isUnknown(flood.probe.maxMs) && flood.probe.maxMs.observed === 60_000 && flood.probe.maxMs.bound === 'lower');
  assert.equal(w1.byPhase.baseline!.probe.p99Ms, 20);
  // 12 readings gained one relist in (0.5, 1] and one in (1, 2.5] each.
  assert.ok(Math.abs((flood.plegRelistP99Ms as number) - 1000 * (1 + 1.5 * (11.76 / 12))) < 1e-9, String(flood.plegRelistP99Ms));
  assert.equal(flood.plegRelists, 24);
  assert.equal(flood.plegLongestIntervalMs, 17_000, 'stuck from 148 s, seen at 165 s');
  assert.ok(Math.abs((w1.byPhase.baseline!.plegRelistP99Ms as number) - 1000 * (0.005 + 0.005 * 0.99)) < 1e-9, 'baseline relists all in (5 ms, 10 ms]');
  assert.equal(w1.byPhase.baseline!.plegLongestIntervalMs, 2_000);
  assert.equal(flood.leaseGapMaxMs, 70_000, '130 s -> 200 s');
  assert.equal(w1.byPhase.baseline!.leaseGapMaxMs, 10_000);
  assert.equal(w1.leaseGapMaxMs, 70_000);
  // Metrics w2's kubelet does not expose: said, not zero; the flood's worst node is then not claimed.
  const w2 = h.nodes.find((n) => n.node === 'w2')!;
  assert.ok(isUnknown(w2.byPhase.flood!.plegLongestIntervalMs));
  assert.match((w2.byPhase.flood!.plegLongestIntervalMs as { reason: string }).reason, /exposes neither/);
  assert.deepEqual(h.absentMetrics, { kubelet_pleg_relist_interval_seconds: ['w2'], kubelet_pleg_last_seen_seconds: ['w2'] });
  assert.ok(isUnknown(h.flood.plegLongestIntervalMs) && h.flood.plegLongestIntervalMs.observed === 17_000, 'w2 unknown: the worst is not claimed');
  assert.equal(h.leaseGapMaxMs, 70_000);
});

test('NotReady stretches carry the condition\u2019s reason and messages; time from restore to first NotReady', () => {
  const { summary: s } = analyzeRun({ records: runtimeHistory() });
  const nr = s.runtimeHealth!.notReady;
  assert.equal(nr.length, 1);
  assert.equal(nr[0]!.node, 'w1');
  assert.equal(nr[0]!.reason, 'KubeletNotReady');
  assert.equal(nr[0]!.message, PLEG_MSG('3m10.5s'), 'the last message seen');
  assert.deepEqual(nr[0]!.messages.map((m) => m.message), ['container runtime is down', PLEG_MSG('3m0.5s')], 'distinct causes, not every tick');
  assert.deepEqual(nr[0]!.causes, ['container runtime is down', 'PLEG is not healthy']);
  assert.equal(s.nodes.timeToFirstNotReadyMs, 20_000, 'restore at 120 s, NotReady at 140 s');
});

test('unknown is not zero: a run without PLEG records says so; a run without any of these records has no section at all', () => {
  const { summary: s } = analyzeRun({ records: runtimeHistory({ pleg: false }) });
  assert.deepEqual(s.runtimeHealth!.flood.plegRelistP99Ms, { unknown: true, reason: 'no PLEG metrics in this run' });
  assert.ok(isUnknown(s.runtimeHealth!.nodes[0]!.byPhase.flood!.plegRelistP99Ms));
  const old = runtimeHistory().filter((r) => r.type !== 'kubelet-pleg' && r.type !== 'node-lease' && r.type !== 'runtime-latency');
  const a = analyzeRun({ records: old });
  assert.equal(a.summary.runtimeHealth, undefined);
  assert.equal(a.series.runtimeHealth, undefined);
});

test('a blind Lease watch makes the longest gap an upper bound, not a number', () => {
  const recs = runtimeHistory();
  const gap = { type: 'gap', source: 'watch/leases', ts: at(150), seq: 1e6, from: at(150), to: at(190), reason: 'watch-error' } as const;
  const { summary: s } = analyzeRun({ records: [...recs, gap] as never });
  const v = s.runtimeHealth!.nodes.find((n) => n.node === 'w1')!.byPhase.flood!.leaseGapMaxMs;
  assert.ok(isUnknown(v) && v.bound === 'upper' && v.observed === 70_000, JSON.stringify(v));
});
