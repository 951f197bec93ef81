// What else ran on the machine, per phase: the host sampler's records summarised (load, busy cores, other
// processes, top names by CPU-seconds), blind phases as unknowns, foreign clusters as "not measured", runs
// from before the sampler without the section; and where a reader meets it: the run page, the answers and
// the comparison, which name the runs measured beside other work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun, summaryToJson } from '../../src/analysis/analyze.ts';
import { answersMarkdown, buildAnswers, groupRuns, type RunRef } from '../../src/analysis/answers.ts';
import { HOST_METRICS, metricByKey, notMeasuredText } from '../../src/analysis/catalog.ts';
import { floodDisturbance, HOST_DISTURBED_CORES, HOST_NOT_RECORDED, type HostMetrics } from '../../src/analysis/host.ts';
import { isUnknown, unknown } from '../../src/analysis/unknown.ts';
import { compareTable, renderComparePage, type CompareRun } from '../../src/report/compare-page.ts';
import { renderRunReport } from '../../src/report/run-page.ts';
import { syntheticRun, type SyntheticOptions } from '../fixtures/synthetic-run.ts';
import { at, history, phases } from './analysis-helpers.ts';

const host = (t: number, otherCores: number, top: { name: string; cores: number; procs: number }[] = [], load1 = 1) =>
  ({ t, type: 'host-load', source: 'sampler/host', load1, load5: 1, load15: 1, cpus: 2, windowMs: 5_000, busyCores: 1 + otherCores, containerCores: 0.9, engineCores: 0.05, kernelCores: 0.01, labCores: 0.04, otherCores, top }) as const;

/** Every 5 s from 5 to 300; in the flood (120-180) a compile at 0.9 cores in the four samples 125-140. */
function hostHistory(skip: (t: number) => boolean = () => false) {
  const recs = [];
  for (let t = 5; t <= 300; t += 5) {
    if (skip(t)) continue;
    const compiling = t >= 125 && t <= 140;
    const top = [...(compiling ? [{ name: 'node tsc', cores: 0.9, procs: 1 }] : []), { name: 'sshd', cores: 0.02, procs: 1 }];
    recs.push(host(t, compiling ? 0.95 : 0.05, top, compiling ? 3 : t / 100));
  }
  return recs;
}

const near = (a: unknown, b: number) => assert.ok(typeof a === 'number' && Math.abs(a - b) < 1e-9, `${JSON.stringify(a)} ≠ ${b}`);

test('per phase: load, busy and other cores p50/max, and the other processes by CPU-seconds', () => {
  const s = analyzeRun({ records: history(...phases(), ...hostHistory()) }).summary;
  const h = s.host!;
  assert.equal(h.measured, true);
  assert.equal(h.cpus, 2);
  assert.equal(h.floodPhase, 'flood');
  assert.deepEqual(Object.keys(h.byPhase), ['baseline', 'hold', 'flood', 'observe'], 'lasting phases only');
  const f = h.byPhase.flood!;
  // 120, 125, ..., 175: twelve samples (180 belongs to observe), four of them compiling.
  assert.equal(f.samples, 12);
  near(f.otherCores.p50, 0.05);
  near(f.otherCores.max, 0.95);
  near(f.load1.max, 3);
  near(f.busyCores.max, 1.95);
  assert.deepEqual(f.top.map((x) => x.name), ['node tsc', 'sshd']);
  near(f.top[0]!.cpuSeconds, 0.9 * 5 * 4);
  near(f.top[1]!.cpuSeconds, 0.02 * 5 * 12);
  const b = h.byPhase.baseline!;
  assert.equal(b.samples, 11, '5..55 (60 starts hold)');
  near(b.otherCores.max, 0.05);
  near(b.load1.p50, 0.3);
  assert.deepEqual(b.top.map((x) => x.name), ['sshd']);
  // The flood's figures, as the comparison and the answers read them.
  near(metricByKey('hostOtherCoresFloodMax').get(s), 0.95);
  near(metricByKey('hostOtherCoresFloodP50').get(s), 0.05);
  near(metricByKey('hostLoadFloodMax').get(s), 3);
  const d = floodDisturbance(h);
  assert.equal(d.status, 'disturbed');
  // summary.json carries it as plain numbers.
  const json = JSON.parse(summaryToJson(s));
  assert.equal(json.host.byPhase.flood.otherCores.max, 0.95);
  assert.equal(json.host.byPhase.flood.top[0].name, 'node tsc');
});

