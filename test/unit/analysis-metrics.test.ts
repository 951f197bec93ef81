import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun, isUnknown } from '../../src/analysis/index.ts';
import type { HistoryRecord, MemberState } from '../../src/history/records.ts';
import { T0, at, cpu, history, node, nodeWith, phases, pod } from './analysis-helpers.ts';

const W1 = 'kind-worker';
const W2 = 'kind-worker2';

test('CPU: peak and per-phase mean per node and component; pods summed per workload', () => {
  const recs = history(
    ...phases(),
    pod(1, 'a', { event: 'added', node: W1 }),
    pod(1, 'b', { event: 'added', node: W1 }),
    ...[10, 20, 30, 40, 50].map((t) => cpu(t, W1, 'runtime', 0.1)),
    ...[130, 140, 150, 160, 170].map((t, i) => cpu(t, W1, 'runtime', 0.2 + i * 0.05)),
    ...[10, 130].flatMap((t) => [cpu(t, W1, 'pod', 0.01, { id: 'a' }), cpu(t, W1, 'pod', 0.02, { id: 'b' })]),
    ...[10, 130].map((t) => cpu(t, W2, 'runtime', 0.05)),
  );
  // Sparse samples on purpose: silence inference off, it has its own test.
  const { summary, series } = analyzeRun({ records: recs, coverage: { silenceMinMs: Infinity } });
  const rt = summary.cpu.perNode[W1]!.runtime!;
  assert.equal(rt.peak, 0.4);
  assert.equal(rt.peakAt, T0 + 170_000);
  assert.ok(Math.abs((rt.meanByPhase.baseline as number) - 0.1) < 1e-9);
  assert.ok(Math.abs((rt.meanByPhase.flood as number) - 0.3) < 1e-9);
  // No runtime samples in hold: unknown, not zero.
  assert.ok(isUnknown(rt.meanByPhase.hold));
  const podComp = summary.cpu.perNode[W1]!['pod/app']!;
  assert.ok(Math.abs((podComp.peak as number) - 0.03) < 1e-9, 'two pods of one workload add up per tick');
  // The cluster sum adds nodes tick by tick.
  assert.ok(Math.abs((summary.cpu.cluster.runtime!.meanByPhase.baseline as number) - (0.1 * 5 + 0.05) / 5) < 1e-9);
  assert.deepEqual(summary.cpu.components.slice(0, 1), ['runtime']);
  assert.equal(series.cpu[W1]!.runtime!.length, 10);
});

test('CPU: a sampler silence is a blind spot; the peak becomes a lower bound', () => {
  const samples = [];
  for (let t = 1; t <= 300; t++) if (t < 140 || t > 170) samples.push(cpu(t, W1, 'node', t < 140 ? 0.2 : 0.3));
  const { summary } = analyzeRun({ records: history(...phases(), ...samples) });
  const peak = summary.cpu.perNode[W1]!.node!.peak;
  assert.ok(isUnknown(peak));
  assert.equal(peak.observed, 0.3);
  assert.equal(peak.bound, 'lower');
  assert.ok(summary.gaps.some((g) => g.inferred && g.node === W1 && g.from === T0 + 139_000 && g.to === T0 + 171_000));
  assert.ok(isUnknown(summary.cpu.perNode[W1]!.node!.meanByPhase.flood));
  assert.ok(Math.abs((summary.cpu.perNode[W1]!.node!.meanByPhase.baseline as number) - 0.2) < 1e-9);
});

const members = (t: number, counts: Partial<Record<MemberState, number>>, failed?: string[]) => {
  const c = { alive: 0, suspect: 0, failed: 0, leaving: 0, left: 0, ...counts };
  return { t, type: 'consul-members', source: 'probe/consul', observer: 'consul-server-0', counts: c, total: Object.values(c).reduce((a, b) => a + b, 0), ...(failed ? { failed } : {}) } as const;
};

