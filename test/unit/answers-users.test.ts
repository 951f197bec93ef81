// Every answer states what users felt with its n; a run that sent no traffic through the LB is "not
// measured" there, never 0 and never a blind recorder. Synthetic runs only: the wording is under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun } from '../../src/analysis/analyze.ts';
import { answersMarkdown, buildAnswers, describeSpread, groupRuns, type RunRef } from '../../src/analysis/answers.ts';
import { metricByKey, USER_METRICS } from '../../src/analysis/catalog.ts';
import { QUESTIONS } from '../../src/analysis/questions/index.ts';
import { syntheticRun, type SyntheticOptions } from '../fixtures/synthetic-run.ts';

function run(opts: SyntheticOptions): RunRef {
  const r = syntheticRun({ gaps: false, ...opts });
  return { id: r.runId, summary: analyzeRun({ records: r.records, scenario: r.scenario }).summary };
}

const plain = [1, 2, 3].map((seed) => run({ seed }));
const users = [1, 2, 3].map((seed) => run({ seed, variants: ['users'] }));
const daemonset = [1, 2].map((seed) => run({ seed, variants: ['daemonset'], failingNodes: 1, floodIntensity: 0.6 }));
const backoffUsers = [1, 2].map((seed) => run({ seed, variants: ['shipper-backoff', 'users'], failingNodes: 0, floodIntensity: 0.4 }));
const errorMinutes = metricByKey('userErrorMinutes');

test('every question lists the four figures of what users felt', () => {
  for (const q of QUESTIONS) for (const k of USER_METRICS) assert.ok(q.metrics.includes(k), `${q.id} lists ${k}`);
  assert.equal(errorMinutes.label, 'user-facing error minutes (more than 5 % of requests failed)');
  assert.equal(errorMinutes.better, 'lower');
});

test('runs without traffic: "not measured (no traffic through the LB)" in every answer, never 0, never compared', () => {
  const a = buildAnswers(groupRuns([...plain, ...daemonset]).groups);
  for (const q of a.questions.filter((x) => x.measured)) {
    const note = q.findings.find((f) => f.text.startsWith('What users felt'));
    assert.ok(note, `${q.id} says what users felt`);
    assert.match(note.text, /^What users felt: not measured in these runs \(no traffic through the LB\); a replay with `--variant users` sends it\./);
    for (const k of USER_METRICS) {
      assert.ok(!q.findings.some((f) => f.text.startsWith(metricByKey(k).label)), `${q.id}: no comparison of ${k}`);
      for (const arm of q.arms.filter((x) => x.runs.length)) assert.equal(describeSpread(arm.metrics[k]!), 'not measured (no traffic through the LB)');
    }
  }
  const md = answersMarkdown(a);
  assert.match(md, /\| user-facing error minutes \(more than 5 % of requests failed\) \| not measured \(no traffic through the LB\) \| not measured \(no traffic through the LB\) \|/);
  assert.doesNotMatch(md, /user-facing error minutes[^\n]*\| 0 \|/);
});

test('runs with traffic: each arm\u2019s error minutes, worst minute and recovery beside the platform\u2019s, with n', () => {
  const a = buildAnswers(groupRuns([...users, ...daemonset, ...backoffUsers]).groups);
  const q3 = a.questions.find((q) => q.id === 'q3')!;
  const side = q3.findings.find((f) => f.text.startsWith('What users felt, sidecars'))!;
  assert.match(
    side.text,
    /^What users felt, sidecars \(n = 3\): user-facing error minutes \(more than 5 % of requests failed\): median 3 \(min–max 3–3\)\. Share of requests failed in the worst minute: median [\d.]+ % \(min–max [\d.–]+ %\)\. Users’ traffic back after the restore: median \S+ \(min–max [^)]+\) \(the platform: median \S+ \(min–max [^)]+\)\)\. Longest stale LB config: median \S+ \(min–max [^)]+\)\. \[runs: /,
  );
  assert.deepEqual(side.runs, users.map((r) => r.id));
  const ds = q3.findings.find((f) => f.text.startsWith('What users felt, DaemonSets'))!;
  assert.match(ds.text, /^What users felt, DaemonSets \(n = 2\): not measured \(no traffic through the LB\)\. \[runs: /);
  // DaemonSets cannot carry traffic yet: nothing is compared, the other figures still are.
  assert.ok(!q3.findings.some((f) => f.text.startsWith(errorMinutes.label)));
  assert.match(q3.findings.find((f) => f.kind === 'verdict')!.text, /of 11 metrics/);
  // Both sides measured: compared like any metric, with n.
  const q1 = a.questions.find((q) => q.id === 'q1')!;
  const cmp = q1.findings.find((f) => f.text.startsWith(errorMinutes.label))!;
  assert.match(cmp.text, /\(n = 2 vs 3\): jittered backoff median 0 vs naive shipper median 3: lower in all runs \(2 vs 3\), ranges 0–0 vs 3–3 \(better\)$/);
  // q5's containerd arm (the naive sidecar reference) says what its users felt, with its n.
  const q5 = a.questions.find((q) => q.id === 'q5')!;
  assert.ok(q5.findings.some((f) => /^What users felt, containerd, naive sidecars \(n = 3\): user-facing error minutes \(more than 5 % of requests failed\): median 3 \(min–max 3–3\)\. /.test(f.text)), q5.findings.map((f) => f.text).join('\n'));
});

test('an arm mixing runs with and without traffic counts the unmeasured apart from the median', () => {
  const a = buildAnswers(groupRuns([users[0]!, users[1]!, plain[2]!]).groups);
  const naive = a.questions.find((q) => q.id === 'q1')!.arms.find((x) => x.arm === 'naive')!;
  assert.equal(describeSpread(naive.metrics[errorMinutes.key]!), 'median 3 (min–max 3–3) over 2 of 3 runs; not measured in 1 of 3 runs (no traffic through the LB)');
});
