// Split clusters (question 4): small hand-written histories of two kind clusters, each record tagged with
// its cluster, analysed per cluster; and one-cluster histories getting no split section.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyzeRun } from '../../src/analysis/analyze.ts';
import { buildAnswers, groupRuns, type RunRef } from '../../src/analysis/answers.ts';
import { metricByKey } from '../../src/analysis/catalog.ts';
import { clusterHistory, splitAnalysis, workerShare } from '../../src/analysis/split.ts';
import { buildTimeline, sortHistory } from '../../src/analysis/timeline.ts';
import { isUnknown } from '../../src/analysis/unknown.ts';
import type { HistoryRecord } from '../../src/history/records.ts';
import { loadScenario } from '../../src/scenario/index.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { at, history, node, nodeWith, phases, pod } from './analysis-helpers.ts';

const TARGET = path.join(repoRoot, 'lab', 'scenarios', 'target-2019.yaml');
const A = 'outage-lab';
const B = 'outage-lab-b';
const nodesOf = (c: string, workers: number) => [`${c}-control-plane`, ...Array.from({ length: workers }, (_, i) => `${c}-worker${i === 0 ? '' : i + 1}`)];

type Entry = Parameters<typeof history>[number];
/** Tags entries with a cluster, as the recorder of a split run does. */
const inCluster = (cluster: number, entries: Entry[]): Entry[] => entries.map((e) => ({ ...e, cluster }) as Entry);

/** Probes every 5 s from 0 to 300: Consul and Vault latency (ms per time) and pool counts (total, failed). */
function probes(name: string, ms: (t: number) => number, pool: (t: number) => [number, number], opts: { silentFrom?: number; silentTo?: number } = {}): Entry[] {
  const out: Entry[] = [];
  for (let t = 1; t < 300; t += 5) {
    if (opts.silentFrom !== undefined && t >= opts.silentFrom && t < opts.silentTo!) continue;
    const [total, failed] = pool(t);
    out.push(
      { t, type: 'consul-latency', source: 'probe/consul', op: 'kv-read', ms: ms(t) } as Entry,
      { t, type: 'vault-latency', source: 'probe/vault', op: 'kv-read', ms: ms(t) * 2 } as Entry,
      { t, type: 'consul-members', source: 'probe/consul', observer: `consul-server of ${name} (via NodePort)`, counts: { alive: total - failed, suspect: 0, failed, leaving: 0, left: 0 }, total, failed: [] } as Entry,
    );
  }
  return out;
}

interface SplitSpec {
  /** Workers of cluster A that go NotReady during the flood (at 130 s, back at 170 s). */
  aNotReady?: number;
  /** Workers of cluster B that go NotReady during the flood. */
  bNotReady?: number;
  /** Cluster B's Consul stays slow until the end. */
  bSlowToEnd?: boolean;
  /** Cluster B's Consul probes are silent from 130 to 200 s. */
  bSilent?: boolean;
}

/** Two clusters of two workers; cluster A's second worker under memory pressure 140-160 s, one pod evicted from it and moved. */
function splitHistory(spec: SplitSpec = {}): HistoryRecord[] {
  const per = (c: number, name: string, notReady: number, slow: (t: number) => boolean, silent: boolean): Entry[] => {
    const nodes = nodesOf(name, 2);
    const workers = nodes.slice(1);
    const entries: Entry[] = nodes.map((n) => nodeWith(1, n, true));
    workers.slice(0, notReady).forEach((w) => entries.push(nodeWith(130, w, false), nodeWith(170, w, true)));
    entries.push(
      // Same namespace and name in both clusters, different pods.
      pod(2, `${name}-consul-0`, { ns: 'lab', name: 'consul-server-0', node: nodes[0], event: 'added', ownerUid: `${name}-sts` }),
      pod(2, `${name}-app-1`, { ns: 'devenv', name: 'devenv-1', node: workers[1], event: 'added', ownerUid: `${name}-rs` }),
    );
    if (c === 0) {
      entries.push(
        nodeWith(140, workers[1]!, true, { MemoryPressure: 'True' }),
        nodeWith(160, workers[1]!, true),
        pod(145, `${name}-app-1`, { ns: 'devenv', name: 'devenv-1', node: workers[1], evicted: true, reason: 'Evicted', ownerUid: `${name}-rs` }),
        pod(146, `${name}-app-2`, { ns: 'devenv', name: 'devenv-2', node: workers[0], event: 'added', createdAt: at(146), ownerUid: `${name}-rs` }),
      );
    }
    const ms = (t: number) => (t >= 120 && (t < 180 || slow(t)) ? (c === 0 ? 50 : 40) : 5);
    const pool = (t: number): [number, number] => (c === 0 && t >= 150 ? [8, 2] : [5, 0]);
    return inCluster(c, [...entries, ...probes(name, ms, pool, silent ? { silentFrom: 130, silentTo: 200 } : {})]);
  };
  return history(
    { t: 0, type: 'meta', source: 'controller', versions: {}, details: { clusters: [{ index: 0, name: A }, { index: 1, name: B }] } } as Entry,
    ...phases(),
    { t: 60, type: 'fault', source: 'controller', f: 'kafka-cut', kind: 'ok', op: 'inject' } as Entry,
    ...per(0, A, spec.aNotReady ?? 1, () => false, false),
    ...per(1, B, spec.bNotReady ?? 0, () => spec.bSlowToEnd === true, spec.bSilent === true),
  );
}

