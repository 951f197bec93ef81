import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellsToRun, churnPlan, defaultLive, LIVE_PORT_BASE, PHANTOM_PORT_BASE, sweepCells } from '../../src/phantom/plan.ts';
import { gossipFigures, parseDockerStats, percentile, sumIntervals } from '../../src/phantom/metrics.ts';

const spec = { members: 50, live: 5, containers: 2, batch: 20, ratePerS: 10, prefix: 'c1' };

test('churn plan: live agents plus phantoms make the members asked for, names never reused', () => {
  const p = churnPlan(spec);
  assert.equal(p.live.length, 5);
  assert.equal(p.phantoms, 45);
  assert.deepEqual(p.batches.map((b) => b.agents.length), [20, 20, 5]);
  const names = [...p.live, ...p.batches.flatMap((b) => b.agents)].map((a) => a.name);
  assert.equal(new Set(names).size, 50);
  assert.ok(names.every((n) => n.startsWith('c1-')));
});

test('churn plan: batches are paced by the rate and spread over containers without port clashes', () => {
  const p = churnPlan(spec);
  assert.deepEqual(p.batches.map((b) => b.atMs), [0, 2000, 4000]);
  for (const b of p.batches) {
    const slots = b.agents.map((a) => `${a.container}:${a.port}`);
    assert.equal(new Set(slots).size, slots.length, 'two agents of one batch on one port');
    assert.ok(b.agents.every((a) => a.port >= PHANTOM_PORT_BASE && a.container < 2));
  }
  const live = p.live.map((a) => `${a.container}:${a.port}`);
  assert.equal(new Set(live).size, live.length);
  assert.ok(p.live.every((a) => a.port >= LIVE_PORT_BASE && a.port < PHANTOM_PORT_BASE));
  assert.deepEqual([...new Set(p.live.map((a) => a.container))].sort(), [0, 1]);
});

test('churn plan refuses impossible pools', () => {
  assert.throws(() => churnPlan({ ...spec, live: 60 }), /exceeds members/);
  assert.throws(() => churnPlan({ ...spec, batch: 0 }), /batch/);
  assert.throws(() => churnPlan({ ...spec, ratePerS: 0 }), /rate/);
  assert.throws(() => churnPlan({ ...spec, members: 2.5 }), /members/);
  assert.equal(churnPlan({ ...spec, members: 5 }).batches.length, 0, 'all live: nothing to churn');
});

test('default live share: a tenth, at least 4, at most the cap, never above members', () => {
  assert.equal(defaultLive(50), 5);
  assert.equal(defaultLive(20), 4);
  assert.equal(defaultLive(3), 3);
  assert.equal(defaultLive(10_000), 40);
  assert.equal(defaultLive(10_000, 200), 200);
});

test('sweep cells: smallest first, repeats interleaved, done cells skipped on resume', () => {
  const cells = sweepCells({ sizes: [800, 50], versions: ['1.8.7'], encryption: [false, true], repeats: 2 });
  assert.deepEqual(cells.map((c) => c.key), [
    '1.8.7/plain/50/r1', '1.8.7/encrypted/50/r1', '1.8.7/plain/50/r2', '1.8.7/encrypted/50/r2',
    '1.8.7/plain/800/r1', '1.8.7/encrypted/800/r1', '1.8.7/plain/800/r2', '1.8.7/encrypted/800/r2',
  ]);
  const left = cellsToRun(cells, new Set(['1.8.7/plain/50/r1', '1.8.7/encrypted/800/r2']));
  assert.equal(left.length, 6);
  assert.ok(!left.some((c) => c.key === '1.8.7/plain/50/r1'));
});

test('telemetry: one interval counts once however often it was polled, consul.-prefixed names read as the libraries\'', () => {
  const snap = (ts: string, pushPulls: number) => ({
    Timestamp: ts,
    Counters: [{ Name: 'consul.memberlist.msg.suspect', Count: 3, Sum: 3 }, { Name: 'memberlist.tcp.accept', Count: pushPulls, Sum: pushPulls }],
    Samples: [{ Name: 'consul.memberlist.pushPullNode', Count: pushPulls, Sum: pushPulls * 4 }, { Name: 'consul.memberlist.tcp.sent', Count: 2 * pushPulls, Sum: 2 * pushPulls * 1000 }],
  });
  const s = sumIntervals([snap('t1', 1), snap('t1', 1), snap('t2', 2)]);
  assert.equal(s.intervals, 2);
  assert.equal(s.totals['memberlist.msg.suspect']!.count, 6);
  const g = gossipFigures(s.totals, s.intervals, 10);
  assert.equal(g.suspectPerMin, 18); // 6 in 20 s
  assert.equal(g.pushPullPerMin, 9);
  assert.equal(g.pushPullMeanMs, 4);
  assert.equal(g.pushPullBytes, 1000); // 6000 bytes over 3 initiated + 3 answered
  assert.equal(g.deadPerMin, 0, 'a metric never reported in a measured interval is 0, not unknown');
});

test('docker stats lines and percentiles', () => {
  const rows = parseDockerStats('a\t12.5%\t62.62MiB / 23.54GiB\nb\t0.00%\t1.141MiB / 23.54GiB\nbad line\n');
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.cpuPct, 12.5);
  assert.equal(Math.round(rows[0]!.memBytes / 1024), Math.round(62.62 * 1024));
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
  assert.equal(percentile([], 50), null);
});