test('Consul pool: peak failed, how long failed members linger, settle time', () => {
  const recs = history(
    ...phases(),
    members(10, { alive: 10 }, []),
    members(50, { alive: 10 }, []),
    members(130, { alive: 10, failed: 2 }, ['p1', 'p2']),
    members(150, { alive: 10, failed: 3 }, ['p1', 'p2', 'p3']),
    members(190, { alive: 10, failed: 1 }, ['p3']),
    members(250, { alive: 10, failed: 0 }, []),
    members(300, { alive: 10, failed: 0 }, []),
    // Another server's view; the busiest observer is used.
    { t: 200, type: 'consul-members', source: 'probe/consul', observer: 'consul-server-1', counts: { alive: 1, suspect: 0, failed: 9, leaving: 0, left: 0 }, total: 10 },
  );
  const { summary, series } = analyzeRun({ records: recs });
  const p = summary.pool;
  assert.equal(p.observer, 'consul-server-0');
  assert.equal(p.baselineAlive, 10);
  assert.equal(p.peakFailed, 3);
  assert.equal(p.peakFailedAt, T0 + 150_000);
  assert.equal(p.peakTotal, 13);
  assert.equal(p.failedSettleMs, 250_000 - 120_000, 'from the restore, not from the peak');
  assert.deepEqual(p.failedLinger, { members: 3, medianMs: 60_000, maxMs: 100_000, stillFailedAtEnd: 0 });
  assert.deepEqual(series.pool.byState.failed!.map(([, v]) => v), [0, 0, 2, 3, 1, 0, 0]);
});

test('Consul pool: failed members still there at the end are a lower bound, not a settle time', () => {
  const recs = history(...phases(), members(10, { alive: 5 }), members(150, { alive: 5, failed: 4 }), members(300, { alive: 5, failed: 4 }));
  const s = analyzeRun({ records: recs }).summary.pool;
  assert.ok(isUnknown(s.failedSettleMs));
  assert.equal(s.failedSettleMs.bound, 'lower');
  assert.equal(s.failedSettleMs.observed, 300_000 - 120_000, 'restore to end');
  assert.ok(isUnknown(s.failedLinger), 'no member names: linger per member unknown');
});

test('Consul pool: settle is the start of the last stretch at baseline, not the first dip after the peak', () => {
  // As in the gossip-encryption run: two members stay failed from the flood on; a remedy at 240 s restarts
  // the agents (failed jumps to 5, then the restarted server briefly sees none) and two fail again after.
  const flat = (from: number, to: number, failed: number) => {
    const out = [];
    for (let t = from; t < to; t += 5) out.push(members(t, { alive: 10 - failed, failed }));
    return out;
  };
  const remedy = history(...phases(), ...flat(0, 130, 0), ...flat(130, 240, 2), ...flat(240, 250, 5), ...flat(250, 270, 0), ...flat(270, 301, 2));
  const s = analyzeRun({ records: remedy }).summary.pool;
  assert.ok(isUnknown(s.failedSettleMs), `read as settled: ${JSON.stringify(s.failedSettleMs)}`);
  assert.equal(s.failedSettleMs.bound, 'lower');
  assert.equal(s.failedSettleMs.observed, 300_000 - 120_000, 'at least from the restore to the end');

  // Back for good at 200 s after a second rise: measured from the restore, to the start of the last stretch.
  const settles = history(...phases(), ...flat(0, 130, 0), ...flat(130, 150, 2), ...flat(150, 160, 0), ...flat(160, 200, 3), ...flat(200, 301, 0));
  assert.equal(analyzeRun({ records: settles }).summary.pool.failedSettleMs, 200_000 - 120_000);

  // Back only for the last 10 s: not yet known to stay.
  const late = history(...phases(), ...flat(0, 130, 0), ...flat(130, 290, 2), ...flat(290, 301, 0));
  const l = analyzeRun({ records: late }).summary.pool.failedSettleMs;
  assert.ok(isUnknown(l));
  assert.equal(l.observed, 290_000 - 120_000);
  assert.equal(l.bound, 'lower');
});