test('a one-cluster history gets no split section, whatever it holds', () => {
  const a = analyzeRun({ records: history(...phases(), node(1, 'outage-lab-worker', true), pod(2, 'u1', { node: 'outage-lab-worker', event: 'added' })) });
  assert.equal(a.summary.split, undefined);
  assert.equal(splitAnalysis(sortHistory(history(...phases())), buildTimeline([])), undefined);
});

test('each cluster of a split run gets its own blast radius: shares of its workers, pods moved, pool, latency, reach', () => {
  const { summary } = analyzeRun({ records: splitHistory() });
  const split = summary.split!;
  assert.ok(split, 'split section present');
  const [a, b] = split.clusters;
  assert.deepEqual([a!.index, a!.name, b!.index, b!.name], [0, A, 1, B]);
  assert.deepEqual(a!.workers, [`${A}-worker`, `${A}-worker2`]);
  assert.deepEqual(b!.nodes, nodesOf(B, 2));
  // Cluster A: one of two workers NotReady, one under pressure, one pod evicted and replaced, two failed members.
  assert.equal(a!.maxNotReadyWorkers, 1);
  assert.equal(a!.notReadyShare, 0.5);
  assert.equal(a!.notReadyNodeSeconds, 40);
  assert.equal(a!.pressureShare, 0.5);
  assert.equal(a!.podsEvicted, 1);
  assert.equal(a!.podsRescheduled, 1);
  assert.deepEqual([a!.pool.observer, a!.pool.baselineTotal, a!.pool.peakTotal, a!.pool.peakFailed, a!.pool.failedAtEnd], [`consul-server of ${A} (via NodePort)`, 5, 8, 2, 2]);
  assert.equal(a!.consulP99Flood, 50);
  assert.equal(a!.vaultP99Flood, 100);
  assert.equal(a!.reached, true);
  assert.equal(a!.reachedBy, 'outage-lab-worker NotReady at T+1m10s');
  // Cluster B: untouched but for slower probes.
  assert.deepEqual([b!.maxNotReadyWorkers, b!.notReadyShare, b!.pressureShare, b!.podsEvicted, b!.podsRescheduled], [0, 0, 0, 0, 0]);
  assert.deepEqual([b!.pool.peakTotal, b!.pool.peakFailed], [5, 0]);
  assert.equal(b!.consulP99Flood, 40);
  assert.equal(b!.reached, false);
  assert.equal(b!.reachedBy, null);
  assert.equal(split.reached, 1);
  assert.equal(split.reachedAll, false);
  // Whole run: nodes of both clusters, told apart by name and mapped to their cluster.
  assert.equal(summary.nodes.nodes.length, 6);
  assert.equal(summary.nodes.clusters[`${B}-worker`], 1);
  assert.equal(summary.pods.podsSeen, 5, 'consul-server-0 of each cluster is its own pod');
});

test('the failure reaching both clusters is said so', () => {
  const split = analyzeRun({ records: splitHistory({ bNotReady: 2 }) }).summary.split!;
  assert.equal(split.clusters[1]!.notReadyShare, 1);
  assert.equal(split.clusters[1]!.reached, true);
  assert.deepEqual([split.reached, split.reachedAll], [2, true]);
});

