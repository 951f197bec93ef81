// How the answers speak about repeats: n per arm, no verdict from one run, median and min–max with
// non-overlapping ranges as the only "consistent" difference, unknowns outside the median, and arms
// without runs as "not measured" with the command that would measure them. The runs are one synthetic
// summary with hand-set values for the metrics under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeRun } from '../../src/analysis/analyze.ts';
import { MATRIX_LABEL_OF_ARM, answersMarkdown, buildAnswers, describeSpread, measureCommand, type AnswerGroups, type RunRef } from '../../src/analysis/answers.ts';
import { unknown, type Maybe } from '../../src/analysis/unknown.ts';
import { MATRIX, matrixWork, planMatrix, type PlannedArm } from '../../src/controller/matrix-plan.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { syntheticRun, writeSyntheticRunFolder } from '../fixtures/synthetic-run.ts';

const base = (() => {
  const r = syntheticRun({ seed: 1, gaps: false });
  return analyzeRun({ records: r.records, scenario: r.scenario }).summary;
})();

/** A run whose pods rescheduled and time to recover are set by hand (the rest is the synthetic run's). */
function run(id: string, rescheduled: Maybe<number>, recoverMs: Maybe<number | null> = 60_000): RunRef {
  const summary = structuredClone(base);
  summary.pods.rescheduled = rescheduled;
  summary.recovery.timeToRecoverMs = recoverMs;
  return { id, summary };
}

const q3 = (groups: AnswerGroups) => buildAnswers(groups).questions.find((q) => q.id === 'q3')!;
const finding = (q: ReturnType<typeof q3>, metric: string) => q.findings.find((f) => f.text.startsWith(`${metric} (`))!.text;

test('n = 1 vs n = 1: the numbers of the one run each, no better/worse and no "every run"', () => {
  const q = q3({ q3: { sidecar: [run('s1', 9)], daemonset: [run('d1', 0)] } });
  assert.equal(finding(q, 'pods rescheduled'), 'pods rescheduled (n = 1 each): in the one run each: DaemonSets 0 vs sidecars 9 (no spread yet)');
  const tally = q.findings.find((f) => f.kind === 'verdict')!.text;
  assert.match(tally, /^DaemonSets compared with sidecars \(n = 1 each\): not called better or worse on any of 11 metrics/);
  assert.match(tally, /`npx lab matrix --only sidecar,daemonset`/);
  for (const f of q.findings) assert.doesNotMatch(f.text, /every run|\(better\)|\(worse\)|better on \d/, f.text);
  assert.match(answersMarkdown(buildAnswers({ q3: { sidecar: [run('s1', 9)], daemonset: [run('d1', 0)] } })), /\| metric \| sidecars \(n = 1\) \| DaemonSets \(n = 1\) \|\n\|---\|---\|---\|\n/);
});

test('n = 3 vs n = 1: the arm with one run is named and nothing is called', () => {
  const q = q3({ q3: { sidecar: [run('s1', 9)], daemonset: [run('d1', 0), run('d2', 1), run('d3', 0)] } });
  assert.equal(finding(q, 'pods rescheduled'), 'pods rescheduled (n = 3 vs 1): DaemonSets median 0 (min–max 0–1) vs sidecars 9: not called, sidecars has only one run (no spread yet)');
  assert.match(q.findings.find((f) => f.kind === 'verdict')!.text, /since sidecars has only one run/);
});

test('n = 3 without overlap: median, min–max, and "lower in all 3 runs" with both ranges', () => {
  const q = q3({ q3: { sidecar: [run('s1', 9), run('s2', 12), run('s3', 10)], daemonset: [run('d1', 0), run('d2', 0), run('d3', 0)] } });
  assert.equal(finding(q, 'pods rescheduled'), 'pods rescheduled (n = 3 each): DaemonSets median 0 vs sidecars median 10: lower in all 3 runs, ranges 0–0 vs 9–12 (better)');
  const sc = q.arms.find((a) => a.arm === 'sidecar')!;
  assert.equal(describeSpread(sc.metrics.podsRescheduled!), 'median 10 (min–max 9–12)');
  // The other metrics come from the same synthetic run three times: identical values are "the same",
  // identical lower bounds (pressure, not observed throughout) overlap.
  assert.equal(finding(q, 'Consul pool peak size'), 'Consul pool peak size (n = 3 each): DaemonSets median 51 vs sidecars median 51: the same in all 3 runs (51)');
  assert.match(q.findings.find((f) => f.kind === 'verdict')!.text, /\(n = 3 each\): better on 1, worse on 0, the same in every run on 8, mixed \(ranges overlap\) on 2 of 11 metrics/);
});

test('n = 3 with overlapping ranges: "mixed: ranges overlap", not a difference', () => {
  const q = q3({ q3: { sidecar: [run('s1', 4), run('s2', 9), run('s3', 12)], daemonset: [run('d1', 0), run('d2', 5), run('d3', 10)] } });
  assert.equal(finding(q, 'pods rescheduled'), 'pods rescheduled (n = 3 each): DaemonSets median 5 vs sidecars median 9: mixed: ranges overlap (0–10 vs 4–12)');
  assert.match(q.findings.find((f) => f.kind === 'verdict')!.text, /better on 0, worse on 0, the same in every run on 8, mixed \(ranges overlap\) on 3 of 11 metrics/);
});

