// Question 5 as data: Docker against containerd with the same workload, DaemonSets on Docker; question 3
// on both runtimes. Which runs land in which arm, what the lead line says about NotReady and its messages,
// that nothing is called without n >= 2 a side and ranges apart, and that `lab matrix` plans the arms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyzeRun } from '../../src/analysis/analyze.ts';
import { buildAnswers, groupRuns, measureCommand, type RunRef } from '../../src/analysis/answers.ts';
import type { RuntimeHealthMetrics } from '../../src/analysis/runtime-health.ts';
import { MATRIX, planMatrix } from '../../src/controller/matrix-plan.ts';
import { validateScenario } from '../../src/scenario/validate.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { syntheticRun } from '../fixtures/synthetic-run.ts';

const TARGET = path.join(repoRoot, 'lab', 'scenarios', 'target-2019.yaml');

function synth(seed: number, variants: string[] = []): RunRef {
  const r = syntheticRun({ seed, gaps: false, variants });
  return { id: `${r.runId}-${seed}`, summary: analyzeRun({ records: r.records, scenario: r.scenario }).summary };
}

const base = synth(1);
/** A run with hand-set NotReady stretches (cause names as the analysis derives them) and flood PLEG p99. */
function run(id: string, o: { runtime?: 'docker'; variant?: 'daemonset'; notReady?: string[][]; plegP99?: number | null }): RunRef {
  const s = structuredClone(base.summary);
  s.scenario = {
    ...s.scenario!,
    ...(o.runtime ? { runtime: o.runtime } : {}),
    ...(o.variant ? { variant: o.variant } : {}),
    variants: [...(o.variant ? [o.variant] : ['sidecar']), ...(o.runtime ? ['docker-runtime'] : [])],
  };
  const flood = s.floodAt!;
  const stretches = (o.notReady ?? []).map((causes, i) => ({ node: `w${i}`, from: flood + 60_000, to: flood + 120_000, open: false, reason: 'KubeletNotReady', messages: [], causes }));
  s.nodes.notReadyIntervals = stretches.map(({ node, from, to, open, reason }) => ({ node, from, to, open, reason }));
  s.nodes.maxSimultaneousNotReady = stretches.length;
  const none = { unknown: true as const, reason: 'not set' };
  const health: RuntimeHealthMetrics = {
    recorded: { runtimeProbe: true, pleg: true, leases: true, conditionMessages: true },
    absentMetrics: {},
    nodes: [],
    notReady: stretches,
    floodPhase: 'flood',
    flood: { probeP99Ms: none, plegRelistP99Ms: o.plegP99 === null ? { unknown: true, reason: 'no PLEG metrics recorded for w1' } : (o.plegP99 ?? 12), plegLongestIntervalMs: none },
    leaseGapMaxMs: 10_000,
  };
  s.runtimeHealth = health;
  return { id, summary: s };
}

test('groupRuns: Docker runs are their own arms in q5 and q3, DaemonSets on Docker too; a third change is unused', () => {
  const containerd = [synth(1), synth(2)];
  const docker = [synth(3, ['docker-runtime']), synth(4, ['docker-runtime'])];
  const dockerDs = [synth(5, ['docker-runtime', 'daemonset'])];
  const dockerApi = [synth(7, ['docker-runtime', 'docker-api-logs'])];
  const other = synth(6, ['docker-runtime', 'shipper-backoff']);
  assert.equal(docker[0]!.summary.scenario!.runtime, 'docker');
  assert.equal(containerd[0]!.summary.scenario!.runtime, undefined, 'containerd keys stay as they were');
  const g = groupRuns([...containerd, ...docker, ...dockerDs, ...dockerApi, other]);
  const ids = (rs: RunRef[] | undefined) => (rs ?? []).map((r) => r.id);
  assert.deepEqual(ids(g.groups.q5?.containerd), ids(containerd));
  assert.deepEqual(ids(g.groups.q5?.docker), ids(docker));
  assert.deepEqual(ids(g.groups.q5?.['docker-daemonset']), ids(dockerDs));
  assert.deepEqual(ids(g.groups.q5?.['docker-api']), ids(dockerApi), 'Docker sidecars reading through dockerd are their own arm');
  assert.equal(ids(g.groups.q5?.docker).includes(dockerApi[0]!.id), false);
  assert.deepEqual(ids(g.groups.q3?.sidecar), ids(containerd), 'a Docker run is no longer read as the containerd reference');
  assert.deepEqual(ids(g.groups.q3?.docker), ids(docker));
  assert.deepEqual(ids(g.groups.q3?.['docker-daemonset']), ids(dockerDs));
  assert.equal(g.groups.q3?.daemonset, undefined, 'DaemonSets on Docker are not DaemonSets on containerd');
  assert.deepEqual(g.unused.map((u) => u.id), [other.id]);
  assert.match(g.unused[0]!.why, /differs from the reference in runtime, shipperMode/);
});

