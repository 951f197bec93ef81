// Opens reports built from the SYNTHETIC fixture history in Debian's headless Chromium (never a
// downloaded browser): every chart must draw, nothing may log an error, nothing may be fetched from
// anywhere but the file itself. The screenshot goes to a temp folder: the README's picture is of a real
// run (`npm run screenshot -- runs/<id>`), never of this fixture.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildRunReport } from '../../src/report/build.ts';
import { buildAnswersReport, buildComparison } from '../../src/report/compare-build.ts';
import { CHROMIUM as CHROMIUM_PACKAGE, ensureHostProgram } from '../../src/host/packages.ts';
import { writeSyntheticRunFolder } from '../fixtures/synthetic-run.ts';

const CHROMIUM = process.env.LAB_CHROMIUM ?? '/usr/bin/chromium';

let context: BrowserContext;
let work: string;

before(async () => {
  // Debian's package, installed here as root on Debian (else one line says what to install).
  if (!process.env.LAB_CHROMIUM) await ensureHostProgram(CHROMIUM_PACKAGE, (s) => process.stderr.write(`  ${s}\n`));
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: set LAB_CHROMIUM to a Chromium binary`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-browser-'));
  context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
    // A zone away from UTC, so the page visibly shows the reader's local time beside UTC.
    timezoneId: 'Europe/Berlin',
    locale: 'en-GB',
  });
});

after(async () => {
  await context?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface Visit {
  page: Page;
  errors: string[];
  foreign: string[];
}

async function open(file: string): Promise<Visit> {
  const page = await context.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  // Anything but the file itself is both recorded (to fail the test) and refused (to keep the test offline).
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file://')) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  await page.goto(`file://${file}`);
  await page.waitForFunction(() => (window as unknown as { __lab?: unknown }).__lab !== undefined, null, { timeout: 30_000 });
  return { page, errors, foreign };
}

/** Every chart container holds a drawn canvas of real size, and the page script drew them all. */
async function assertChartsDrawn(v: Visit, expected: number): Promise<void> {
  const lab = await v.page.evaluate(() => (window as unknown as { __lab: { charts: number; failed: number } }).__lab);
  assert.deepEqual(lab, { charts: expected, failed: 0 });
  await v.page.waitForFunction((n) => document.querySelectorAll('.chart[data-rendered="1"]').length === n, expected, { timeout: 30_000 });
  const sizes = await v.page.$$eval('.chart', (els) =>
    els.map((el) => {
      const c = el.querySelector('canvas');
      const r = c?.getBoundingClientRect();
      return { id: el.id, w: r?.width ?? 0, h: r?.height ?? 0 };
    }),
  );
  assert.equal(sizes.length, expected);
  for (const s of sizes) assert.ok(s.w > 100 && s.h > 100, `chart ${s.id} has no drawn canvas (${s.w}×${s.h})`);
  assert.deepEqual(v.errors, [], 'no console errors');
  assert.deepEqual(v.foreign, [], 'no requests outside file://');
}

test('run report: every chart draws, no errors, no network; a screenshot of it renders', async () => {
  const dir = path.join(work, 'runs', 'synthetic-target-2019');
  writeSyntheticRunFolder(dir);
  const r = await buildRunReport(dir, Date.UTC(2026, 10, 26, 4, 0, 0));
  const v = await open(r.reportPath);
  await assertChartsDrawn(v, 12);
  // The reader's local time sits beside each UTC time.
  const local = await v.page.$$eval('time[data-ms] + .local', (els) => els.map((e) => e.textContent ?? ''));
  assert.ok(local.length > 10);
  assert.ok(local.some((t) => /04:11:30/.test(t)), `local (Berlin) time of the cut shown: ${local.slice(0, 3).join(' | ')}`);
  const SCREENSHOT = path.join(work, 'report.png');
  await v.page.screenshot({ path: SCREENSHOT, clip: { x: 0, y: 0, width: 1400, height: 1750 }, fullPage: true });
  assert.ok(fs.statSync(SCREENSHOT).size > 50_000);
  await v.page.close();
});

test('run report of a run with users\u2019 traffic: the What users felt charts draw too', async () => {
  const dir = path.join(work, 'runs', 'synthetic-target-2019-users');
  writeSyntheticRunFolder(dir, { variants: ['users'] });
  const r = await buildRunReport(dir, Date.UTC(2026, 10, 26, 4, 0, 0));
  const v = await open(r.reportPath);
  await assertChartsDrawn(v, 12 + 3);
  assert.equal(await v.page.$$eval('#users .chart[data-rendered="1"]', (els) => els.length), 3);
  await v.page.close();
});

test('comparison and answers pages draw every chart without errors or network', async () => {
  const a = path.join(work, 'runs', 'cmp-a');
  const b = path.join(work, 'runs', 'cmp-b');
  writeSyntheticRunFolder(a, { seed: 1 });
  writeSyntheticRunFolder(b, { seed: 1, variants: ['daemonset'], failingNodes: 1, floodIntensity: 0.6 });
  const c = await buildComparison([a, b], { out: path.join(work, 'runs', 'compare.html') });
  const v = await open(c.path);
  await assertChartsDrawn(v, 7);
  await v.page.close();
  const ans = await buildAnswersReport({ dirs: [a, b] }, { out: path.join(work, 'runs', 'answers.html') });
  const w = await open(ans.path);
  const n = await w.page.$$eval('.chart', (els) => els.length);
  assert.ok(n >= 4, `answers page has charts (${n})`);
  await assertChartsDrawn(w, n);
  await w.page.close();
});