test('unknown values stay out of the median and are counted: "unknown in k of n runs"', () => {
  const sidecar = [run('s1', 9), run('s2', 10), run('s3', unknown('pod watch gap'))];
  const daemonset = [run('d1', 0), run('d2', 0), run('d3', 0)];
  const q = q3({ q3: { sidecar, daemonset } });
  const sc = q.arms.find((a) => a.arm === 'sidecar')!.metrics.podsRescheduled!;
  assert.deepEqual(sc.spread, { n: 2, min: 9, median: 9.5, max: 10 });
  assert.equal(describeSpread(sc), 'median 9.5 (min–max 9–10) over 2 of 3 runs; unknown in 1 of 3 runs');
  assert.equal(finding(q, 'pods rescheduled'), 'pods rescheduled (n = 3 each): DaemonSets median 0 vs sidecars median 9.5 over 2 of 3 runs; unknown in 1 of 3 runs: lower in all known runs (3 vs 2), ranges 0–0 vs 9–10 (better)');

  // A bound seen by a partly blind recorder is not a value: the median is still over 9 and 10 only.
  const bounded = q3({ q3: { sidecar: [run('s1', 9), run('s2', 10), run('s3', unknown('gap', 50, 'lower'))], daemonset } });
  const b = bounded.arms.find((a) => a.arm === 'sidecar')!.metrics.podsRescheduled!;
  assert.equal(describeSpread(b), 'median 9.5 (min–max 9–10) over 2 of 3 runs; unknown in 1 of 3 runs (at least 50: gap)');

  // A run that ended before recovering is a lower bound too, but not a blind recorder: its own reason is said.
  const ended = unknown('not recovered when the history ends, 495 s after the flood started (timeout 600 s)', 495_000, 'lower');
  const e = q3({ q3: { sidecar: [run('s1', 9), run('s2', ended)], daemonset } }).arms.find((a) => a.arm === 'sidecar')!.metrics.podsRescheduled!;
  assert.equal(describeSpread(e), '9 in 1 of 2 runs; unknown in 1 of 2 runs (at least 495,000: not recovered when the history ends)');
  assert.doesNotMatch(describeSpread(e), /blind/);

  // Only one known run left on a side: not called.
  const thin = q3({ q3: { sidecar: [run('s1', 9), run('s2', unknown('gap')), run('s3', unknown('gap'))], daemonset } });
  assert.match(finding(thin, 'pods rescheduled'), /: not called, fewer than 2 runs with a known value for sidecars$/);
  assert.equal(describeSpread(thin.arms.find((a) => a.arm === 'sidecar')!.metrics.podsRescheduled!), '9 in 1 of 3 runs; unknown in 2 of 3 runs');

  // "not recovered" is counted apart too, and reads as the top of a range.
  const slow = q3({ q3: { sidecar: [run('s1', 9, 300_000), run('s2', 9, null), run('s3', 9, 400_000)], daemonset: [run('d1', 0, 1000), run('d2', 0, 2000), run('d3', 0, 3000)] } });
  assert.equal(finding(slow, 'time to recover'), 'time to recover (n = 3 each): DaemonSets median 2.0 s vs sidecars median 5m50s over 2 of 3 runs; not recovered in 1 of 3 runs: lower in all 3 runs, ranges 1.0–3.0 s vs 5m00s–not recovered (better)');
});

test('an arm without runs is "not measured" with its command, never a zero', () => {
  const a = buildAnswers({ q3: { sidecar: [run('s1', 9)] }, q1: { naive: [run('s1', 9)] } });
  const q = a.questions.find((x) => x.id === 'q3')!;
  assert.deepEqual(q.notMeasured, [
    'DaemonSets: not measured (no completed runs); to measure it: `npx lab matrix --only daemonset`',
    'sidecars on Docker: not measured (no completed runs); to measure it: `npx lab matrix --only docker-runtime`',
    'DaemonSets on Docker: not measured (no completed runs); to measure it: `npx lab matrix --only docker-runtime+daemonset`',
  ]);
  assert.deepEqual(q.arms.find((x) => x.arm === 'daemonset')!.runs, []);
  assert.equal(describeSpread(q.arms.find((x) => x.arm === 'daemonset')!.metrics.podsRescheduled!), 'not measured');
  const md = answersMarkdown(a);
  assert.match(md, /- DaemonSets: not measured \(no completed runs\); to measure it: `npx lab matrix --only daemonset`\n/);
  assert.match(md, /- rate-limited: not measured \(no completed runs\); to measure it: `npx lab matrix --only ratelimited`\n/);
  assert.match(md, /\| metric \| sidecars \(n = 1\) \|\n/, 'no column for an arm without runs');
  const q4 = a.questions.find((x) => x.id === 'q4')!;
  assert.equal(q4.notMeasured.find((n) => n.startsWith('two'))!, 'two half-size clusters: not measured (no completed runs); to measure it: `npx lab matrix --only split-clusters`');
  const q2 = buildAnswers({}).questions.find((x) => x.id === 'q2')!;
  assert.equal(q2.measured, false);
  assert.ok(!q2.notMeasured.some((n) => /encrypted from the start/.test(n)), 'the withdrawn on-from-start arm is not offered');
});