test('q5 lead: whether NotReady emerged per arm, and in how many runs each condition message appeared', () => {
  const a = buildAnswers({
    q5: {
      containerd: [run('c1', {}), run('c2', {}), run('c3', {})],
      docker: [
        run('d1', { runtime: 'docker', notReady: [['PLEG is not healthy', 'container runtime is down'], ['PLEG is not healthy']] }),
        run('d2', { runtime: 'docker', notReady: [['container runtime is down']] }),
        run('d3', { runtime: 'docker' }),
      ],
    },
  });
  const q5 = a.questions.find((q) => q.id === 'q5')!;
  const lead = q5.findings.filter((f) => f.kind === 'verdict').map((f) => f.text);
  assert.equal(lead[0], 'containerd, naive sidecars (n = 3): a node went NotReady after the cut in 0 of 3 runs. [runs: c1, c2, c3]');
  assert.equal(
    lead[1],
    'Docker, naive sidecars (n = 3): a node went NotReady after the cut in 2 of 3 runs; condition messages: \u201ccontainer runtime is down\u201d in 2 of 3 runs, \u201cPLEG is not healthy\u201d in 1 of 3 runs. [runs: d1, d2, d3]',
  );
  assert.ok(q5.notMeasured.some((n) => n === 'Docker, DaemonSets: not measured (no completed runs); to measure it: `npx lab matrix --only docker-runtime+daemonset`'));
  assert.equal(measureCommand('docker'), '`npx lab matrix --only docker-runtime`');
});

test('q5 wording: nothing called with one run a side; with 3 a side, only ranges apart are called; unknown is never a number', () => {
  const one = buildAnswers({ q5: { containerd: [run('c1', { plegP99: 10 })], docker: [run('d1', { runtime: 'docker', plegP99: 900 })] } }).questions.find((q) => q.id === 'q5')!;
  const pleg1 = one.findings.find((f) => f.text.startsWith('PLEG relist p99 in flood'))!.text;
  assert.equal(pleg1, 'PLEG relist p99 in flood (worst node) (n = 1 each): in the one run each: Docker, naive sidecars 900 ms vs containerd, naive sidecars 10 ms (no spread yet)');
  for (const f of one.findings) assert.doesNotMatch(f.text, /\((better|worse)\)|better on \d/, f.text);

  const three = (docker: number[]) =>
    buildAnswers({
      q5: {
        containerd: [10, 12, 11].map((v, i) => run(`c${i}`, { plegP99: v })),
        docker: docker.map((v, i) => run(`d${i}`, { runtime: 'docker', plegP99: v })),
      },
    }).questions.find((q) => q.id === 'q5')!.findings.find((f) => f.text.startsWith('PLEG relist p99 in flood'))!.text;
  assert.equal(
    three([400, 900, 2000]),
    'PLEG relist p99 in flood (worst node) (n = 3 each): Docker, naive sidecars median 900 ms vs containerd, naive sidecars median 11 ms: higher in all 3 runs, ranges 400 ms–2.0 s vs 10–12 ms (worse)',
  );
  assert.match(three([11, 900, 2000]), /mixed: ranges overlap/);

  const old = buildAnswers({ q5: { containerd: [synth(1), synth(2)], docker: [run('d1', { runtime: 'docker', plegP99: null }), run('d2', { runtime: 'docker', plegP99: 5 })] } }).questions.find((q) => q.id === 'q5')!;
  const arm = old.arms.find((x) => x.arm === 'containerd')!;
  assert.equal(arm.metrics.plegRelistP99Flood!.unknowns, 2, 'runs recorded before PLEG metrics: unknown, not 0');
  assert.equal(arm.metrics.plegRelistP99Flood!.spread, null);
  assert.match(old.findings.find((f) => f.text.startsWith('PLEG relist p99'))!.text, /not called, fewer than 2 runs with a known value/);
});

