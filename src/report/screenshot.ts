// `npm run screenshot -- runs/<id> [--out docs/report.png]`: the README's picture of a report, taken from
// a real run's report.html in Debian's headless Chromium, offline (anything but the file is refused).
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM as CHROMIUM_PACKAGE, ensureHostProgram } from '../host/packages.ts';
import { repoRoot } from '../util/paths.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
const run = positionals[0];
const page = run ? join(resolve(run), 'report.html') : '';
if (!run || !existsSync(page)) {
  console.error(`usage: npm run screenshot -- runs/<id> [--out file.png]  (${run ? `${page} not found` : 'no run folder given'})`);
  process.exit(2);
}
const out = resolve(values.out ?? join(repoRoot, 'docs', 'report.png'));
const binary = process.env.LAB_CHROMIUM ?? '/usr/bin/chromium';
if (!process.env.LAB_CHROMIUM) await ensureHostProgram(CHROMIUM_PACKAGE, (s) => console.error(`  ${s}`));
const browser = await chromium.launch({ executablePath: binary, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await p.route('**/*', (r) => (r.request().url().startsWith('file://') ? r.continue() : r.abort()));
  await p.goto(`file://${page}`);
  // Charts draw after load; give echarts a moment to finish its animations.
  await p.waitForTimeout(1500);
  await p.screenshot({ path: out, clip: { x: 0, y: 0, width: 1400, height: 1750 }, fullPage: true });
  console.error(`✔ ${out} (${(statSync(out).size / 1024).toFixed(0)} KiB) from ${page}`);
} finally {
  await browser.close();
}
