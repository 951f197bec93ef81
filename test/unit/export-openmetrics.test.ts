import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun } from '../../src/analysis/analyze.ts';
import { escapeLabelValue, FAMILIES, PREFIX, sampleNames, stepSamples, toOpenMetrics, type RunLabels } from '../../src/export/openmetrics.ts';
import { syntheticRun } from '../fixtures/synthetic-run.ts';
import { parseOpenMetrics, select } from './helpers/openmetrics-parse.ts';

const run = syntheticRun();
const analysis = analyzeRun({ records: run.records, scenario: run.scenario, versions: run.versions, runId: run.runId });
const labels: RunLabels = { run: run.runId, scenario: run.scenario.name, variant: run.scenario.variant };
const text = toOpenMetrics({ analysis, records: run.records, labels });
const parsed = parseOpenMetrics(text);
const s = analysis.summary;
const last = (name: string, match: Record<string, string> = {}) => select(parsed, name, match).at(-1)?.value;
const max = (name: string, match: Record<string, string> = {}, from = -Infinity) => Math.max(...select(parsed, name, match).filter((x) => x.t >= from).map((x) => x.value));

test('the export is OpenMetrics promtool reads: one TYPE and HELP per family, families whole, series in time order, # EOF', () => {
  // parseOpenMetrics throws on each of those; here only what it cannot see.
  assert.ok(parsed.samples.length > 1000);
  const names = new Set(sampleNames());
  for (const sm of parsed.samples) {
    assert.ok(sm.name.startsWith(PREFIX), sm.name);
    assert.ok(names.has(sm.name), `${sm.name} is a declared family`);
    assert.deepEqual([sm.labels.run, sm.labels.scenario, sm.labels.variant], [labels.run, labels.scenario, labels.variant]);
    assert.ok(sm.t >= s.history.start && sm.t <= s.history.end, `${sm.name} at ${sm.t} inside the history`);
    assert.ok(Number.isFinite(sm.value), `${sm.name} ${sm.value}`);
  }
  for (const [fam, type] of parsed.types) assert.equal(FAMILIES.find((f) => `${PREFIX}${f.name}` === fam)?.type, type);
  assert.equal(parsed.types.size, parsed.helps.size);
});

test('the series carry the summary\u2019s figures: NotReady peak, evictions, rescheduled, pool peak and end, delivery', () => {
  assert.equal(typeof s.nodes.maxSimultaneousNotReady, 'number');
  assert.equal(max('outage_lab_nodes_not_ready'), s.nodes.maxSimultaneousNotReady);
  assert.equal(max('outage_lab_nodes_not_ready'), 2, 'the synthetic run has two nodes NotReady at once');
  assert.equal(last('outage_lab_pods_evicted_total'), s.pods.podsEvicted);
  assert.ok((s.pods.podsEvicted as number) > 0);
  assert.equal(last('outage_lab_pods_rescheduled_total'), s.pods.rescheduled);
  const from = s.phases[0]!.from;
  assert.equal(max('outage_lab_consul_members', { state: 'failed' }, from), s.pool.peakFailed);
  assert.ok((s.pool.peakFailed as number) > 0);
  assert.equal(last('outage_lab_consul_members', { state: 'failed' }), (s.pool.atEnd as Record<string, number>).failed);
  assert.equal(max('outage_lab_consul_pool_size', {}, from), s.pool.peakTotal);
  assert.equal(last('outage_lab_delivery_lines', { kind: 'written' }), s.delivery.written);
  assert.equal(last('outage_lab_delivery_lines', { kind: 'delivered' }), s.delivery.delivered);
});

test('per-node states: Ready 1 before a NotReady interval, 0 inside it, with node labels; CPU per node and scope', () => {
  const iv = s.nodes.notReadyIntervals[0]!;
  const ready = select(parsed, 'outage_lab_node_ready', { node: iv.node });
  const at = (t: number) => ready.filter((x) => x.t <= t).at(-1)?.value;
  assert.equal(at(iv.from - 1), 1);
  assert.equal(at(iv.from + 1), 0);
  assert.equal(at(iv.to + 1), 1);
  // A state is written on the grid too: no instant inside the interval is more than a step from a sample.
  const inside = ready.filter((x) => x.t >= iv.from && x.t < iv.to).map((x) => x.t);
  for (let i = 1; i < inside.length; i++) assert.ok(inside[i]! - inside[i - 1]! <= 5_000);
  assert.deepEqual(new Set(select(parsed, 'outage_lab_node_ready').map((x) => x.labels.node)), new Set(s.nodes.nodes));
  const scopes = new Set(select(parsed, 'outage_lab_cpu_cores', { node: iv.node }).map((x) => x.labels.scope));
  assert.deepEqual([...scopes].sort(), ['kubelet', 'node', 'pods', 'runtime', 'shims']);
  assert.ok(select(parsed, 'outage_lab_component_cpu_cores', { component: 'pod/devenv' }).length > 0);
  assert.ok(select(parsed, 'outage_lab_pods', { phase: 'Running' }).length > 0);
  assert.ok(select(parsed, 'outage_lab_probe_latency_p99_seconds', { service: 'vault' }).length > 0);
  // Milliseconds became seconds.
  const p99 = analysis.series.consulLatency.p99[0]!;
  const got = select(parsed, 'outage_lab_probe_latency_p99_seconds', { service: 'consul' }).find((x) => x.t === p99[0])?.value;
  assert.ok(got !== undefined && Math.abs(got - p99[1] / 1000) < 1e-12, `${got} vs ${p99[1]} ms`);
});

