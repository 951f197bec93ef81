// `lab compare` puts what users felt beside the platform's figures: the requests each run's figures stand
// on (n), error minutes, the worst minute, users' recovery and the stale LB; a run that sent no traffic
// says "not measured" there, never 0 and never "unknown" (which means a blind recorder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun } from '../../src/analysis/analyze.ts';
import { USER_METRICS, metricByKey } from '../../src/analysis/catalog.ts';
import { COMPARE_KEYS, compareTable, renderComparePage, type CompareRun } from '../../src/report/compare-page.ts';
import { syntheticRun, type SyntheticOptions } from '../fixtures/synthetic-run.ts';

const compareRun = (opts: SyntheticOptions): CompareRun => {
  const run = syntheticRun({ gaps: false, ...opts });
  return { id: run.runId, analysis: analyzeRun({ records: run.records, scenario: run.scenario }), scenario: run.scenario };
};

test('lab compare: users\u2019 figures with their n; "not measured" for a run without traffic', () => {
  assert.deepEqual(COMPARE_KEYS.filter((k) => k.startsWith('user') || k === 'lbLongestStaleMs'), ['userRequests', ...USER_METRICS]);
  const runs = [compareRun({ seed: 1, variants: ['users'] }), compareRun({ seed: 2, variants: ['users'], failingNodes: 0, floodIntensity: 0.4 }), compareRun({ seed: 3 })];
  const [a, b] = runs.map((r) => r.analysis.summary.users);
  assert.ok(a && b && runs[2]!.analysis.summary.users === undefined);
  const table = compareTable(runs, 400);
  const row = (key: string) => table.split('\n').find((l) => l.startsWith(metricByKey(key).label))!;
  const n = (x: number) => x.toLocaleString('en-US');
  assert.match(row('userRequests'), new RegExp(`\\s${n(a.total.sent)}\\s+${n(b.total.sent)}\\s+not measured$`));
  assert.match(row('userErrorMinutes'), new RegExp(`\\s${a.errorMinutes}\\s+${b.errorMinutes}\\s+not measured$`));
  for (const k of ['userWorstMinuteShare', 'userRecoveryMs', 'lbLongestStaleMs']) assert.match(row(k), /\s\S+\s+\S+\s+not measured$/, k);
  assert.match(table, /\nnot measured \(users\): the run sent no users’ traffic through the LB \(`--variant users` sends it\)\.$/m);
  const page = renderComparePage(runs, 0);
  const label = metricByKey('userErrorMinutes').label;
  const tr = page.slice(page.indexOf(`<tr><td>${label}`), page.indexOf('</tr>', page.indexOf(`<tr><td>${label}`)) + 5);
  assert.match(tr, /<td class="num"><span class="notmeasured" title="not measured: the run sent no traffic through the LB">not measured<\/span><\/td><\/tr>$/);
  assert.doesNotMatch(tr, /<b><span class="notmeasured"/, 'the run without traffic is never the best');
  assert.match(page, new RegExp(`<tr><td>users’ requests through the LB over the phases \\(n\\)</td><td class="num">${n(a.total.sent)}</td>`));
});