test("a cluster's recorder blind spot makes only that cluster's figures unknown", () => {
  const { summary } = analyzeRun({ records: splitHistory({ bSilent: true }) });
  const [a, b] = summary.split!.clusters;
  assert.equal(a!.consulP99Flood, 50, "cluster A's probes saw the whole flood");
  assert.ok(isUnknown(b!.consulP99Flood), "cluster B's were silent in it");
  assert.ok(isUnknown(b!.pool.peakTotal));
  const spot = summary.gaps.find((g) => g.inferred && g.affects.includes('consul-latency'));
  assert.equal(spot?.cluster, 1, 'the silence is inferred for cluster B alone, not hidden by cluster A\u2019s samples');
});

test('recovery of a split run waits for every cluster; each cluster has its own', () => {
  const slow = analyzeRun({ records: splitHistory({ bSlowToEnd: true }), recovery: { sustainMs: 20_000, timeoutMs: 170_000 } }).summary;
  const [a, b] = slow.split!.clusters;
  assert.equal(typeof a!.timeToRecoverMs, 'number', 'cluster A recovers');
  assert.ok(b!.timeToRecoverMs === null || isUnknown(b!.timeToRecoverMs), 'cluster B does not');
  assert.ok(slow.recovery.timeToRecoverMs === null || isUnknown(slow.recovery.timeToRecoverMs), 'so the lab as a whole has not recovered');
  const fine = analyzeRun({ records: splitHistory(), recovery: { sustainMs: 20_000, timeoutMs: 170_000 } }).summary;
  assert.equal(typeof fine.recovery.timeToRecoverMs, 'number');
  assert.equal(fine.recovery.timeToRecoverMs, Math.max(fine.split!.clusters[0]!.timeToRecoverMs as number, fine.split!.clusters[1]!.timeToRecoverMs as number));
  // Baselines of several pools add up; latency baselines are the slower cluster's.
  assert.equal(fine.recovery.baseline.poolTotal, 10);
});

test("a cluster's slice holds its own records and the whole lab's, nothing of the other cluster", () => {
  const sorted = sortHistory(splitHistory());
  const b = clusterHistory(sorted, 1);
  assert.ok(b.every((r) => r.cluster === undefined || r.cluster === 1));
  assert.ok(b.some((r) => r.type === 'phase') && b.some((r) => r.type === 'fault'));
  assert.ok(!b.some((r) => r.type === 'node' && nodesOf(A, 2).includes(r.name)));
});

test('worker shares leave the control planes out, for one cluster as for two', () => {
  const one = analyzeRun({ records: history(...phases(), ...nodesOf(A, 2).map((n) => node(1, n, true)), node(130, `${A}-worker`, false), node(170, `${A}-worker`, true)) }).summary;
  assert.equal(metricByKey('notReadyFraction').get(one), 1 / 3, 'the old share counts the control plane');
  assert.equal(metricByKey('workersNotReadyShare').get(one), 0.5);
  assert.equal(metricByKey('worstClusterNotReadyShare').get(one), 0.5, 'one cluster is its own worst cluster');
  assert.equal(metricByKey('clustersReachedShare').get(one), 1);
  const two = analyzeRun({ records: splitHistory() }).summary;
  assert.equal(metricByKey('workersNotReadyShare').get(two), 0.25, 'one of four workers');
  assert.equal(metricByKey('worstClusterNotReadyShare').get(two), 0.5, 'one of cluster A\u2019s two');
  assert.equal(metricByKey('clustersReachedShare').get(two), 0.5);
  assert.equal(metricByKey('largestPoolPeak').get(two), 8);
  assert.equal(metricByKey('poolPeakFailedAll').get(two), 2);
  assert.equal(metricByKey('worstConsulP99Flood').get(two), 50);
  assert.ok(isUnknown(workerShare([`${A}-control-plane`], [], 0, 'node watch')), 'no workers: unknown, not a share');
});

// ---- answers ------------------------------------------------------------------------------------------

const oneScenario = loadScenario(TARGET);
const twoScenario = loadScenario(TARGET, { variants: ['split-clusters'] });

/** One cluster of four workers; `notReady` of them go NotReady in the flood. */
function oneRun(id: string, notReady: number): RunRef {
  const nodes = nodesOf(A, 4);
  const records = history(
    ...phases(),
    ...nodes.map((n) => nodeWith(1, n, true)),
    ...nodes.slice(1, 1 + notReady).flatMap((w) => [nodeWith(130, w, false), nodeWith(170, w, true)]),
    ...probes(A, (t) => (t >= 120 && t < 180 ? 60 : 5), () => [33, 0]),
  );
  return { id, summary: analyzeRun({ records, scenario: oneScenario, runId: id }).summary };
}

