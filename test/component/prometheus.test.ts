// A run in a real Prometheus: `lab export` writes OpenMetrics, Debian's promtool turns it into TSDB blocks,
// Debian's prometheus serves them on loopback, and PromQL over its HTTP API gives the run's summary figures.
// Needs the `prometheus` package: installed on a Debian root host (as `npm test` runs in CI), else skipped
// with one line naming it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyseRunFolder } from '../../src/report/build.ts';
import type { RunSummary } from '../../src/analysis/analyze.ts';
import { ensureHostProgram, type HostProgram } from '../../src/host/packages.ts';
import { run } from '../../src/util/exec.ts';
import { LabError } from '../../src/util/errors.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { writeSyntheticRunFolder } from '../fixtures/synthetic-run.ts';

// bookworm's prometheus package ships promtool too; later Debian releases split promtool into its own package.
const PROMETHEUS: HostProgram = { command: 'prometheus', pkg: 'prometheus', neededBy: 'the Prometheus import test' };
const PROMTOOL: HostProgram = { command: 'promtool', pkg: 'prometheus', neededBy: 'the Prometheus import test' };

/** The lab's host-package rule (installed as root on Debian, else one line naming the package): why the test cannot run, or undefined. */
async function ensurePrometheus(): Promise<string | undefined> {
  try {
    for (const p of [PROMETHEUS, PROMTOOL]) await ensureHostProgram(p);
    return undefined;
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    return `${err.message}${err.hint ? ` (${err.hint})` : ''}`;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('a run in Prometheus', { timeout: 15 * 60_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-prom-'));
  const runDir = path.join(tmp, 'run');
  // A second run whose id needs escaping in the text format: quotes, a backslash, a space.
  const oddDir = path.join(tmp, 'odd');
  const ODD_ID = 'odd "run" \\ one';
  const dataDir = path.join(tmp, 'data');
  let skip: string | undefined;
  let prom: ChildProcess | undefined;
  let base = '';
  let summary: RunSummary;
  let runId = '';

  before(async () => {
    const missing = await ensurePrometheus();
    if (missing) {
      skip = `Prometheus import test skipped: ${missing}`;
      process.stderr.write(`${skip}\n`);
      return;
    }
    // With users' traffic, so the dashboard's What-users-felt panels have data to answer with.
    writeSyntheticRunFolder(runDir, { variants: ['users'] });
    const analysed = await analyseRunFolder(runDir);
    summary = analysed.analysis.summary;
    runId = analysed.folder.id;
    // The command a user runs, not the function: its file name and format are part of what is tested.
    await run(process.execPath, [path.join(repoRoot, 'bin', 'lab.mjs'), 'export', runDir, '--format', 'openmetrics'], { cwd: repoRoot, env: { ...process.env, LAB_STATE_DIR: tmp }, timeoutMs: 120_000 });
    const file = path.join(runDir, 'metrics.om.txt');
    assert.ok(fs.existsSync(file), 'lab export wrote metrics.om.txt into the run folder');
    await run(PROMTOOL.command, ['tsdb', 'create-blocks-from', 'openmetrics', file, dataDir], { timeoutMs: 120_000 });
    writeSyntheticRunFolder(oddDir, { runId: ODD_ID, seed: 7 });
    const oddFile = path.join(tmp, 'odd.om.txt');
    await run(process.execPath, [path.join(repoRoot, 'bin', 'lab.mjs'), 'export', oddDir, '--out', oddFile], { cwd: repoRoot, env: { ...process.env, LAB_STATE_DIR: tmp }, timeoutMs: 120_000 });
    await run(PROMTOOL.command, ['tsdb', 'create-blocks-from', 'openmetrics', oddFile, dataDir], { timeoutMs: 120_000 });

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = path.join(tmp, 'prometheus.yml');
    // No scrape targets: the only data is the imported run.
    fs.writeFileSync(config, 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
    const log = fs.openSync(path.join(tmp, 'prometheus.log'), 'a');
    prom = spawn(
      PROMETHEUS.command,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${dataDir}`,
        // Imported blocks are as old as the run; the default 15 d retention would delete an older run's.
        '--storage.tsdb.retention.time=100y',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', log, log] },
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (prom.exitCode !== null) throw new Error(`prometheus exited with ${prom.exitCode}; log ${path.join(tmp, 'prometheus.log')}`);
      const ready = await fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready in 60 s; log ${path.join(tmp, 'prometheus.log')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  after(() => {
    prom?.kill('SIGTERM');
    if (!skip) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** One instant query at `atMs`; the value of its single series. */
  async function query(expr: string, atMs: number): Promise<number> {
    const url = `${base}/api/v1/query?${new URLSearchParams({ query: expr, time: (atMs / 1000).toFixed(3) })}`;
    const body = (await (await fetch(url)).json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    assert.equal(body.status, 'success', `${expr}: ${body.error}`);
    const result = body.data!.result;
    assert.equal(result.length, 1, `${expr} at ${new Date(atMs).toISOString()}: expected one series, got ${JSON.stringify(result.map((r) => r.metric))}`);
    return Number(result[0]!.value[1]);
  }

  it('gives the summary\u2019s figures: most nodes NotReady at once, pool peak and end, pods evicted and rescheduled', async (t) => {
    if (skip) return t.skip(skip);
    const end = summary.history.end;
    const sel = `run="${runId}"`;
    // The run from its first phase to its end, as the summary counts it (the range selector is closed at both ends).
    const range = `${Math.ceil((end - summary.phases[0]!.from) / 1000)}s`;
    assert.equal(await query(`max_over_time(outage_lab_nodes_not_ready{${sel}}[${range}])`, end), summary.nodes.maxSimultaneousNotReady);
    assert.equal(await query(`max_over_time(outage_lab_consul_members{${sel},state="failed"}[${range}])`, end), summary.pool.peakFailed);
    assert.equal(await query(`outage_lab_consul_members{${sel},state="failed"}`, end), (summary.pool.atEnd as Record<string, number>).failed);
    assert.equal(await query(`outage_lab_pods_evicted_total{${sel}}`, end), summary.pods.podsEvicted);
    assert.equal(await query(`outage_lab_pods_rescheduled_total{${sel}}`, end), summary.pods.rescheduled);
    // What users felt: the error minutes, and every failed request of the run summed from its seconds.
    assert.equal(await query(`outage_lab_user_error_minutes{${sel}}`, end), summary.users!.errorMinutes);
    assert.equal(await query(`sum(sum_over_time(outage_lab_user_requests_per_second{${sel},outcome!="ok"}[${range}]))`, end), summary.users!.total.failed);
    // The figures are not trivially zero: the synthetic cascade has two nodes down, evictions and a failed pool.
    assert.equal(summary.nodes.maxSimultaneousNotReady, 2);
    assert.ok((summary.pods.podsEvicted as number) > 0 && (summary.pool.peakFailed as number) > 0);
  });

  it('keeps per-node series with their labels: a node that went NotReady reads 0 inside its interval, 1 before', async (t) => {
    if (skip) return t.skip(skip);
    const iv = summary.nodes.notReadyIntervals[0]!;
    // The variant label names the variants applied (lab export): this run's is users.
    const sel = `run="${runId}",node="${iv.node}",scenario="target-2019",variant="users"`;
    assert.equal(await query(`outage_lab_node_ready{${sel}}`, iv.from - 2_000), 1);
    assert.equal(await query(`outage_lab_node_ready{${sel}}`, (iv.from + iv.to) / 2), 0);
    assert.equal(await query(`count(count by (node) (outage_lab_cpu_cores{run="${runId}"}))`, iv.from), summary.nodes.nodes.length);
  });

  it('keeps runs apart by their run label, one whose id needs escaping included', async (t) => {
    if (skip) return t.skip(skip);
    const end = summary.history.end;
    // PromQL string escaping of the same id: a query for the exact value finds exactly that run's series.
    const promqlOdd = ODD_ID.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
    assert.equal(await query(`count(count by (run) (outage_lab_node_ready))`, end), 2);
    assert.equal(await query(`count(count by (node) (outage_lab_node_ready{run="${promqlOdd}"}))`, end), summary.nodes.nodes.length);
  });

  it('answers every query of the Grafana dashboard (docs/grafana/outage-lab.json) with data', async (t) => {
    if (skip) return t.skip(skip);
    const dash = JSON.parse(fs.readFileSync(path.join(repoRoot, 'docs', 'grafana', 'outage-lab.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    // Grafana expands a multi-value variable into an alternation; run ids are plain names.
    const expand = (e: string) => e.replaceAll('$run', `(${runId})`);
    // The balance panel has one sample, at the end; the phases panel has none there (every phase ended).
    const times = [summary.history.end, summary.nodes.notReadyIntervals[0]!.from + 1_000];
    for (const p of dash.panels) {
      for (const target of p.targets) {
        let rows = 0;
        for (const at of times) {
          const url = `${base}/api/v1/query?${new URLSearchParams({ query: expand(target.expr), time: (at / 1000).toFixed(3) })}`;
          const body = (await (await fetch(url)).json()) as { status: string; error?: string; data?: { result: unknown[] } };
          assert.equal(body.status, 'success', `${p.title}: ${target.expr}: ${body.error}`);
          rows += body.data!.result.length;
        }
        // The synthetic history has no pressure conditions: that panel is rightly empty.
        if (!target.expr.includes('outage_lab_node_pressure{')) assert.ok(rows > 0, `${p.title}: ${target.expr} has no data in the run`);
      }
    }
  });
});
