// The run page's "What users felt" panel: there when the run sent traffic through the LB, absent otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRunReport } from '../../src/report/build.ts';
import { USERS_CHARTS } from '../../src/report/users-panel.ts';
import { writeSyntheticRunFolder } from '../fixtures/synthetic-run.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-users-report-'));

async function page(opts: Parameters<typeof writeSyntheticRunFolder>[1]): Promise<{ html: string; charts: { id: string; kind: string; series?: { name: string; stack?: string }[]; bands?: { label: string }[] }[]; summary: Record<string, unknown> }> {
  const dir = path.join(tmp(), 'run');
  writeSyntheticRunFolder(dir, opts);
  const r = await buildRunReport(dir, Date.UTC(2026, 10, 26, 4, 0, 0));
  const html = fs.readFileSync(r.reportPath, 'utf8');
  const m = html.match(/<script type="application\/json" id="lab-data">([\s\S]*?)<\/script>/);
  assert.ok(m);
  return { html, charts: JSON.parse(m[1]!).charts, summary: JSON.parse(fs.readFileSync(r.summaryPath, 'utf8')) };
}

test('a run with traffic: the panel, its charts on the cascade\u2019s axis, the key numbers and the definitions', async () => {
  const { html, charts, summary } = await page({ seed: 1, variants: ['users'], gaps: false });
  assert.match(html, /<section id="users"><h2>What users felt<\/h2>/);
  assert.match(html, /<a href="#users">What users felt<\/a>/);
  for (const id of USERS_CHARTS) assert.match(html, new RegExp(`id="chart-${id}"`));
  const req = charts.find((c) => c.id === 'users-requests')!;
  assert.equal(req.kind, 'time');
  assert.deepEqual(req.series!.map((x) => x.name), ['ok', 'timeout', 'dead-backend']);
  assert.ok(req.series!.every((x) => x.stack === 'requests'), 'ok and every error class stacked');
  const overview = charts.find((c) => c.id === 'overview')!;
  for (const b of overview.bands!) assert.ok(req.bands!.some((x) => x.label === b.label), `phase band ${b.label} on the users chart too`);
  assert.ok(req.bands!.some((b) => b.label === 'LB stale'));
  // Key numbers: error minutes with their threshold, the worst minute and when, users' recovery beside the platform's.
  assert.match(html, /error minutes \(&gt; 5 % failed\)<\/div><div class="value">3<\/div>/);
  assert.match(html, /worst minute<\/div><div class="value">31\.\d %<\/div><div class="note">failed, T\+4m30s–T\+5m30s/);
  assert.match(html, /the platform: 3m\d\ds/);
  assert.match(html, /user-facing error minutes<\/div><div class="value">3<\/div>/, 'among the run\u2019s key numbers too');
  assert.match(html, /How these figures are defined/);
  assert.match(html, /more than 5 % of the requests started in it failed/);
  assert.match(html, /LB stale stretches/);
  const users = summary.users as { errorMinutes: number; errorMinuteThreshold: number };
  assert.equal(users.errorMinutes, 3);
  assert.equal(users.errorMinuteThreshold, 0.05);
});

test('a run without traffic: no panel, no users charts, no users section in summary.json', async () => {
  const { html, charts, summary } = await page({ seed: 1, gaps: false });
  assert.doesNotMatch(html, /What users felt/);
  assert.doesNotMatch(html, /id="users"/);
  for (const id of USERS_CHARTS) assert.ok(!charts.some((c) => c.id === id));
  assert.equal(summary.users, undefined);
});
