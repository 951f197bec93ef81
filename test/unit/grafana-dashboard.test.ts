import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAMILIES, PREFIX } from '../../src/export/openmetrics.ts';
import { repoRoot } from '../../src/util/paths.ts';

// Grafana is not installable here; the test holds the dashboard to what the exporter writes, so a renamed
// metric or label fails here rather than as an empty panel in someone's Grafana.
const file = path.join(repoRoot, 'docs', 'grafana', 'outage-lab.json');
const dash = JSON.parse(fs.readFileSync(file, 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
  annotations: { list: { expr?: string }[] };
  panels: { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource: { uid: string }; targets: { refId: string; expr: string; legendFormat?: string; datasource: { uid: string } }[] }[];
};

const RUN_LABELS = ['run', 'scenario', 'variant'];
/** Sample name -> labels its series can carry. */
const known = new Map<string, Set<string>>(FAMILIES.map((f) => [`${PREFIX}${f.name}${f.type === 'counter' ? '_total' : ''}`, new Set([...RUN_LABELS, ...f.labels])]));

/** Every `outage_lab_*` metric in a PromQL expression, with the label names its selector matches on. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  const out: { metric: string; labels: string[] }[] = [];
  for (const m of expr.matchAll(/\b(outage_lab_[a-z0-9_]+)\b(\{([^}]*)\})?/g)) {
    const labels = [...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((x) => x[1]!);
    out.push({ metric: m[1]!, labels });
  }
  return out;
}

const exprs = () => [
  ...dash.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr, legend: t.legendFormat ?? '' }))),
  ...dash.annotations.list.filter((a) => a.expr).map((a) => ({ where: 'annotation', expr: a.expr!, legend: '' })),
];

test('the dashboard is a Grafana dashboard with a run variable fed by the exporter\u2019s labels', () => {
  assert.equal(dash.uid, 'outage-lab-run');
  assert.equal(typeof dash.schemaVersion, 'number');
  const run = dash.templating.list.find((v) => v.name === 'run');
  assert.ok(run && run.type === 'query', 'a query variable named run');
  const m = /label_values\((outage_lab_[a-z0-9_]+), run\)/.exec(run.definition ?? '');
  assert.ok(m && known.has(m[1]!), `run's values come from an exported metric: ${run.definition}`);
  assert.ok(dash.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
});

test('every query names only metrics and labels the exporter writes, and filters by $run', () => {
  const all = exprs();
  assert.ok(all.length >= 12);
  for (const { where, expr, legend } of all) {
    const sels = selectors(expr);
    assert.ok(sels.length > 0, `${where}: no outage_lab_ metric in ${expr}`);
    assert.match(expr, /run=~"\$run"/, `${where} filters by the run variable`);
    for (const s of sels) {
      const labels = known.get(s.metric);
      assert.ok(labels, `${where}: ${s.metric} is not a metric lab export writes`);
      for (const l of s.labels) assert.ok(labels.has(l), `${where}: ${s.metric} has no label ${l}`);
    }
    // Legends may only name labels the query's series still carry.
    const carried = new Set(sels.flatMap((s) => [...known.get(s.metric)!]));
    for (const m of legend.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) assert.ok(carried.has(m[1]!), `${where}: legend names ${m[1]}, which ${sels.map((s) => s.metric).join(', ')} do not carry`);
  }
});

test('the report\u2019s main panels are there: nodes, pressure, pods moved, pool, latency, runtime CPU, delivery', () => {
  const used = new Set(exprs().flatMap((e) => selectors(e.expr).map((s) => s.metric)));
  for (const m of ['nodes_not_ready', 'nodes_under_pressure', 'node_ready', 'node_pressure', 'pods_evicted_total', 'pods_rescheduled_total', 'consul_members', 'probe_latency_p99_seconds', 'cpu_cores', 'delivery_rate_lines_per_second']) {
    assert.ok(used.has(`${PREFIX}${m}`), `a panel shows ${PREFIX}${m}`);
  }
});

test('what users felt is there too: requests by outcome, their latency, the LB against the pods, error minutes', () => {
  const used = new Set(exprs().flatMap((e) => selectors(e.expr).map((s) => s.metric)));
  for (const m of ['user_requests_per_second', 'user_latency_p99_seconds', 'lb_servers', 'lb_look_errors_total', 'user_error_minutes']) assert.ok(used.has(`${PREFIX}${m}`), `a panel shows ${PREFIX}${m}`);
});

test('panels have unique ids, a data source from the variable, and do not overlap on the grid', () => {
  const ids = dash.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const p of dash.panels) {
    assert.equal(p.datasource.uid, '${datasource}', p.title);
    for (const t of p.targets) assert.equal(t.datasource.uid, '${datasource}', p.title);
    assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24-column grid`);
  }
  for (const a of dash.panels) {
    for (const b of dash.panels) {
      if (a.id >= b.id) continue;
      const apart = a.gridPos.x + a.gridPos.w <= b.gridPos.x || b.gridPos.x + b.gridPos.w <= a.gridPos.x || a.gridPos.y + a.gridPos.h <= b.gridPos.y || b.gridPos.y + b.gridPos.h <= a.gridPos.y;
      assert.ok(apart, `${a.title} and ${b.title} overlap`);
    }
  }
});