test('the commands in "not measured" name real matrix arms, and the matrix runs the split-clusters arm', () => {
  const labels = new Set(MATRIX.map((m) => m.label));
  for (const [arm, label] of Object.entries(MATRIX_LABEL_OF_ARM)) assert.ok(labels.has(label), `${arm} -> ${label} is not a matrix arm`);
  const split = planMatrix(path.join(repoRoot, 'lab', 'scenarios', 'target-2019.yaml'), ['split-clusters']);
  assert.equal(split.length, 1);
  assert.equal(split[0]!.unsupported, undefined, 'split clusters are a runnable arm');
  assert.equal(measureCommand('two'), '`npx lab matrix --only split-clusters`');
});

test('matrixWork: --report-only reuses completed runs and never plans a replay', () => {
  const arm = (label: string, done: string[], unsupported?: string): PlannedArm => ({ question: 'q3', label, variants: [label], hash: label, done, ...(unsupported ? { unsupported } : {}) });
  const plan = [arm('sidecar', ['runs/s1', 'runs/s2']), arm('daemonset', []), arm('split-clusters', [], 'not implemented')];
  assert.deepEqual(matrixWork(plan, 3, true), { reuse: ['runs/s1', 'runs/s2'], toRun: [] });
  assert.deepEqual(matrixWork(plan, 1, true).reuse, ['runs/s1']);
  const full = matrixWork(plan, 3, false);
  assert.deepEqual(full.toRun.map((t) => `${t.arm.label}#${t.repeat}`), ['sidecar#3', 'daemonset#1', 'daemonset#2', 'daemonset#3']);
});

test('lab matrix --report-only writes the answers from completed runs on disk (no replay)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'matrix-report-'));
  const runs = path.join(dir, 'runs');
  // Both selected arms already have their one run, so even a plain `lab matrix --repeat 1` would not replay.
  for (const [id, variants] of [['2026-11-26T07-51-24Z-target-2019-sidecar', ['sidecar']], ['2026-11-26T08-50-17Z-target-2019-daemonset', ['daemonset']]] as const) {
    const folder = path.join(runs, id);
    writeSyntheticRunFolder(folder, { seed: 1, gaps: false, variants: [...variants] });
    fs.appendFileSync(path.join(folder, 'history.jsonl'), JSON.stringify({ t: Date.UTC(2026, 10, 27), type: 'note', source: 'controller', text: 'run completed' }) + '\n');
  }
  // A run set aside by hand is not used.
  writeSyntheticRunFolder(path.join(runs, '_invalid', 'x'), { seed: 2, gaps: false, variants: ['daemonset'] });
  // Pure: a `docker` first on PATH that only notes it was called (main ran the real `docker image inspect`).
  const fakeBin = path.join(dir, 'bin');
  fs.mkdirSync(fakeBin);
  fs.writeFileSync(path.join(fakeBin, 'docker'), `#!/bin/sh\necho "$@" >> ${JSON.stringify(path.join(dir, 'docker-called'))}\nexit 1\n`, { mode: 0o755 });
  const res = execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), 'matrix', '--report-only', '--repeat', '1', '--only', 'sidecar,daemonset'], {
    env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH ?? ''}`, LAB_RUNS_DIR: runs, LAB_STATE_DIR: path.join(dir, 'state') },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: repoRoot,
  });
  assert.match(res, /- DaemonSets compared with sidecars \(n = 1 each\): not called better or worse/);
  assert.match(res, /- most nodes NotReady at once \(n = 1 each\): in the one run each: DaemonSets \d+ vs sidecars \d+ \(no spread yet\)\n/);
  assert.match(res, /- jittered backoff: not measured \(no completed runs\); to measure it: `npx lab matrix --only backoff`/);
  const pages = fs.readdirSync(runs).filter((f) => /^answers-.*\.html$/.test(f));
  assert.equal(pages.length, 1);
  const page = fs.readFileSync(path.join(runs, pages[0]!), 'utf8');
  assert.match(page, /in the one run each: DaemonSets/);
  assert.match(page, /<code>npx lab matrix --only backoff<\/code>/);
  assert.match(page, /"categories":\["sidecars \(n = 1\)","DaemonSets \(n = 1\)"\]/, 'chart axes carry n');
  assert.ok(!fs.existsSync(path.join(dir, 'state')), 'no replay state was touched');
  assert.ok(!fs.existsSync(path.join(dir, 'docker-called')), `--report-only ran docker: ${fs.existsSync(path.join(dir, 'docker-called')) ? fs.readFileSync(path.join(dir, 'docker-called'), 'utf8') : ''}`);
  assert.equal(fs.readdirSync(runs).filter((f) => !f.startsWith('answers-')).length, 3, 'no new run folder');
});
