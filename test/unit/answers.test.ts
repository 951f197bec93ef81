import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun } from '../../src/analysis/analyze.ts';
import { answersMarkdown, buildAnswers, describeSpread, groupRuns, type RunRef } from '../../src/analysis/answers.ts';
import { unknown } from '../../src/analysis/unknown.ts';
import { syntheticRun, type SyntheticOptions } from '../fixtures/synthetic-run.ts';

// Synthetic runs only: these test the answering logic, not the lab's findings.
function run(opts: SyntheticOptions): RunRef {
  const r = syntheticRun({ gaps: false, ...opts });
  return { id: r.runId, summary: analyzeRun({ records: r.records, scenario: r.scenario }).summary };
}

const sidecar = [1, 2, 3].map((seed) => run({ seed }));
const daemonset = [1, 2, 3].map((seed) => run({ seed, variants: ['daemonset'], failingNodes: 1, floodIntensity: 0.6 }));
const backoff = [1, 2].map((seed) => run({ seed, variants: ['shipper-backoff'], failingNodes: 0, floodIntensity: 0.4 }));

test('groupRuns sorts runs into arms by their one difference from the 2019 reference', () => {
  const other = run({ seed: 9, variants: ['daemonset', 'shipper-backoff'] });
  const g = groupRuns([...sidecar, ...daemonset, ...backoff, other]);
  assert.equal(g.scenario, 'target-2019');
  assert.deepEqual(g.groups.q3?.sidecar?.map((r) => r.id), sidecar.map((r) => r.id));
  assert.deepEqual(g.groups.q3?.daemonset?.map((r) => r.id), daemonset.map((r) => r.id));
  assert.deepEqual(g.groups.q1?.backoff?.map((r) => r.id), backoff.map((r) => r.id));
  assert.deepEqual(g.groups.q1?.naive?.map((r) => r.id), sidecar.map((r) => r.id));
  assert.deepEqual(g.groups.q5?.containerd?.map((r) => r.id), sidecar.map((r) => r.id), 'q5 compares runtimes: containerd is the reference');
  assert.deepEqual(g.unused.map((u) => u.id), [other.id]);
  assert.match(g.unused[0]!.why, /variant, shipperMode/);
});

test('buildAnswers: comparisons cite runs, show spread, and call differences only without overlap', () => {
  const a = buildAnswers(groupRuns([...sidecar, ...daemonset, ...backoff]).groups);
  assert.deepEqual(a.questions.map((q) => q.number), [1, 2, 3, 4, 5]);
  const q3 = a.questions.find((q) => q.id === 'q3')!;
  assert.equal(q3.measured, true);
  const pool = q3.findings.find((f) => f.text.startsWith('Consul pool peak size'))!;
  assert.equal(pool.text, 'Consul pool peak size (n = 3 each): DaemonSets median 8 vs sidecars median 51: lower in all 3 runs, ranges 8–8 vs 51–51 (better)');
  assert.deepEqual(new Set(pool.runs), new Set([...sidecar, ...daemonset].map((r) => r.id)));
  const tally = q3.findings.find((f) => f.kind === 'verdict')!;
  assert.match(tally.text, /better on \d+, worse on 0/);
  const ds = q3.arms.find((x) => x.arm === 'daemonset')!;
  assert.deepEqual(ds.metrics.maxNotReady!.spread, { n: 3, min: 1, median: 1, max: 1 });
});