test('gossip: rates from cumulative counters, a counter reset is not negative traffic', () => {
  const tel = (t: number, sent: number, cores: number) => ({ t, type: 'consul-telemetry', source: 'probe/consul-telemetry', observer: 'consul-server-0', counters: { 'memberlist.udp.sent': sent, 'other.thing': t }, cpuCores: cores }) as const;
  const recs = history(...phases(), tel(10, 0, 0.1), tel(20, 1000, 0.1), tel(130, 1000, 0.3), tel(140, 11000, 0.5), tel(150, 500, 0.4), tel(160, 1500, 0.4));
  const g = analyzeRun({ records: recs, coverage: { silenceMinMs: Infinity } }).summary.gossip;
  assert.deepEqual(Object.keys(g.counters), ['memberlist.udp.sent'], 'only gossip counters when there are some');
  assert.equal(g.counters['memberlist.udp.sent']!.peakPerSec, 1000);
  assert.equal(g.counters['memberlist.udp.sent']!.meanPerSecByPhase.baseline, 100);
  assert.equal(g.serverCpu['consul-server-0']!.peak, 0.5);
});

const lat = (type: 'consul-latency' | 'vault-latency', t: number, ms: number | null) =>
  ({ t, type, source: `probe/${type}`, op: 'kv-read', ...(ms === null ? { error: 'timeout' } : { ms }) }) as const;

test('latency p50/p99/error rate per phase; failed probes are errors, not gaps', () => {
  const recs = history(
    ...phases(),
    ...[1, 2, 3, 4, 5].map((i) => lat('consul-latency', i * 10, i)),
    ...[1, 2, 3, 4].map((i) => lat('consul-latency', 120 + i * 10, 100 * i)),
    lat('consul-latency', 175, null),
  );
  const { summary, series } = analyzeRun({ records: recs, coverage: { silenceMinMs: Infinity } });
  const base = summary.consulLatency.byPhase.baseline!;
  assert.equal(base.p50, 3);
  assert.ok(Math.abs((base.p99 as number) - 4.96) < 1e-9);
  assert.equal(base.errorRate, 0);
  const flood = summary.consulLatency.byPhase.flood!;
  assert.equal(flood.n, 5);
  assert.equal(flood.errors, 1);
  assert.equal(flood.errorRate, 0.2);
  assert.equal(flood.p50, 250);
  assert.ok(isUnknown(summary.consulLatency.byPhase.hold!.p50), 'no probes in hold');
  assert.ok(isUnknown(summary.vaultLatency.all.p99), 'no vault probes at all');
  assert.equal(series.consulLatency.errors.length, 1);
});

test('Vault sealed intervals', () => {
  const vh = (t: number, sealed: boolean | null) => ({ t, type: 'vault-health', source: 'probe/vault', initialized: true, sealed, standby: false, ms: 3 }) as const;
  const recs = history(...phases(), vh(10, false), vh(140, true), vh(150, true), vh(160, null), vh(170, false), vh(250, true), vh(300, true));
  const v = analyzeRun({ records: recs }).summary.vaultSeal;
  assert.deepEqual(v.intervals.map((i) => [(i.from - T0) / 1000, (i.to - T0) / 1000, i.open]), [[140, 170, false], [250, 300, true]]);
  assert.equal(v.sealedMs, 80_000);
  assert.equal(v.unanswered, 1);
});