function twoRun(id: string, spec: SplitSpec): RunRef {
  return { id, summary: analyzeRun({ records: splitHistory(spec), scenario: twoScenario, runId: id }).summary };
}

test('q4 compares one cluster with two by worker shares, reach and per-pool figures, with n and spread', () => {
  const one = [oneRun('one-1', 3), oneRun('one-2', 4)];
  const two = [twoRun('two-1', {}), twoRun('two-2', { bNotReady: 1 })];
  const g = groupRuns([...one, ...two]);
  assert.deepEqual(g.groups.q4?.one?.map((r) => r.id), ['one-1', 'one-2']);
  assert.deepEqual(g.groups.q4?.two?.map((r) => r.id), ['two-1', 'two-2']);
  const q4 = buildAnswers(g.groups).questions.find((q) => q.id === 'q4')!;
  const texts = q4.findings.map((f) => f.text);
  const find = (re: RegExp) => texts.find((t) => re.test(t)) ?? assert.fail(`no finding matching ${re}:\n${texts.join('\n')}`);
  assert.match(find(/^two half-size clusters compared with one cluster/), /\(n = 2 each\): better on \d+, worse on \d+/);
  // 3-4 of 4 workers at once in one cluster; 1-2 of 4 in the split runs.
  assert.equal(
    find(/^share of all workers NotReady at once/),
    'share of all workers NotReady at once (n = 2 each): two half-size clusters median 37.5 % vs one cluster median 87.5 %: lower in all 2 runs, ranges 25.0–50.0 % vs 75.0–100.0 % (better)',
  );
  assert.match(find(/^share of clusters the failure reached/), /mixed|higher|lower|same/);
  assert.equal(find(/^one cluster \(n = 2\): after the cut/), 'one cluster (n = 2): after the cut, the failure reached the cluster in 2 of 2 runs (a node NotReady or under pressure, or a pod evicted or moved). [runs: one-1, one-2]');
  assert.equal(
    find(/^two half-size clusters \(n = 2\): after the cut/),
    'two half-size clusters (n = 2): after the cut, the failure reached 1 of the 2 clusters in 1 of 2 runs; reached both clusters in 1 of 2 runs (a node NotReady or under pressure, or a pod evicted or moved). [runs: two-1, two-2]',
  );
  const a = find(/^Cluster outage-lab in the split runs/);
  assert.match(a, /^Cluster outage-lab in the split runs \(n = 2\): workers NotReady at once median 50\.0 % \(min–max 50\.0–50\.0 %\); .*pool peak median 8 \(min–max 8–8\); failed members peak median 2 /);
  assert.match(find(/^Cluster outage-lab-b in the split runs/), /workers NotReady at once median 25\.0 % \(min–max 0\.0–50\.0 %\)/);
  assert.match(find(/^The split runs have the same workers/), /two control planes/);
});

test('q4 with one run an arm calls nothing better or worse', () => {
  const q4 = buildAnswers(groupRuns([oneRun('one-1', 2), twoRun('two-1', {})]).groups).questions.find((q) => q.id === 'q4')!;
  const tally = q4.findings.find((f) => f.kind === 'verdict')!;
  assert.match(tally.text, /not called better or worse on any of 13 metrics, since two half-size clusters and one cluster have only one run \(no spread yet\)/);
  assert.match(tally.text, /`npx lab matrix --only sidecar,split-clusters`/);
  assert.ok(q4.findings.filter((f) => f.kind === 'comparison').every((f) => /no spread yet/.test(f.text)));
});

test('the run page shows the clusters side by side for a split run, and nothing new for one cluster', async () => {
  const { renderRunReport } = await import('../../src/report/run-page.ts');
  const render = (records: HistoryRecord[], scenario: typeof oneScenario) =>
    renderRunReport({ analysis: analyzeRun({ records, scenario }), scenario, versions: {}, runId: 'r', synthetic: false, generatedAt: Date.UTC(2026, 10, 26, 4) });
  const page = render(splitHistory(), twoScenario);
  const section = page.slice(page.indexOf('<section id="clusters">'), page.indexOf('<section id="timeline">'));
  assert.match(section, /<th class="num mono">outage-lab<\/th><th class="num mono">outage-lab-b<\/th>/);
  assert.match(section, /The failure reached 1 of 2 clusters/);
  assert.match(section, /yes: outage-lab-worker NotReady at T\+1m10s/);
  assert.match(page, /href="#clusters"/);
  const one = render(history(...phases(), ...nodesOf(A, 2).map((n) => nodeWith(1, n, true))), oneScenario);
  assert.doesNotMatch(one, /id="clusters"|href="#clusters"/);
});

