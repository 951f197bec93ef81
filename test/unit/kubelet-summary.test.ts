import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun } from '../../src/analysis/analyze.ts';
import type { CpuRecord, GapRecord, HistoryRecord, RecordInput } from '../../src/history/records.ts';
import { KUBELET_SUMMARY_SOURCE, KubeletSummarySampler, SummaryRates, type Summary } from '../../src/recorder/kubelet-summary.ts';
import { cpuSourcesFromEnv } from '../../src/recorder/recorder.ts';
import { LabError } from '../../src/util/errors.ts';
import { syntheticRun } from '../fixtures/synthetic-run.ts';

/** A kubelet summary as /stats/summary answers (the fields the sampler reads), at `t` with cumulative CPU `ns`. */
function summary(t: string, ns: { node: number; kubelet: number; runtime: number; pod: number }): Summary {
  const cpu = (v: number) => ({ time: t, usageNanoCores: 1, usageCoreNanoSeconds: v });
  return {
    node: {
      nodeName: 'outage-lab-worker',
      cpu: cpu(ns.node),
      memory: { time: t, workingSetBytes: 500_000_000 },
      systemContainers: [
        { name: 'kubelet', cpu: cpu(ns.kubelet), memory: { time: t, workingSetBytes: 60_000_000 } },
        { name: 'runtime', cpu: cpu(ns.runtime) },
        { name: 'misc', cpu: cpu(1) },
      ],
    },
    pods: [{ podRef: { name: 'devenv-1', namespace: 'workload', uid: 'uid-1' }, cpu: cpu(ns.pod), memory: { time: t, workingSetBytes: 20_000_000 } }],
  };
}

test('summary samples become cores over the kubelet\u2019s own window, stamped with its time, one per part', () => {
  const rates = new SummaryRates();
  assert.deepEqual(rates.records(summary('2026-12-02T10:00:00Z', { node: 0, kubelet: 0, runtime: 0, pod: 0 })), [], 'the first reading has no rate');
  // 10 s later: node used 5 cores-seconds (0.5 cores), kubelet 0.3 s, runtime 1 s, the pod 0.2 s.
  const recs = rates.records(summary('2026-12-02T10:00:10Z', { node: 5e9, kubelet: 3e8, runtime: 1e9, pod: 2e8 })) as CpuRecord[];
  const by = Object.fromEntries(recs.map((r) => [r.scope, r]));
  assert.deepEqual(Object.keys(by).sort(), ['kubelet', 'node', 'pod', 'runtime'], 'misc is not a lab scope');
  assert.equal(by.node!.cores, 0.5);
  assert.equal(by.kubelet!.cores, 0.03);
  assert.equal(by.runtime!.cores, 0.1);
  assert.equal(by.pod!.cores, 0.02);
  assert.equal(by.pod!.id, 'uid-1');
  assert.equal(by.node!.memBytes, 500_000_000);
  for (const r of recs) {
    assert.equal(r.source, KUBELET_SUMMARY_SOURCE);
    assert.equal(r.ts, '2026-12-02T10:00:10.000Z');
    assert.equal(r.windowMs, 10_000);
    assert.equal(r.node, 'outage-lab-worker');
  }
  // The kubelet had not refreshed: same time, no new samples. A restarted counter: no negative rate.
  assert.deepEqual(rates.records(summary('2026-12-02T10:00:10Z', { node: 5e9, kubelet: 3e8, runtime: 1e9, pod: 2e8 })), []);
  assert.deepEqual(rates.records(summary('2026-12-02T10:00:20Z', { node: 1e9, kubelet: 1e8, runtime: 1e8, pod: 1e8 })), []);
});

/** The synthetic run plus kubelet-summary records for `nodes`, at other instants and ten times the cores. */
function withKubelet(nodes: string[], dropDocker: string[] = []): HistoryRecord[] {
  const r = syntheticRun({ gaps: false });
  const extra: HistoryRecord[] = [];
  for (const rec of r.records) {
    if (rec.type !== 'cpu' || !nodes.includes(rec.node) || rec.scope === 'pod') continue;
    extra.push({ ...rec, source: KUBELET_SUMMARY_SOURCE, ts: new Date(Date.parse(rec.ts) + 300).toISOString(), cores: rec.cores * 10 });
  }
  return [...r.records.filter((x) => !(x.type === 'cpu' && dropDocker.includes(x.node))), ...extra];
}