test('delivery: written vs delivered vs dropped vs buffered vs lost with the pod; counter resets', () => {
  const app = (t: number, p: string, n: number) => ({ t, type: 'app', source: 'scrape/apps', pod: p, counters: { log_lines_total: n } }) as const;
  const ship = (t: number, p: string, sent: number, dropped: number, buffered: number) => ({ t, type: 'shipper', source: 'scrape/shippers', pod: p, counters: { lines_sent_total: sent, lines_dropped_total: dropped, buffer_lines: buffered } }) as const;
  const kafka = (t: number, received: Record<string, number>) => ({ t, type: 'kafka', source: 'probe/kafka', topic: 'logs', received }) as const;
  const recs = history(
    ...phases(),
    pod(1, 'a', { event: 'added', node: W1, name: 'app-a' }),
    pod(1, 'b', { event: 'added', node: W2, name: 'app-b' }),
    app(50, 'app-a', 500),
    app(100, 'app-a', 1000),
    app(150, 'app-a', 200), // the container restarted: 1000 + 300
    app(200, 'app-a', 300),
    app(100, 'app-b', 800),
    kafka(50, { 'app-a': 500, 'app-b': 400 }),
    kafka(200, { 'app-a': 700 }),
    { t: 60, type: 'kafka', source: 'probe/kafka', topic: 'metrics', received: { 'app-a': 99999 } },
    ship(200, 'app-a', 1200, 50, 50),
    ship(100, 'app-b', 400, 0, 400),
    pod(150, 'b', { node: W2, evicted: true, name: 'app-b' }),
  );
  const d = analyzeRun({ records: recs }).summary.delivery;
  assert.equal(d.written, 1300 + 800);
  assert.equal(d.delivered, 1200 + 400, 'the metrics topic is not log delivery');
  assert.equal(d.dropped, 50);
  assert.equal(d.bufferedAtEnd, 50);
  assert.equal(d.lostWithPods, 400, 'b was evicted holding 400 lines');
  assert.equal(d.unaccounted, 2100 - 1600 - 50 - 50 - 400);
  assert.ok(Math.abs((d.deliveredRatio as number) - 1600 / 2100) < 1e-9);
  assert.ok(isUnknown(d.delayMs));
});

/** Nodes, latencies and pool that break at the flood and heal by `healAt` (seconds). */
function recoverable(healAt: number, end = 300) {
  const recs = [...phases(end), node(1, W1, true), node(130, W1, false), node(healAt, W1, true), node(end, W1, true)];
  for (let t = 1; t <= end; t++) {
    const broken = t >= 125 && t < healAt;
    recs.push(lat('consul-latency', t, broken ? 50 : 10 + (t % 3)));
    recs.push(lat('vault-latency', t, broken ? 90 : 20));
    if (t % 5 === 0) recs.push(members(t, { alive: broken ? 7 : 10, failed: t > 125 ? 3 : 0 }));
  }
  return history(...recs);
}

test('recovery: first sustained window after the disruption where every criterion holds', () => {
  const r = analyzeRun({ records: recoverable(200) }).summary.recovery;
  assert.equal(r.status, 'recovered');
  assert.equal(r.timeToRecoverMs, 80_000);
  assert.equal(r.disruptedAt, T0 + 120_000, 'the first window after the flood start already holds the break at 125 s');
  assert.equal(r.baseline.consulP50, 11);
  assert.equal(r.criteria.nodes.recoveredAfterMs, 80_000);
  assert.equal(r.criteria.poolAlive.recoveredAfterMs, 80_000);
  // Failed members never leave: the pool size has not recovered, and that is reported apart.
  assert.ok(isUnknown(r.criteria.poolSize.recoveredAfterMs));
  assert.equal(r.criteria.poolSize.required, false);
});

test('recovery: not recovered within the timeout is null; history too short is unknown', () => {
  const never = analyzeRun({ records: recoverable(1000, 300), recovery: { timeoutMs: 120_000 } }).summary.recovery;
  assert.equal(never.status, 'not-recovered');
  assert.equal(never.timeToRecoverMs, null);
  const short = analyzeRun({ records: recoverable(1000, 300) }).summary.recovery;
  assert.equal(short.status, 'unknown');
  assert.ok(isUnknown(short.timeToRecoverMs));
  assert.equal(short.timeToRecoverMs.bound, 'lower');
});

test('recovery: a run that was never disrupted says so', () => {
  const recs = [...phases(), node(1, W1, true), node(300, W1, true)];
  for (let t = 1; t <= 300; t++) recs.push(lat('consul-latency', t, 10), lat('vault-latency', t, 20));
  const r = analyzeRun({ records: history(...recs) }).summary.recovery;
  assert.equal(r.status, 'never-disrupted');
  assert.equal(r.timeToRecoverMs, 0);
  assert.equal(r.criteria.poolAlive.used, false);
});