test('buildAnswers says "not measured" for arms and questions without runs', () => {
  const a = buildAnswers(groupRuns([...sidecar, ...backoff]).groups);
  const q4 = a.questions.find((q) => q.id === 'q4')!;
  assert.ok(q4.notMeasured.some((n) => /two half-size clusters: not measured/.test(n)));
  const q1 = a.questions.find((q) => q.id === 'q1')!;
  assert.ok(q1.notMeasured.some((n) => /rate-limited: not measured/.test(n)));
  assert.ok(q1.findings.some((f) => /No node went NotReady with: jittered backoff/.test(f.text)));
  assert.ok(q1.findings.some((f) => /largest consumer was the runtime/.test(f.text)));
  const empty = buildAnswers({});
  assert.ok(empty.questions.every((q) => !q.measured && /Not measured/.test(q.findings[0]!.text)));
  const md = answersMarkdown(a);
  assert.match(md, /### 5\. Is the shared runtime daemon the single point of failure\?/);
  assert.match(md, /\| metric \| naive shipper \(n = 3\) \| jittered backoff \(n = 2\) \|/);
  assert.match(md, /\| most nodes NotReady at once \| median 2 \(min–max 2–2\) \| median 0 \(min–max 0–0\) \|/);
  assert.match(md, /- most nodes NotReady at once \(n = 2 vs 3\): jittered backoff median 0 vs naive shipper median 2: lower in all runs \(2 vs 3\), ranges 0–0 vs 2–2 \(better\)\n/);
});

test('q5 reads the runtime\u2019s load before each NotReady onset per arm, and compares runtime with kubelet', () => {
  const a = buildAnswers({ q5: { containerd: sidecar } });
  const q5 = a.questions.find((q) => q.id === 'q5')!;
  const onset = q5.findings.find((f) => /Before 6 NotReady onset/.test(f.text))!;
  assert.match(onset.text, /^containerd, naive sidecars: Before 6 NotReady onset\(s\), the runtime used a median 0\.\d+ cores \(\d+ % of the 0\.5-core node\)/);
  assert.match(onset.text, /consistent with the shared runtime/);
  assert.deepEqual(onset.runs, sidecar.map((r) => r.id));
});

test('bounds from a blind recorder: a lower bound above the other arm still counts as higher, given repeats', () => {
  const base = sidecar[0]!;
  const blindRun = (id: string, observed: number) => {
    const r = structuredClone(base);
    r.id = id;
    r.summary.nodes.maxSimultaneousNotReady = unknown('watch gap', observed, 'lower');
    return r;
  };
  const fully = structuredClone(base);
  fully.id = 'fully-blind';
  fully.summary.nodes.maxSimultaneousNotReady = unknown('no node records');
  const q3 = (g: Parameters<typeof buildAnswers>[0]) => buildAnswers(g).questions.find((q) => q.id === 'q3')!;
  const nr = (g: Parameters<typeof buildAnswers>[0]) => q3(g).findings.find((x) => x.text.startsWith('most nodes NotReady'))!.text;
  // One run each: the bound is shown, nothing is called.
  assert.equal(nr({ q3: { sidecar: [base], daemonset: [blindRun('blind', 3)] } }), 'most nodes NotReady at once (n = 1 each): in the one run each: DaemonSets unknown in 1 of 1 runs (at least 3: watch gap) vs sidecars 2 (no spread yet)');
  // Repeats: [≥3] and [≥4] lie above 2–2, whatever the recorder missed.
  assert.equal(
    nr({ q3: { sidecar: sidecar.slice(0, 2), daemonset: [blindRun('b1', 3), blindRun('b2', 4)] } }),
    'most nodes NotReady at once (n = 2 each): DaemonSets unknown in 2 of 2 runs (at least 3: watch gap) vs sidecars median 2: higher in all 2 runs, ranges ≥ 3 vs 2–2 (worse)',
  );
  const b = q3({ q3: { sidecar: sidecar.slice(0, 2), daemonset: [fully, blindRun('b2', 4)] } });
  assert.match(b.findings.find((x) => x.text.startsWith('most nodes NotReady'))!.text, /: not called, fewer than 2 runs with a known value for DaemonSets$/);
  assert.equal(describeSpread(b.arms[1]!.metrics.maxNotReady!), 'unknown in 2 of 2 runs (at least 4 in 1: watch gap)');
});

test('"in flood" metrics use the phase after the restore when a scenario has no flood phase (smoke)', async () => {
  const { metricByKey, floodPhaseLabel } = await import('../../src/analysis/catalog.ts');
  const path = await import('node:path');
  const { repoRoot } = await import('../../src/util/paths.ts');
  const smoke = run({ seed: 4, scenarioFile: path.join(repoRoot, 'lab', 'scenarios', 'smoke.yaml') });
  assert.equal(floodPhaseLabel(smoke.summary), 'observe');
  assert.equal(metricByKey('consulP99Flood').get(smoke.summary), smoke.summary.consulLatency.byPhase.observe!.p99);
  assert.equal(typeof metricByKey('consulP99Flood').get(smoke.summary), 'number');
});

test('"in flood" skips the restore marker even when it lasted the second a real network change takes', async () => {
  const { floodPhaseLabel } = await import('../../src/analysis/catalog.ts');
  const w = (name: string, from: number, to: number, index: number) => ({ name, index, label: name, from, to, open: false });
  // As recorded in a real smoke run: cut and restore each took about a second.
  const phases = [w('baseline', 0, 20_000, 0), w('cut', 20_000, 20_400, 1), w('hold', 20_400, 50_400, 2), w('restore', 50_400, 51_400, 3), w('observe', 51_400, 111_400, 4)];
  assert.equal(floodPhaseLabel({ phases, floodAt: 50_400 }), 'observe');
  assert.equal(floodPhaseLabel({ phases: [...phases, w('flood', 111_400, 120_000, 5)], floodAt: 50_400 }), 'flood');
  assert.equal(floodPhaseLabel({ phases, floodAt: null }), undefined);
});

test('q2: a pool that never settled is "not back by the end", not a partly blind recorder', () => {
  const withSettle = (r: RunRef, id: string, v: RunRef['summary']['pool']['failedSettleMs']): RunRef => ({ id, summary: { ...r.summary, pool: { ...r.summary.pool, failedSettleMs: v } } });
  const notBack = unknown('not back by the end: 2 failed members still in the pool when the history ends (baseline 0)', 800_000, 'lower');
  const runs = [withSettle(sidecar[0]!, 'r1', notBack), withSettle(sidecar[1]!, 'r2', 90_000), withSettle(sidecar[2]!, 'r3', 120_000)];
  const q2 = buildAnswers({ q2: { baseline: runs } }).questions.find((q) => q.id === 'q2')!;
  const text = q2.findings.find((f) => f.text.startsWith('no remedy'))!.text;
  assert.match(text, /failed count back to baseline for good after the restore: median 1m45s \(min–max 1m30s–2m00s\) over 2 of 3 runs; not back by the end in 1 of 3 runs \(at least 13m20s\)\./);
  assert.doesNotMatch(text, /partly blind/);
});

test('an arm the lab cannot run is said so with its reason, not "not measured" with a command that would fail', () => {
  const why = "consul.advertiseReconnectTimeout: Consul 1.8.7, the lab's agent, refuses it (invalid config key advertise_reconnect_timeout)";
  const q2 = (o?: Record<string, string>) => buildAnswers({ q2: { baseline: sidecar } }, o ? { unmeasurable: o } : {}).questions.find((q) => q.id === 'q2')!;
  assert.ok(q2({ 'short-reconnect': why }).notMeasured.some((t) => t === `short reconnect timeout: cannot be measured with this lab: ${why}`));
  assert.ok(q2().notMeasured.some((t) => t.startsWith('short reconnect timeout: not measured (no completed runs); to measure it: `npx lab matrix --only short-reconnect`')));
});