test('a phase the sampler was blind in: unknown, the max a lower bound; the flood still counts as disturbed by what was seen', () => {
  // The sampler failed from 150 s and recovered at 171 s: its own gap record, opened then closed.
  const gap = [
    { t: 150, type: 'gap', source: 'sampler/host', from: at(150), reason: 'sampler-error', error: 'EMFILE' },
    { t: 171, type: 'gap', source: 'sampler/host', from: at(150), to: at(171), reason: 'sampler-error' },
  ] as never[];
  const recs = history(...phases(), ...hostHistory((t) => t >= 150 && t <= 170), ...gap);
  const h = analyzeRun({ records: recs }).summary.host!;
  const f = h.byPhase.flood!;
  assert.ok(isUnknown(f.otherCores.max));
  assert.equal(isUnknown(f.otherCores.max) && f.otherCores.max.bound, 'lower');
  assert.equal(isUnknown(f.otherCores.max) && f.otherCores.max.observed, 0.95);
  // The silence (145 to 175) and the sampler's own gap (150 to 171) both say so; the first is named.
  assert.match(isUnknown(f.otherCores.p50) ? f.otherCores.p50.reason : '', /^host sampler blind: silence in sampler\/host T\+1m25s\.\.T\+1m55s: no host-load record for 30 s \(period 5000 ms\) \(\+1 more\)$/);
  assert.equal(isUnknown(f.otherCores.p50) && f.otherCores.p50.bound, undefined, 'a median with samples missing has no bound');
  assert.equal(typeof h.byPhase.baseline!.otherCores.max, 'number', 'other phases are not blinded');
  assert.equal(floodDisturbance(h).status, 'disturbed', 'what was seen already passed the threshold');
  // Blind and quiet so far: not called quiet.
  const quiet = analyzeRun({ records: history(...phases(), ...hostHistory((t) => (t >= 125 && t <= 140) || (t >= 150 && t <= 170)), ...gap) }).summary.host!;
  assert.equal(floodDisturbance(quiet).status, 'unknown');
});

test('the threshold: above 0.25 cores is disturbed, 0.25 itself is not; no flood phase is unknown', () => {
  const metrics = (max: number): HostMetrics => ({
    measured: true,
    cpus: 2,
    floodPhase: 'flood',
    byPhase: { flood: { samples: 3, load1: { p50: 1, max: 1 }, busyCores: { p50: 1, max: 1 }, otherCores: { p50: 0.1, max }, top: [{ name: 'cc1', cpuSeconds: 3 }] } },
  });
  assert.equal(HOST_DISTURBED_CORES, 0.25);
  assert.equal(floodDisturbance(metrics(0.25)).status, 'quiet');
  assert.equal(floodDisturbance(metrics(0.2501)).status, 'disturbed');
  assert.equal(floodDisturbance({ ...metrics(1), floodPhase: null }).status, 'unknown');
  assert.equal(floodDisturbance(undefined).status, 'unknown');
});

test('a foreign cluster: "not measured" and why; a run from before the sampler: no section, "not recorded"', () => {
  const why = 'the nodes are not containers on this machine (a foreign cluster): what else ran beside them is not measured';
  const foreign = analyzeRun({ records: history(...phases(), { t: 0, type: 'gap', source: 'sampler/host', from: at(0), reason: 'unsupported', affects: ['host-load'], error: why } as never) }).summary;
  assert.deepEqual(foreign.host, { measured: false, notMeasured: why, cpus: null, byPhase: {}, floodPhase: 'flood' });
  const fv = metricByKey('hostOtherCoresFloodMax').get(foreign);
  assert.equal(notMeasuredText(fv), 'not measured');
  assert.match(isUnknown(fv) ? fv.reason : '', /^not measured: the nodes are not containers/);
  assert.equal(floodDisturbance(foreign.host).status, 'unknown');

  const old = analyzeRun({ records: history(...phases()) }).summary;
  assert.equal(old.host, undefined);
  assert.ok(!('host' in JSON.parse(summaryToJson(old))), 'summary.json of an older run is what it was');
  for (const k of HOST_METRICS) assert.equal(notMeasuredText(metricByKey(k).get(old)), 'not recorded');
  assert.equal(notMeasuredText(unknown('node watch blind')), null, 'a blind recorder stays "unknown"');
  assert.equal(notMeasuredText(0), null);
});

function synth(opts: SyntheticOptions): { run: ReturnType<typeof syntheticRun>; ref: RunRef } {
  const run = syntheticRun({ gaps: false, ...opts });
  return { run, ref: { id: run.runId, summary: analyzeRun({ records: run.records, scenario: run.scenario }).summary } };
}