test('q3 is answered on both runtimes: DaemonSets against sidecars on each, never across runtimes', () => {
  const a = buildAnswers({
    q3: {
      sidecar: [run('c1', {}), run('c2', {})],
      daemonset: [run('cd1', { variant: 'daemonset' }), run('cd2', { variant: 'daemonset' })],
      docker: [run('d1', { runtime: 'docker' }), run('d2', { runtime: 'docker' })],
      'docker-daemonset': [run('dd1', { runtime: 'docker', variant: 'daemonset' }), run('dd2', { runtime: 'docker', variant: 'daemonset' })],
    },
  }).questions.find((q) => q.id === 'q3')!;
  const tallies = a.findings.filter((f) => f.kind === 'verdict').map((f) => f.text);
  assert.equal(tallies.length, 2);
  assert.match(tallies[0]!, /^DaemonSets compared with sidecars \(n = 2 each\)/);
  assert.match(tallies[1]!, /^DaemonSets on Docker compared with sidecars on Docker \(n = 2 each\)/);
  assert.ok(!a.findings.some((f) => /on Docker .* vs sidecars median|DaemonSets median .* vs sidecars on Docker/.test(f.text)), 'no comparison across runtimes');
  // Only one runtime measured: its pair is compared, the other's arms are "not measured".
  const half = buildAnswers({ q3: { docker: [run('d1', { runtime: 'docker' })], 'docker-daemonset': [run('dd1', { runtime: 'docker', variant: 'daemonset' })] } }).questions.find((q) => q.id === 'q3')!;
  assert.match(half.findings.find((f) => f.kind === 'verdict')!.text, /^DaemonSets on Docker compared with sidecars on Docker \(n = 1 each\): not called/);
  assert.ok(half.notMeasured.some((n) => /^sidecars: not measured/.test(n)));
});

test('lab matrix plans the Docker arms for q5 (and q3), each a valid scenario of its own', () => {
  const labels = MATRIX.map((m) => m.label);
  assert.ok(labels.includes('docker-runtime') && labels.includes('docker-runtime+daemonset'));
  const plan = planMatrix(TARGET, ['q5']);
  assert.deepEqual(plan.map((a) => a.label), ['sidecar', 'docker-runtime', 'docker-runtime+daemonset', 'docker-runtime+docker-api-logs']);
  for (const a of plan) assert.equal(a.unsupported, undefined, `${a.label}: ${a.unsupported}`);
  assert.equal(new Set(plan.map((a) => a.hash)).size, 4, 'four different resolved scenarios');
  assert.deepEqual(plan.find((a) => a.label === 'docker-runtime')!.questions, ['q3', 'q5']);
  const docker = validateScenario(TARGET, { variants: ['docker-runtime', 'daemonset'] }).scenario!;
  assert.equal(docker.cluster.runtime, 'docker');
  assert.equal(docker.variant, 'daemonset');
  assert.deepEqual(planMatrix(TARGET, ['q3']).map((a) => a.label), ['sidecar', 'daemonset', 'docker-runtime', 'docker-runtime+daemonset']);
});

test('commands the answers suggest name the scenario when the runs come from one other than target-2019', () => {
  const named = (r: RunRef, name: string): RunRef => ({ ...r, summary: { ...r.summary, scenario: { ...r.summary.scenario!, name } } });
  const texts = (refs: RunRef[]) => buildAnswers(groupRuns(refs).groups).questions.find((q) => q.id === 'q5')!.findings.map((f) => f.text);
  const one = [run('c1', {}), run('d1', { runtime: 'docker' })];
  assert.ok(texts(one.map((r) => named(r, 'target-2019-headroom'))).some((t) => t.includes('`npx lab matrix target-2019-headroom --only sidecar,docker-runtime`')));
  assert.ok(texts(one).some((t) => t.includes('`npx lab matrix --only sidecar,docker-runtime`')), 'the default scenario is not named');
});