test('label values with quotes, backslashes and newlines are escaped and read back unchanged', () => {
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  const odd: RunLabels = { run: 'run "one"\\two\nthree', scenario: 'sc\\', variant: 'x+"y"' };
  const p = parseOpenMetrics(toOpenMetrics({ analysis, records: run.records, labels: odd }));
  for (const sm of p.samples.slice(0, 50)) assert.deepEqual([sm.labels.run, sm.labels.scenario, sm.labels.variant], [odd.run, odd.scenario, odd.variant]);
  assert.equal(p.samples.length, parsed.samples.length);
});

test('stepSamples writes each change and the grid between, and nothing where the state is unknown', () => {
  assert.deepEqual(stepSamples([[1_000, 1], [12_000, null], [21_000, 0]], 26_000, 5_000), [
    [1_000, 1], [5_000, 1], [10_000, 1], [21_000, 0], [25_000, 0], [26_000, 0],
  ]);
  assert.deepEqual(stepSamples([], 10_000, 5_000), []);
});

test('a run with users\u2019 traffic exports its seconds by outcome, latency, error minutes and the LB looks; a run without exports none', () => {
  const u = syntheticRun({ variants: ['users'] });
  const ua = analyzeRun({ records: u.records, scenario: u.scenario, versions: u.versions, runId: u.runId });
  const p = parseOpenMetrics(toOpenMetrics({ analysis: ua, records: u.records, labels: { run: u.runId, scenario: u.scenario.name, variant: u.scenario.variant } }));
  const us = ua.series.users!;
  const sum = (outcome: string) => select(p, 'outage_lab_user_requests_per_second', { outcome }).reduce((a, x) => a + x.value, 0);
  assert.equal(sum('ok'), us.ok.reduce((a, [, n]) => a + n, 0));
  assert.equal(sum('timeout'), us.errors.timeout!.reduce((a, [, n]) => a + n, 0));
  assert.equal(sum('timeout'), ua.summary.users!.total.errors.timeout, 'the synthetic users send exactly over the phases');
  assert.deepEqual(new Set(select(p, 'outage_lab_user_requests_per_second').map((x) => x.labels.outcome)), new Set(['ok', 'timeout', 'dead-backend']));
  assert.equal(select(p, 'outage_lab_user_requests_per_second', { outcome: 'ok' }).length, us.ok.length, 'one sample a recorded second');
  const p99 = us.p99[100]!;
  assert.ok(Math.abs(select(p, 'outage_lab_user_latency_p99_seconds').find((x) => x.t === p99[0])!.value - p99[1] / 1000) < 1e-12);
  assert.equal(select(p, 'outage_lab_user_error_minutes').at(-1)?.value, ua.summary.users!.errorMinutes);
  assert.equal(Math.max(...select(p, 'outage_lab_lb_servers', { view: 'gone' }).map((x) => x.value)), Math.max(...ua.summary.users!.lb!.stale.map((st) => st.maxGone)));
  assert.equal(select(p, 'outage_lab_lb_look_errors_total').at(-1)?.value, 0);
  for (const name of ['outage_lab_user_requests_per_second', 'outage_lab_lb_servers']) assert.equal(select(parsed, name).length, 0, `${name}: none without traffic`);
});

test('a second without a traffic record has no sample: unknown stays out of Prometheus', () => {
  const u = syntheticRun({ variants: ['users'] });
  const holeAt = Date.parse(u.records.find((r) => r.type === 'traffic' && Date.parse(r.ts) > analysis.summary.floodAt!)!.ts);
  const records = u.records.filter((r) => !(r.type === 'traffic' && Date.parse(r.ts) === holeAt));
  const ua = analyzeRun({ records, scenario: u.scenario });
  const p = parseOpenMetrics(toOpenMetrics({ analysis: ua, records, labels: { run: u.runId, scenario: u.scenario.name, variant: u.scenario.variant } }));
  assert.ok(!select(p, 'outage_lab_user_requests_per_second').some((x) => x.t === holeAt));
  assert.ok(select(p, 'outage_lab_user_requests_per_second').some((x) => x.t === holeAt + 1_000));
});