// ---- a split history made of two copies of a one-cluster history ---------------------------------------

/** Records about the whole lab, kept once; everything else is one cluster's. */
const SHARED = new Set(['phase', 'fault', 'meta', 'note', 'kafka']);

/**
 * Two copies of a one-cluster history as the two clusters of a split run: the second copy's nodes, pods and
 * pool renamed as the second cluster's would be (pod names kept: they can repeat across clusters), every
 * cluster record tagged. Each cluster must then analyse as the original did.
 */
function twinSplit(records: readonly HistoryRecord[]): HistoryRecord[] {
  const b = (s: string) => s.replace(/^outage-lab-/, 'outage-lab-b-');
  const out: HistoryRecord[] = [];
  for (const r of records) {
    const shared = SHARED.has(r.type) || (r.type === 'gap' && /kafka/.test(r.source));
    if (shared) {
      out.push(r.type === 'meta' ? { ...r, details: { ...r.details, clusters: [{ index: 0, name: A }, { index: 1, name: B }] } } : r);
      continue;
    }
    out.push({ ...r, cluster: 0 } as HistoryRecord);
    const x = structuredClone(r) as HistoryRecord & Record<string, any>;
    x.cluster = 1;
    if (x.type === 'node') x.name = b(x.name);
    if (typeof x.node === 'string') x.node = b(x.node);
    if (x.type === 'pod') {
      x.uid += '-b';
      if (x.ownerUid) x.ownerUid += '-b';
      if (x.replaces) x.replaces += '-b';
    }
    if (x.type === 'cpu' && x.scope === 'pod' && x.id) x.id += '-b';
    if (x.type === 'app' && x.uid) x.uid += '-b';
    if (x.type === 'k8s-event') {
      if (x.involved.uid) x.involved.uid += '-b';
      if (x.involved.kind === 'Node') x.involved.name = b(x.involved.name);
    }
    if (x.type === 'consul-members' || x.type === 'consul-telemetry') x.observer += ' of the second cluster';
    out.push(x);
  }
  return out;
}

test('two copies of a one-cluster history, as two clusters: each cluster analyses as the original did', async () => {
  const { syntheticRun } = await import('../fixtures/synthetic-run.ts');
  const r = syntheticRun({ seed: 1, gaps: true });
  const one = analyzeRun({ records: r.records, scenario: r.scenario }).summary;
  const two = analyzeRun({ records: twinSplit(r.records), scenario: twoScenario }).summary;
  const split = two.split!;
  assert.deepEqual(split.clusters.map((c) => c.name), [A, B]);
  const flood = 'flood';
  for (const c of split.clusters) {
    assert.deepEqual(c.maxNotReadyWorkers, one.nodes.maxSimultaneousNotReady, `${c.name}: most workers NotReady at once`);
    assert.deepEqual(c.notReadyNodeSeconds, one.nodes.notReadyNodeSeconds);
    assert.deepEqual(c.podsEvicted, one.pods.podsEvicted);
    assert.deepEqual(c.podsRescheduled, one.pods.rescheduled);
    assert.deepEqual(c.pool.peakTotal, one.pool.peakTotal);
    assert.deepEqual(c.pool.peakFailed, one.pool.peakFailed);
    assert.deepEqual(c.consulP99Flood, one.consulLatency.byPhase[flood]!.p99);
    assert.deepEqual(c.vaultP99Flood, one.vaultLatency.byPhase[flood]!.p99);
    assert.deepEqual(c.timeToRecoverMs, one.recovery.timeToRecoverMs);
    assert.equal(c.reached, true);
  }
  assert.deepEqual(two.recovery.timeToRecoverMs, one.recovery.timeToRecoverMs, 'two identical clusters recover when one does');
  assert.equal(two.recovery.baseline.poolTotal, 2 * (one.recovery.baseline.poolTotal as number));
  assert.equal(two.nodes.maxSimultaneousNotReady, 2 * (one.nodes.maxSimultaneousNotReady as number));
  assert.equal(two.pods.podsSeen, 2 * one.pods.podsSeen, 'pods of the same name in both clusters stay apart');
  assert.deepEqual([split.reached, split.reachedAll], [2, true]);
});
