import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun, isUnknown, summaryToJson } from '../../src/analysis/index.ts';
import { parseHistoryText } from '../../src/history/reader.ts';
import { T0, at, cpu, history, node, phases, pod, shuffle } from './analysis-helpers.ts';

const W1 = 'kind-worker';
const W2 = 'kind-worker2';

test('phase windows, cut and flood start; markers take no time', () => {
  const { summary } = analyzeRun({ records: history(...phases()) });
  const byLabel = Object.fromEntries(summary.phases.map((p) => [p.label, [(p.from - T0) / 1000, (p.to - T0) / 1000, p.open]]));
  assert.deepEqual(byLabel.baseline, [0, 60, false]);
  assert.deepEqual(byLabel.cut, [60, 60, false]);
  assert.deepEqual(byLabel.flood, [120, 180, false]);
  assert.equal(summary.cutAt, T0 + 60_000);
  assert.equal(summary.floodAt, T0 + 120_000);
  assert.equal(summary.t0, T0 + 60_000);
});

test('NotReady: time from flood to first NotReady, node-seconds, most at once', () => {
  const recs = history(
    ...phases(),
    node(1, W1, true),
    node(1, W2, true),
    node(150, W1, 'unknown'),
    node(160, W2, false),
    node(190, W1, true),
    node(200, W2, true),
    node(300, W1, true),
  );
  const { summary } = analyzeRun({ records: recs });
  assert.equal(summary.nodes.timeToFirstNotReadyMs, 30_000);
  assert.equal(summary.nodes.firstNotReadyNode, W1);
  assert.equal(summary.nodes.notReadyNodeSeconds, 40 + 40);
  assert.equal(summary.nodes.maxSimultaneousNotReady, 2);
  assert.equal(summary.nodes.notReadyIntervals.length, 2);
  assert.equal(summary.nodes.notReadyIntervals[0]!.reason, 'NodeStatusUnknown');
  assert.equal(summary.nodes.allReadyAtEnd, true);
});

test('no NotReady is null (it did not happen), no node records is unknown (never zero)', () => {
  const quiet = analyzeRun({ records: history(...phases(), node(1, W1, true), node(300, W1, true)) }).summary;
  assert.equal(quiet.nodes.timeToFirstNotReadyMs, null);
  assert.equal(quiet.nodes.notReadyNodeSeconds, 0);
  const blind = analyzeRun({ records: history(...phases()) }).summary;
  assert.ok(isUnknown(blind.nodes.timeToFirstNotReadyMs));
  assert.ok(isUnknown(blind.nodes.notReadyNodeSeconds));
  assert.ok(isUnknown(blind.nodes.maxSimultaneousNotReady));
  assert.ok(isUnknown(blind.pods.podsEvicted));
  assert.ok(isUnknown(blind.pool.peakFailed));
  assert.ok(isUnknown(blind.consulLatency.byPhase.flood!.p99));
  assert.ok(isUnknown(blind.delivery.written));
  assert.ok(isUnknown(blind.recovery.timeToRecoverMs));
});

test('a node-watch gap makes node metrics unknown with what was seen as a lower bound', () => {
  const recs = history(
    ...phases(),
    node(1, W1, true),
    node(150, W1, false),
    node(170, W1, true),
    { t: 200, type: 'gap', source: 'watch/nodes', from: at(200), reason: 'watch-error' },
    { t: 230, type: 'gap', source: 'watch/nodes', from: at(200), to: at(230), reason: 'watch-error' },
    node(230, W1, true),
    node(300, W1, true),
  );
  const { summary, series } = analyzeRun({ records: recs });
  const secs = summary.nodes.notReadyNodeSeconds;
  assert.ok(isUnknown(secs));
  assert.equal(secs.observed, 20);
  assert.equal(secs.bound, 'lower');
  assert.match(secs.reason, /watch\/nodes/);
  // The open and closed records of one gap are one blind spot.
  assert.equal(summary.gaps.filter((g) => g.source === 'watch/nodes').length, 1);
  assert.ok(series.nodeSegments.some((s) => s.state === 'blind' && s.from === T0 + 200_000 && s.to === T0 + 230_000));
  // Before the gap the first NotReady was seen clearly.
  assert.equal(summary.nodes.timeToFirstNotReadyMs, 30_000);
});

test('a gap before the first NotReady makes the time to it an upper bound', () => {
  const recs = history(
    ...phases(),
    node(1, W1, true),
    { t: 125, type: 'gap', source: 'watch/nodes', from: at(125), to: at(140), reason: 'watch-410-relist' },
    node(150, W1, false),
    node(300, W1, false),
  );
  const v = analyzeRun({ records: recs }).summary.nodes.timeToFirstNotReadyMs;
  assert.ok(isUnknown(v));
  assert.equal(v.observed, 30_000);
  assert.equal(v.bound, 'upper');
});

test('out-of-order records give the same metrics as ordered ones', () => {
  const recs = history(
    ...phases(),
    node(1, W1, true),
    node(150, W1, 'unknown'),
    node(190, W1, true),
    pod(1, 'a', { node: W1, event: 'added', phase: 'Running' }),
    pod(185, 'a', { node: W1, evicted: true, deletionTimestamp: at(215) }),
    pod(186, 'b', { node: W2, event: 'added', phase: 'Pending' }),
    node(300, W1, true),
  );
  const ordered = analyzeRun({ records: recs }).summary;
  const mixed = analyzeRun({ records: shuffle(recs) }).summary;
  assert.equal(mixed.nodes.notReadyNodeSeconds, ordered.nodes.notReadyNodeSeconds);
  assert.equal(mixed.nodes.timeToFirstNotReadyMs, 30_000);
  assert.equal(mixed.lineage.replacements, 1);
  assert.deepEqual(mixed.phases.map((p) => p.label), ordered.phases.map((p) => p.label));
});

test('a truncated history: torn last line is reported, the open phase runs to the last record', () => {
  const recs = history(...phases(150), node(1, W1, true), node(140, W1, false), cpu(150, W1, 'node', 0.4));
  const text = recs.map((r) => JSON.stringify(r)).join('\n') + '\n{"type":"cpu","ts":"2026-11-26T03:02:3';
  const read = parseHistoryText(text);
  const { summary } = analyzeRun({ records: read.records, warnings: read.warnings });
  assert.equal(summary.history.truncated, true);
  const flood = summary.phases.find((p) => p.name === 'flood')!;
  assert.equal(flood.open, true);
  assert.equal(flood.to, T0 + 150_000);
  assert.ok(!summary.phases.some((p) => p.name === 'observe'));
  assert.equal(summary.nodes.notReadyIntervals[0]!.open, true);
  // Recovery cannot be judged: the history stops before the timeout.
  assert.ok(isUnknown(summary.recovery.timeToRecoverMs));
  assert.equal(summary.recovery.status, 'unknown');
});

test('summary.json writes instants as ISO UTC strings', () => {
  const { summary } = analyzeRun({ records: history(...phases(), node(1, W1, true), node(150, W1, false), node(300, W1, true)) });
  const json = JSON.parse(summaryToJson(summary));
  assert.equal(json.cutAt, at(60));
  assert.equal(json.phases[0].from, at(0));
  assert.equal(json.nodes.notReadyIntervals[0].from, at(150));
  assert.equal(json.nodes.notReadyNodeSeconds, 150);
  assert.equal(json.schema, 'outage-lab/summary@1');
});
