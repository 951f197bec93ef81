import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRunReport } from '../../src/report/build.ts';
import { buildAnswersReport, buildComparison } from '../../src/report/compare-build.ts';
import { compareTable } from '../../src/report/compare-page.ts';
import { resolveRunDir } from '../../src/report/run-folder.ts';
import { LabError } from '../../src/util/errors.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { writeSyntheticRunFolder } from '../fixtures/synthetic-run.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-report-'));
const RUN_CHARTS = ['overview', 'nodes', 'node-pressure', 'pods', 'cpu-nodes', 'cpu-runtime', 'cpu-components', 'pool', 'gossip', 'latency', 'delivery-totals', 'delivery'];

function chartData(htmlText: string): { charts: { id: string; kind: string }[] } {
  const m = htmlText.match(/<script type="application\/json" id="lab-data">([\s\S]*?)<\/script>/);
  assert.ok(m, 'the page carries its chart data');
  return JSON.parse(m[1]!);
}

/** Nothing on the page may load from anywhere: no external script, stylesheet, image or font. */
function assertSelfContained(htmlText: string): void {
  assert.doesNotMatch(htmlText, /<script[^>]+src=/i);
  assert.doesNotMatch(htmlText, /<link[^>]+rel=["']?stylesheet/i);
  assert.doesNotMatch(htmlText, /(src|href)=["']?(https?:)?\/\//i);
  assert.doesNotMatch(htmlText, /@import|url\(\s*["']?https?:/i);
}

test('report.html is one self-contained page with every chart, the gaps first, and summary.json beside it', async () => {
  const dir = path.join(tmp(), 'run-a');
  writeSyntheticRunFolder(dir);
  const r = await buildRunReport(dir, Date.UTC(2026, 10, 26, 4, 0, 0));
  const page = fs.readFileSync(r.reportPath, 'utf8');
  assertSelfContained(page);
  assert.match(page, /echarts/i);
  assert.ok(page.length > 500_000, 'ECharts is inlined');
  const data = chartData(page);
  assert.deepEqual(data.charts.map((c) => c.id), RUN_CHARTS);
  for (const id of RUN_CHARTS) assert.match(page, new RegExp(`id="chart-${id}"`));
  assert.match(page, /SYNTHETIC DATA/);
  // Gaps come before the numbers, and both blind spots are listed.
  const gapsAt = page.indexOf('What the recorder could not see');
  assert.ok(gapsAt > 0 && gapsAt < page.indexOf('id="numbers"'));
  assert.match(page, /watch\/events/);
  assert.match(page, /inferred from silence/);
  // Tunings: every resolved value, cluster timings and buffers included.
  for (const key of ['cluster.podEvictionTimeoutMs', 'cluster.nodeCpus', 'shipper.bufferMaxBytes', 'consul.reconnectTimeoutMs', 'recovery.latencyTolerance']) assert.match(page, new RegExp(key.replace('.', '\\.')));
  assert.match(page, /kubernetes<\/td><td class="mono">v1\.34\.4/);
  assert.match(page, /<time datetime="2026-11-26T03:11:30\.000Z" data-ms="\d+">2026-11-26 03:11:30\.000 UTC<\/time>/);
  // The lineage tree names pods, their nodes and the failure that ended them.
  assert.match(page, /class="tree"/);
  assert.match(page, /because node outage-lab-worker2 NotReady/);

  const summary = JSON.parse(fs.readFileSync(r.summaryPath, 'utf8'));
  assert.equal(summary.schema, 'outage-lab/summary@1');
  assert.equal(summary.history.synthetic, true);
  assert.equal(summary.lineage.replacements, 18);
  assert.equal(summary.nodes.maxSimultaneousNotReady, 2);
  assert.equal(summary.gaps.length, 2);
  assert.match(summary.cutAt, /^2026-11-26T03:11:30\.000Z$/);
});

test('a run folder without scenario.json and versions.json still gets a report that says so', async () => {
  const dir = path.join(tmp(), 'run-b');
  writeSyntheticRunFolder(dir, { gaps: false });
  fs.rmSync(path.join(dir, 'scenario.json'));
  fs.rmSync(path.join(dir, 'versions.json'));
  const r = await buildRunReport(dir);
  const page = fs.readFileSync(r.reportPath, 'utf8');
  assert.match(page, /scenario\.json was not found/);
  assert.match(page, /scenario\.json is missing/);
  assert.equal(chartData(page).charts.length, RUN_CHARTS.length);
  // Versions still come from the history's meta record.
  assert.match(page, /consul<\/td><td class="mono">1\.8\.7/);
});

test('resolveRunDir takes a path, an id under runs/ or a unique prefix', () => {
  const base = tmp();
  for (const id of ['2026-11-26T03-10Z-a', '2026-11-26T04-10Z-b']) {
    fs.mkdirSync(path.join(base, id));
    fs.writeFileSync(path.join(base, id, 'history.jsonl'), '');
  }
  assert.equal(resolveRunDir('2026-11-26T03', base), path.join(base, '2026-11-26T03-10Z-a'));
  assert.equal(resolveRunDir(path.join(base, '2026-11-26T04-10Z-b'), base), path.join(base, '2026-11-26T04-10Z-b'));
  assert.throws(() => resolveRunDir('2026-11-26', base), (e: unknown) => e instanceof LabError && /matches 2 runs/.test(e.message));
  assert.throws(() => resolveRunDir('nope', base), LabError);
});

test('comparison page and terminal table put runs side by side; answers page cites runs', async () => {
  const base = tmp();
  const a = path.join(base, 'a');
  const b = path.join(base, 'b');
  writeSyntheticRunFolder(a, { seed: 1, gaps: false });
  writeSyntheticRunFolder(b, { seed: 1, gaps: false, variants: ['daemonset'], failingNodes: 1 });
  const out = path.join(base, 'compare.html');
  const c = await buildComparison([a, b], { out, now: Date.UTC(2026, 10, 26) });
  const page = fs.readFileSync(out, 'utf8');
  assertSelfContained(page);
  assert.deepEqual(chartData(page).charts.map((x) => x.id), ['c-notready', 'c-pressure', 'c-runtime', 'c-replaced', 'c-failed', 'c-consul', 'c-delivery']);
  assert.match(page, /href="a\/report\.html"/);
  const table = compareTable(c.runs, 200);
  const row = table.split('\n').find((l) => l.startsWith('most nodes NotReady at once'))!;
  assert.deepEqual(row.trim().split(/\s{2,}/).slice(1), ['2', '1']);
  assert.match(table, /#2 synthetic-target-2019-daemonset-1 — daemonset/);

  const ans = await buildAnswersReport({ dirs: [a, b] }, { out: path.join(base, 'answers.html') });
  const apage = fs.readFileSync(ans.path, 'utf8');
  assertSelfContained(apage);
  assert.match(apage, /3\. Are DaemonSets better than sidecars\?/);
  assert.match(apage, /two half-size clusters: not measured/);
  assert.match(apage, /href="a\/report\.html">synthetic-target-2019-sidecar-1</);
});

test('lab report rebuilds a run folder from the command line, by run id', () => {
  const runs = tmp();
  writeSyntheticRunFolder(path.join(runs, '2026-11-26T03-10-00Z-synthetic'), { gaps: false });
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), 'report', '2026-11-26T03-10'], {
    env: { ...process.env, LAB_RUNS_DIR: runs },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: repoRoot,
  });
  assert.equal(out, '', 'progress goes to stderr');
  assert.ok(fs.existsSync(path.join(runs, '2026-11-26T03-10-00Z-synthetic', 'report.html')));
  assert.ok(fs.existsSync(path.join(runs, '2026-11-26T03-10-00Z-synthetic', 'summary.json')));
});

test('the runtime panel: probe, PLEG and Lease charts on the run\u2019s time axis, NotReady stretches with their messages, and the lineage quoting them', async () => {
  const dir = path.join(tmp(), 'run-docker');
  writeSyntheticRunFolder(dir, { runtimeHealth: true, variants: ['docker-runtime'] });
  const r = await buildRunReport(dir, Date.UTC(2026, 10, 26, 4, 0, 0));
  const page = fs.readFileSync(r.reportPath, 'utf8');
  assertSelfContained(page);
  const charts = chartData(page).charts as { id: string; kind: string; bands?: unknown[]; xMin?: number; xMax?: number }[];
  assert.deepEqual(charts.map((c) => c.id), [...RUN_CHARTS, 'runtime-probe', 'pleg', 'lease-gaps']);
  const overview = charts.find((c) => c.id === 'overview')!;
  for (const id of ['runtime-probe', 'pleg', 'lease-gaps']) {
    const c = charts.find((x) => x.id === id)!;
    assert.deepEqual([c.bands, c.xMin, c.xMax], [overview.bands, overview.xMin, overview.xMax], `${id}: same axis and phase bands as the overview`);
  }
  assert.match(page, /<a href="#runtime">Runtime<\/a>/);
  assert.match(page, /NotReady stretches and what the node said/);
  assert.match(page, /PLEG is not healthy: pleg was last seen active 3m0\.2s ago; threshold is 3m0s/);
  assert.match(page, /Kubelet stopped posting node status\./);
  // The lineage: a pod moved off a NotReady node carries what that node said.
  assert.match(page, /because node outage-lab-worker2 NotReady \(NodeStatusUnknown\)<\/span> <span class="muted">\(\u201cPLEG is not healthy: [^"]*→ Kubelet stopped posting node status\.\u201d\)/);
  const summary = JSON.parse(fs.readFileSync(r.summaryPath, 'utf8'));
  assert.equal(summary.scenario.runtime, 'docker');
  assert.ok(summary.runtimeHealth.notReady[0].from.endsWith('Z'), 'instants in summary.json are ISO');
  // A run without these records keeps its page as it was: no runtime section.
  const plain = path.join(tmp(), 'run-plain');
  writeSyntheticRunFolder(plain);
  const p2 = fs.readFileSync((await buildRunReport(plain)).reportPath, 'utf8');
  assert.doesNotMatch(p2, /id="runtime"/);
});