test('the run page: "What else ran on this machine" per phase, or why it was not measured or recorded', () => {
  const page = (opts: SyntheticOptions) => {
    const { run } = synth(opts);
    return renderRunReport({ analysis: analyzeRun({ records: run.records, scenario: run.scenario }), scenario: run.scenario, versions: run.versions, runId: run.runId, synthetic: true, generatedAt: 0 });
  };
  const busy = page({ seed: 2, host: 'busy' });
  assert.match(busy, /<h3>What else ran on this machine<\/h3> <span class="pill warn">flood measured beside other work: more than 0.25 cores<\/span>/);
  assert.match(busy, /<tr><td>flood<\/td><td class="num">36<\/td>.*?<span class="mono">node tsc<\/span> 54 CPU-s, <span class="mono">sshd<\/span> 3.6 CPU-s<\/td><\/tr>/);
  assert.match(page({ seed: 1, host: 'quiet' }), /<span class="pill good">flood: other processes at most 0.25 cores<\/span>/);
  assert.match(page({ seed: 1, host: 'not-measured' }), /<p class="notmeasured">Not measured: the nodes are not containers on this machine \(a foreign cluster\)/);
  assert.match(page({ seed: 1 }), /What else ran on this machine<\/h3><p class="muted">Not recorded: this run was recorded before the host sampler existed\.<\/p>/);
});

test('the answers: per arm, the runs measured beside other work, named with what ran; nothing where every run was quiet', () => {
  const ref = [synth({ seed: 1, host: 'quiet' }), synth({ seed: 2, host: 'busy' }), synth({ seed: 3 })].map((x) => x.ref);
  const ds = [1, 2].map((seed) => synth({ seed, variants: ['daemonset'], failingNodes: 1, floodIntensity: 0.6, host: 'quiet' }).ref);
  const a = buildAnswers(groupRuns([...ref, ...ds]).groups);
  const q3 = a.questions.find((q) => q.id === 'q3')!;
  const notes = q3.findings.filter((f) => f.text.startsWith('Other work on the machine'));
  assert.equal(notes.length, 1, 'the DaemonSet runs were all quiet');
  const busy = ref[1]!.id;
  assert.equal(
    notes[0]!.text,
    `Other work on the machine, sidecars (n = 3): in 1 of 3 runs processes outside the containers and the lab used more than 0.25 cores during the flood, so their figures may be disturbed: ${busy}: other processes above 0.25 cores in the flood (max 0.950 cores, p50 0.050 cores; most CPU: node tsc 54 CPU-s, sshd 3.6 CPU-s). Not known for 1 more (${ref[2]!.id}: not measured or not recorded). [runs: ${busy}]`,
  );
  assert.deepEqual(notes[0]!.runs, [busy]);
  // Every question the reference arm answers says it, and the Markdown carries it.
  for (const q of a.questions.filter((x) => x.arms.some((arm) => arm.runs.includes(busy)))) assert.ok(q.findings.some((f) => f.text.includes(`${busy}: other processes above`)), q.id);
  assert.match(answersMarkdown(a), /- Other work on the machine, sidecars \(n = 3\): in 1 of 3 runs/);
  // The host figures are context, not compared between arms.
  for (const q of a.questions) for (const k of HOST_METRICS) assert.ok(!q.metrics.includes(k));
  const quietOnly = buildAnswers(groupRuns([ref[0]!, ref[2]!, ...ds]).groups);
  assert.ok(!quietOnly.questions.some((q) => q.findings.some((f) => f.text.startsWith('Other work on the machine'))));
});

test('lab compare: the host rows ("not recorded" for a run from before the sampler), and the runs measured beside other work named', () => {
  const runs: CompareRun[] = [synth({ seed: 1, host: 'quiet' }), synth({ seed: 2, host: 'busy' }), synth({ seed: 3 })].map(({ run }) => ({
    id: run.runId,
    analysis: analyzeRun({ records: run.records, scenario: run.scenario }),
    scenario: run.scenario,
  }));
  const table = compareTable(runs, 400);
  const row = (label: string) => table.split('\n').find((l) => l.startsWith(label))!;
  assert.match(row('other processes on the host in flood, max'), /\s0\.050 cores\s+0\.950 cores\s+not recorded$/);
  assert.match(row('other processes on the host in flood, p50'), /\s0\.050 cores\s+0\.050 cores\s+not recorded$/);
  assert.match(row('host load average (1 min) in flood, max'), /\s1\.200\s+3\.400\s+not recorded$/);
  assert.match(table, /^not recorded: the run predates the host sampler\.$/m);
  assert.match(table, new RegExp(`Measured beside other work on the machine:\\n  #2 ${runs[1]!.id}: other processes above 0\\.25 cores in the flood \\(max 0\\.950 cores, p50 0\\.050 cores; most CPU: node tsc 54 CPU-s, sshd 3\\.6 CPU-s\\); its figures may be disturbed$`));
  assert.doesNotMatch(table, /#1 [^\n]*its figures may be disturbed/, 'the quiet run is not named');
  const page = renderComparePage(runs, 0);
  assert.match(page, /<span class="notmeasured" title="what else ran on the machine was not recorded in this run[^"]*">not recorded<\/span>/);
  assert.match(page, new RegExp(`<p><b>Measured beside other work on the machine:</b></p><ul><li>#2 ${runs[1]!.id}: other processes above 0.25 cores`));
  assert.ok(HOST_NOT_RECORDED.startsWith('what else ran'));
});