test('analysis reads each node\u2019s CPU from one source: the Docker sampler where it saw the node, else the kubelet\u2019s', () => {
  const r = syntheticRun({ gaps: false });
  const plain = analyzeRun({ records: r.records, scenario: r.scenario });
  const nodes = plain.summary.nodes.nodes;
  // Both sources for every node: the analysis is exactly the Docker-only one.
  const both = analyzeRun({ records: withKubelet(nodes), scenario: r.scenario });
  // Compared as text: a structural diff of these series takes minutes to print when they differ.
  const same = (x: unknown, y: unknown, what: string) => assert.ok(JSON.stringify(x) === JSON.stringify(y), `${what} differ with both sources`);
  same(both.series.cpu, plain.series.cpu, 'CPU series');
  same(both.summary.cpu, plain.summary.cpu, 'CPU metrics');
  same(both.summary.runtime, plain.summary.runtime, 'runtime metrics');
  // One node seen only by the kubelet: its series are the kubelet's, the others still Docker's.
  const only = nodes[1]!;
  const mixed = analyzeRun({ records: withKubelet([only], [only]), scenario: r.scenario });
  const peak = (a: typeof plain, node: string) => a.summary.cpu.perNode[node]!.node!.peak as number;
  assert.ok(Math.abs(peak(mixed, only) - 10 * peak(plain, only)) < 1e-9, `${peak(mixed, only)} vs 10 x ${peak(plain, only)}`);
  assert.equal(peak(mixed, nodes[2]!), peak(plain, nodes[2]!));
});

test('a blind kubelet sampler blinds only the nodes whose CPU it supplies', () => {
  const r = syntheticRun({ gaps: false });
  const nodes = analyzeRun({ records: r.records, scenario: r.scenario }).summary.nodes.nodes;
  const [a, b] = [nodes[1]!, nodes[2]!];
  const t = r.records.find((x) => x.type === 'phase')!.ts;
  const gap = (node: string): HistoryRecord => ({ type: 'gap', source: KUBELET_SUMMARY_SOURCE, ts: t, seq: 1e9, from: t, to: new Date(Date.parse(t) + 60_000).toISOString(), reason: 'sampler-error', affects: ['cpu'], node });
  // a: Docker and kubelet, b: kubelet only; the kubelet sampler was blind on both.
  const recs = [...withKubelet([a, b], [b]), gap(a), gap(b)];
  const an = analyzeRun({ records: recs, scenario: r.scenario });
  assert.equal(typeof an.summary.cpu.perNode[a]!.node!.peak, 'number', 'the Docker sampler saw a throughout');
  assert.equal(typeof an.summary.cpu.perNode[b]!.node!.peak, 'object', 'b was read from the blind kubelet sampler: unknown');
  assert.ok(an.summary.gaps.some((g) => g.node === a && g.source === KUBELET_SUMMARY_SOURCE), 'the report still lists every blind spot');
});

test('LAB_CPU_SOURCES picks the recorder\u2019s CPU sources and refuses anything else in one line', () => {
  assert.deepEqual(cpuSourcesFromEnv(undefined), ['docker', 'kubelet']);
  assert.deepEqual(cpuSourcesFromEnv('kubelet'), ['kubelet']);
  assert.deepEqual(cpuSourcesFromEnv(' docker , kubelet,docker'), ['docker', 'kubelet']);
  assert.throws(() => cpuSourcesFromEnv('cadvisor'), (e: unknown) => e instanceof LabError && /allowed: .*docker, kubelet/.test(e.hint ?? ''));
  assert.throws(() => cpuSourcesFromEnv(','), LabError);
});

test('a node whose kubelet does not answer is a gap for that node only, closed at its next answer', async () => {
  let t = 0;
  let bDown = true;
  // A stand-in for the API server's node proxy: pure bookkeeping is under test, not the kubelet.
  const core = {
    listNode: async () => ({ items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] }),
    connectGetNodeProxyWithPath: async ({ name }: { name: string; path: string }) => {
      if (name === 'b' && bDown) throw new Error('proxy error: 502');
      const s = summary(new Date(Date.UTC(2026, 11, 2, 10, 0, t)).toISOString(), { node: t * 1e9, kubelet: t * 1e8, runtime: t * 1e8, pod: t * 1e7 });
      return JSON.stringify({ ...s, node: { ...s.node, nodeName: name } });
    },
  };
  const out: RecordInput[] = [];
  const sampler = new KubeletSummarySampler(core as never, (r) => out.push(r));
  assert.deepEqual((await sampler.sample()).map((m) => m.node), ['b']);
  t = 10;
  await sampler.sample();
  bDown = false;
  t = 20;
  assert.deepEqual(await sampler.sample(), []);
  t = 30;
  await sampler.sample();
  const gaps = out.filter((r): r is GapRecord & RecordInput => r.type === 'gap');
  assert.equal(gaps.length, 2, 'one opening and one closing record, not one per failed sweep');
  assert.ok(gaps.every((g) => g.node === 'b' && g.source === KUBELET_SUMMARY_SOURCE && g.affects?.[0] === 'cpu'));
  assert.equal(gaps[0]!.to, undefined);
  assert.equal(gaps[1]!.from, gaps[0]!.from);
  assert.ok(gaps[1]!.to);
  const nodeCpu = (n: string) => out.filter((r) => r.type === 'cpu' && r.node === n && r.scope === 'node') as CpuRecord[];
  assert.equal(nodeCpu('a').length, 3, 'a: a rate from every reading after the first');
  assert.equal(nodeCpu('b').length, 1, 'b: a rate once it answered twice');
  assert.equal(nodeCpu('a')[0]!.cores, 1);
});