test('runtime vs kubelet: load before each NotReady onset against baseline', () => {
  const recs = [...phases(), node(1, W1, true), node(160, W1, false), node(300, W1, true)];
  for (let t = 1; t <= 300; t++) {
    recs.push(cpu(t, W1, 'runtime', t >= 120 && t < 160 ? 0.4 : 0.05), cpu(t, W1, 'kubelet', 0.03));
  }
  const rt = analyzeRun({ records: history(...recs) }).summary.runtime;
  assert.equal(rt.onsets.length, 1);
  const near = (v: unknown, x: number) => assert.ok(typeof v === 'number' && Math.abs(v - x) < 1e-9, `${JSON.stringify(v)} != ${x}`);
  near(rt.onsets[0]!.before.runtime, 0.4);
  near(rt.onsets[0]!.baseline.runtime, 0.05);
  near(rt.onsets[0]!.before.kubelet, 0.03);
  assert.ok(isUnknown(rt.onsets[0]!.before.shims));
  assert.equal(rt.nodes[0]!.wentNotReady, true);
  assert.equal(rt.nodes[0]!.peak.runtime, 0.4);
});

test('an unknown gap source blinds everything; a gap from a known part only what it writes', () => {
  const recs = history(
    ...phases(),
    node(1, W1, true),
    node(300, W1, true),
    lat('consul-latency', 130, 5),
    { t: 140, type: 'gap', source: 'recorder', from: at(140), to: at(145), reason: 'recorder-restart' },
  );
  const s = analyzeRun({ records: recs }).summary;
  assert.ok(isUnknown(s.nodes.notReadyNodeSeconds));
  assert.ok(isUnknown(s.consulLatency.byPhase.flood!.p50));
  const only = analyzeRun({
    records: history(...phases(), node(1, W1, true), node(300, W1, true), lat('consul-latency', 130, 5), { t: 140, type: 'gap', source: 'probe/consul-latency', from: at(140), to: at(145), reason: 'sampler-error' }),
  }).summary;
  assert.equal(only.nodes.notReadyNodeSeconds, 0);
  assert.ok(isUnknown(only.consulLatency.byPhase.flood!.p50));
});

test('Coverage: silence after the recorder began to stop is wind-down, silence before it is blindness', () => {
  const samples = [];
  for (let t = 1; t <= 280; t++) samples.push(cpu(t, W1, 'node', 0.2));
  // The pod-stats sweep ends 15 s after the samplers: the history ends at 295 s.
  const stopping = { t: 281, type: 'note', source: 'recorder', text: 'recorder stopping' } as const;
  const late = { t: 295, type: 'note', source: 'controller', text: 'run completed' } as const;
  const quiet = analyzeRun({ records: history(...phases(), ...samples, stopping, late) }).summary;
  assert.ok(!quiet.gaps.some((g) => g.node === W1), 'no blind spot at the end when the recorder said it was stopping');
  const blind = analyzeRun({ records: history(...phases(), ...samples, late) }).summary;
  assert.ok(blind.gaps.some((g) => g.node === W1 && g.open && g.from === T0 + 280_000), 'without the note the same silence is a blind spot');
});

test('recovery: a node under memory pressure has not recovered, even while it reports Ready', () => {
  // Everything else heals at 200 s; W1 stays Ready but under MemoryPressure until 260 s.
  const recs: HistoryRecord[] = recoverable(200, 400).filter((r) => r.type !== 'node');
  recs.push(
    ...history(
      nodeWith(1, W1, true),
      nodeWith(130, W1, true, { MemoryPressure: 'True' }),
      nodeWith(260, W1, true),
      nodeWith(400, W1, true),
    ),
  );
  recs.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  const r = analyzeRun({ records: recs }).summary.recovery;
  assert.equal(r.status, 'recovered');
  assert.equal(r.criteria.nodes.recoveredAfterMs, 140_000, 'nodes count from the end of the pressure at 260 s');
  assert.equal(r.timeToRecoverMs, 140_000);
});

test('recovery: one phantom member in a pool of ten is a pool that has not shrunk back (no 20 % tolerance on a count)', () => {
  const recs = [...phases(600), node(1, W1, true), node(600, W1, true)];
  for (let t = 5; t <= 600; t += 5) recs.push(members(t, { alive: 10, failed: t > 130 ? 1 : 0 }));
  const r = analyzeRun({ records: history(...recs), recovery: { timeoutMs: 120_000 } }).summary.recovery;
  assert.equal(r.criteria.poolSize.recoveredAfterMs, null, 'the phantom lingers to the end: never back to baseline');
  assert.equal(r.criteria.poolAlive.recoveredAfterMs, 0, 'every alive member stayed: alive count never disrupted');
});

test('recovery: a calm moment before the cascade is not a recovery; it is the start of the last healthy stretch', () => {
  // A short NotReady blip right after the flood starts (120 s), healthy again at 125 s for 45 s, then
  // the real failure: NotReady from 170 s until 230 s.
  const end = 400;
  const recs = [...phases(end), node(1, W1, true), node(121, W1, false), node(125, W1, true), node(170, W1, false), node(230, W1, true), node(end, W1, true)];
  for (let t = 1; t <= end; t++) {
    recs.push(lat('consul-latency', t, 10));
    recs.push(lat('vault-latency', t, 20));
    if (t % 5 === 0) recs.push(members(t, { alive: 10 }));
  }
  const r = analyzeRun({ records: history(...recs), recovery: { timeoutMs: 240_000 } }).summary.recovery;
  assert.equal(r.status, 'recovered');
  assert.equal(r.timeToRecoverMs, 110_000, 'healthy for good from 230 s, the flood began at 120 s');
});

test('recovery: a 3 ms baseline does not turn 4 ms into a disruption (absolute slack beside the 20 %)', () => {
  const end = 400;
  const recs = [...phases(end), node(1, W1, true), node(end, W1, true)];
  for (let t = 1; t <= end; t++) {
    recs.push(lat('consul-latency', t, t > 300 ? 4 : 3));
    recs.push(lat('vault-latency', t, t > 300 ? 9 : 3));
    if (t % 5 === 0) recs.push(members(t, { alive: 10 }));
  }
  const r = analyzeRun({ records: history(...recs), recovery: { timeoutMs: 240_000 } }).summary.recovery;
  assert.equal(r.criteria.consul.recoveredAfterMs, 0, '4 ms is within 3 ms + 5 ms');
  assert.notEqual(r.criteria.vault.recoveredAfterMs, 0, '9 ms is past both 3 ms + 20 % and 3 ms + 5 ms');
  assert.equal(r.latencySlackMs, 5);
});

test('a shipper that stops answering its polls while its pod runs is a blind spot, open when it never answers again', () => {
  const poll = (t: number, pod: string, ok: boolean) =>
    ({ t, type: 'shipper', source: 'probe/shipper', component: 'shipper', pod, node: W1, counters: ok ? { reachable: 1, lines_sent_total: t } : { reachable: 0 } }) as Parameters<typeof history>[number];
  const every5 = (from: number, to: number) => Array.from({ length: Math.floor((to - from) / 5) }, (_, i) => from + i * 5);
  const recs = history(
    ...phases(),
    // frozen from 70 s (in the hold) to the end, as the bounded shippers were
    ...every5(0, 70).map((t) => poll(t, 'frozen', true)),
    ...every5(70, 300).map((t) => poll(t, 'frozen', false)),
    // one unanswered poll (5 s until the next answer): under the 10 s minimum, not a blind spot
    ...every5(0, 300).map((t) => poll(t, 'busy', t !== 100)),
    // 20 s without an answer, then answering again
    ...every5(0, 300).map((t) => poll(t, 'back', !(t >= 150 && t < 170))),
  );
  const gaps = analyzeRun({ records: recs }).summary.gaps.filter((g) => g.source === 'probe/shipper');
  const byPod = (p: string) => gaps.filter((g) => g.reason.includes(`pod ${p} `));
  assert.equal(byPod('busy').length, 0);
  const [frozen] = byPod('frozen');
  assert.ok(frozen, gaps.map((g) => g.reason).join('\n'));
  assert.equal(frozen.open, true);
  assert.equal(frozen.from, T0 + 70_000);
  assert.deepEqual(frozen.affects, ['shipper']);
  assert.match(frozen.reason, /shipper of pod frozen did not answer 46 poll\(s\) in a row/);
  const [back] = byPod('back');
  assert.ok(back);
  assert.deepEqual([back.open, back.from - T0, back.to - T0], [false, 150_000, 170_000]);
});
