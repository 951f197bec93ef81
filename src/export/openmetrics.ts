// A run's history as OpenMetrics text, for `promtool tsdb create-blocks-from openmetrics` and from there
// Prometheus and Grafana. Pure: the analysis (the same one the report draws) in, text out. The series are
// the analysis' own (node segments, the NotReady sweep, the pool by state, the probes' p99 buckets, CPU
// per node scope, delivery rates, users' seconds and LB looks), so a query answers what the report says;
// nothing is re-derived here except pods by phase, which no report chart needs.
//
// Two kinds of series. Samples (a probe, a CPU reading, a pool count) are written where they were taken.
// States (a node Ready or not, a phase running, how many nodes are NotReady) hold from one change to the
// next: they are written at every change and again on a fixed grid, because Prometheus forgets a series
// five minutes after its last sample and an instant query in a long NotReady stretch must still see it.
// Where the recorder was blind a state has no samples; Prometheus' lookback can carry the last value up to
// five minutes into such a gap, so the dashboard is no substitute for the report's blind-spot list.
import type { RunAnalysis } from '../analysis/analyze.ts';
import { PRESSURE_CONDITIONS } from '../analysis/nodes.ts';
import { NODE_SCOPES } from '../analysis/cpu.ts';
import { MEMBER_STATES } from '../analysis/consul.ts';
import { podLives } from '../analysis/pods.ts';
import type { Maybe } from '../analysis/unknown.ts';
import type { HistoryRecord, PodRecord } from '../history/records.ts';

export const PREFIX = 'outage_lab_';

export type FamilyType = 'gauge' | 'counter';

export interface Family {
  /** Without the `outage_lab_` prefix; a counter's samples add `_total`. */
  name: string;
  type: FamilyType;
  help: string;
  /** Labels beyond run, scenario and variant. */
  labels: readonly string[];
}

// Every family the exporter can write, in the order it writes them. The Grafana dashboard's test checks
// its queries against this list.
export const FAMILIES = [
  { name: 'phase_active', type: 'gauge', help: 'Scenario phase running (1) or not (0)', labels: ['phase'] },
  { name: 'kafka_cut', type: 'gauge', help: 'The lab\u2019s Kafka fault applied (1) or not (0), from the fault records', labels: ['fault'] },
  { name: 'node_ready', type: 'gauge', help: 'Node Ready (1) or NotReady/Unknown (0); no samples where the node watch was blind', labels: ['node', 'cluster'] },
  { name: 'node_pressure', type: 'gauge', help: 'Node pressure condition True (1) or False (0); no samples where it was not reported', labels: ['node', 'cluster', 'condition'] },
  { name: 'nodes_not_ready', type: 'gauge', help: 'Nodes NotReady at once (the report\u2019s NotReady count)', labels: [] },
  { name: 'nodes_under_pressure', type: 'gauge', help: 'Nodes under any pressure condition at once', labels: [] },
  { name: 'pods', type: 'gauge', help: 'Pods in the watched namespaces by last recorded phase', labels: ['cluster', 'phase'] },
  { name: 'pods_on_node', type: 'gauge', help: 'Pods running on each node (seen there until they ended)', labels: ['node', 'cluster'] },
  { name: 'pods_evicted', type: 'counter', help: 'Pods evicted since the first phase began', labels: [] },
  { name: 'pods_rescheduled', type: 'counter', help: 'Replacement pods created for pods that ended (the lineage\u2019s links)', labels: [] },
  { name: 'consul_members', type: 'gauge', help: 'Consul LAN pool members by state, as one server sees it', labels: ['observer', 'state'] },
  { name: 'consul_pool_size', type: 'gauge', help: 'Consul LAN pool size (all states), as one server sees it', labels: ['observer'] },
  { name: 'probe_latency_seconds', type: 'gauge', help: 'One successful probe\u2019s latency (Consul KV read, Vault KV read)', labels: ['service'] },
  { name: 'probe_latency_p99_seconds', type: 'gauge', help: 'p99 of the probes in the 10 s ending at the sample (the report\u2019s p99 line)', labels: ['service'] },
  { name: 'probe_errors', type: 'counter', help: 'Probes that failed (timeout, refused, sealed)', labels: ['service'] },
  { name: 'cpu_cores', type: 'gauge', help: 'CPU cores of a node\u2019s parts: node total, runtime, kubelet, shims, pods', labels: ['node', 'cluster', 'scope'] },
  { name: 'component_cpu_cores', type: 'gauge', help: 'CPU cores of a component\u2019s pods or containers on a node', labels: ['node', 'cluster', 'component'] },
  { name: 'delivery_rate_lines_per_second', type: 'gauge', help: 'Log lines per second Kafka\u2019s consumer received', labels: [] },
  { name: 'kafka_backlog_messages', type: 'gauge', help: 'Consumer lag on the logs topic', labels: [] },
  { name: 'shipper_buffered_lines', type: 'gauge', help: 'Lines held by all shippers together', labels: [] },
  { name: 'delivery_lines', type: 'gauge', help: 'The run\u2019s delivery balance at its end (written, delivered, dropped, buffered, lost, unaccounted)', labels: ['kind'] },
  { name: 'user_requests_per_second', type: 'gauge', help: 'Users\u2019 requests started in each second through the LB, by outcome (ok or an error class); no sample for a second without a traffic record', labels: ['outcome'] },
  { name: 'user_latency_p50_seconds', type: 'gauge', help: 'p50 of the successful users\u2019 requests started in each second', labels: [] },
  { name: 'user_latency_p99_seconds', type: 'gauge', help: 'p99 of the successful users\u2019 requests started in each second', labels: [] },
  { name: 'user_error_minutes', type: 'gauge', help: 'User-facing error minutes of the run (minutes in which more than the report\u2019s threshold of requests failed), at its end; absent when missing seconds leave it open', labels: [] },
  { name: 'lb_servers', type: 'gauge', help: 'At each look at the LB: servers it lists (listed), of them for pods not running (gone), running app pods it does not list (missing)', labels: ['view'] },
  { name: 'lb_look_errors', type: 'counter', help: 'Looks at the LB that failed', labels: [] },
] as const satisfies readonly Family[];

export type FamilyName = (typeof FAMILIES)[number]['name'];

/** Metric names as PromQL sees them: `outage_lab_<name>`, counters as `outage_lab_<name>_total`. */
export function sampleNames(): string[] {
  return FAMILIES.map((f) => `${PREFIX}${f.name}${f.type === 'counter' ? '_total' : ''}`);
}

export interface RunLabels {
  run: string;
  scenario: string;
  variant: string;
}

export interface ExportInput {
  analysis: RunAnalysis;
  /** The history's records (the analysis' input), for pods by phase. */
  records: readonly HistoryRecord[];
  labels: RunLabels;
  /** Grid of the state series; default 5 s. */
  stepMs?: number;
}

/** Label value escaping of the exposition formats: backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
}

/** Seconds with millisecond decimals, as the OpenMetrics text format wants its timestamps. */
function formatTs(ms: number): string {
  const s = Math.floor(ms / 1000);
  const rest = Math.round(ms - s * 1000);
  return rest === 0 ? String(s) : `${s}.${String(rest).padStart(3, '0')}`;
}

type Point = [number, number];

interface Series {
  labels: Record<string, string>;
  points: Point[];
}

/** Points sorted by time, one per millisecond (the last written wins: the state after every change at that instant). */
function normalise(points: readonly Point[]): Point[] {
  const byT = new Map<number, number>();
  for (const [t, v] of [...points].sort((a, b) => a[0] - b[0])) {
    if (Number.isFinite(t)) byT.set(Math.round(t), v);
  }
  return [...byT];
}

/**
 * A step function (value v from t until the next change; null: unknown there) as samples at every change
 * and on the grid between changes, up to `end` inclusive.
 */
export function stepSamples(changes: readonly [number, number | null][], end: number, stepMs: number): Point[] {
  const sorted = [...changes].sort((a, b) => a[0] - b[0]);
  const out: Point[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const [from, v] = sorted[i]!;
    const to = i + 1 < sorted.length ? sorted[i + 1]![0] : end;
    if (v === null) continue;
    out.push([from, v]);
    for (let g = (Math.floor(from / stepMs) + 1) * stepMs; g < to; g += stepMs) out.push([g, v]);
    if (i + 1 === sorted.length && end > from) out.push([end, v]);
  }
  return out;
}

/** Segments ({from, to, state}) of one lane as step changes, `value` null for states that are not data. */
function laneChanges<S>(segs: readonly { from: number; to: number; state: S }[], value: (s: S) => number | null): [number, number | null][] {
  const out: [number, number | null][] = [];
  const sorted = [...segs].sort((a, b) => a.from - b.from);
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    out.push([s.from, value(s.state)]);
    // A hole between segments (before the next starts) is unknown, not the previous state.
    const next = sorted[i + 1];
    if (!next || next.from > s.to) out.push([s.to, null]);
  }
  return out;
}

/** Running count of events at the given instants, from 0 at `from`. */
function counterAt(times: readonly number[], from: number, end: number, stepMs: number): Point[] {
  const sorted = [...times].sort((a, b) => a - b);
  const changes: [number, number][] = [[from, 0]];
  sorted.forEach((t, i) => changes.push([t, i + 1]));
  return stepSamples(changes, end, stepMs);
}

/** Pods by their last recorded phase, counted after every pod record; a deleted pod leaves the count. */
function podsByPhase(records: readonly HistoryRecord[]): Map<string, { cluster?: number; phase: string; changes: [number, number][] }> {
  const phaseOf = new Map<string, string>();
  const out = new Map<string, { cluster?: number; phase: string; changes: [number, number][] }>();
  const counts = new Map<string, number>();
  const bump = (key: string, cluster: number | undefined, phase: string, d: number, t: number) => {
    const n = (counts.get(key) ?? 0) + d;
    counts.set(key, n);
    let s = out.get(key);
    if (!s) out.set(key, (s = { ...(cluster !== undefined ? { cluster } : {}), phase, changes: [] }));
    s.changes.push([t, n]);
  };
  for (const r of records) {
    if (r.type !== 'pod') continue;
    const p = r as PodRecord;
    const t = Date.parse(p.ts);
    const id = `${p.cluster ?? ''}/${p.uid}`;
    const before = phaseOf.get(id);
    const after = p.event === 'deleted' ? undefined : (p.phase ?? before ?? 'Unknown');
    if (before === after) continue;
    const key = (phase: string) => `${p.cluster ?? ''}/${phase}`;
    if (before !== undefined) bump(key(before), p.cluster, before, -1, t);
    if (after !== undefined) {
      bump(key(after), p.cluster, after, +1, t);
      phaseOf.set(id, after);
    } else phaseOf.delete(id);
  }
  return out;
}

/** Every series of the run, by family. */
export function runSeries(input: ExportInput): Map<FamilyName, Series[]> {
  const { analysis, records } = input;
  const stepMs = input.stepMs ?? 5_000;
  const s = analysis.summary;
  const series = analysis.series;
  const end = s.history.end;
  const from = s.phases[0]?.from ?? s.history.start;
  const clusterOf = (node: string): Record<string, string> => (s.nodes.clusters[node] !== undefined ? { cluster: String(s.nodes.clusters[node]) } : {});
  const out = new Map<FamilyName, Series[]>();
  const add = (f: FamilyName, labels: Record<string, string>, points: Point[]) => {
    const pts = normalise(points);
    if (pts.length === 0) return;
    let l = out.get(f);
    if (!l) out.set(f, (l = []));
    l.push({ labels, points: pts });
  };

  for (const p of s.phases) {
    const changes: [number, number][] = [[Math.min(s.history.start, p.from), 0], [p.from, 1], [p.to, 0]];
    add('phase_active', { phase: p.label }, stepSamples(changes, end, stepMs));
  }
  // The Kafka fault's own records: applied from its inject's ok to its heal's invoke (traffic flows again
  // once the heal begins undoing it; the report's cut window is the same).
  const kafkaFaults = series.faults.filter((f) => f.f === 'kafka-cut' || f.f === 'kafka-flap');
  for (const name of new Set(kafkaFaults.map((f) => f.f))) {
    const changes: [number, number][] = [[s.history.start, 0]];
    for (const f of kafkaFaults.filter((x) => x.f === name)) {
      if (f.op === 'inject' && f.kind === 'ok') changes.push([f.at, 1]);
      if (f.op === 'heal' && f.kind === 'invoke') changes.push([f.at, 0]);
    }
    add('kafka_cut', { fault: name }, stepSamples(changes, end, stepMs));
  }

  const nodes = [...new Set(series.nodeSegments.map((g) => g.node))].sort();
  for (const node of nodes) {
    const segs = series.nodeSegments.filter((g) => g.node === node);
    add('node_ready', { node, ...clusterOf(node) }, stepSamples(laneChanges(segs, (st) => (st === 'Ready' ? 1 : st === 'NotReady' || st === 'Unknown' ? 0 : null)), end, stepMs));
  }
  for (const node of [...new Set(series.pressureLanes.map((g) => g.node))].sort()) {
    const lanes = series.pressureLanes.filter((g) => g.node === node);
    for (const condition of PRESSURE_CONDITIONS) {
      // The lane's state names the pressures holding ('MemoryPressure+DiskPressure') or says none held.
      const v = (st: string): number | null => (st === 'no pressure' ? 0 : st.split('+').includes(condition) ? 1 : PRESSURE_CONDITIONS.some((c) => st.split('+').includes(c)) ? 0 : null);
      add('node_pressure', { node, ...clusterOf(node), condition }, stepSamples(laneChanges(lanes, v), end, stepMs));
    }
  }
  add('nodes_not_ready', {}, stepSamples(series.notReadyCount, end, stepMs));
  add('nodes_under_pressure', {}, stepSamples(series.pressureCount, end, stepMs));

  for (const p of [...podsByPhase(records).values()].sort((a, b) => `${a.cluster}/${a.phase}`.localeCompare(`${b.cluster}/${b.phase}`))) {
    add('pods', { ...(p.cluster !== undefined ? { cluster: String(p.cluster) } : {}), phase: p.phase }, stepSamples(p.changes, end, stepMs));
  }
  for (const [node, pts] of Object.entries(series.podsPerNode)) add('pods_on_node', { node, ...clusterOf(node) }, stepSamples(pts, end, stepMs));
  // The same window and pods as the summary's podsEvicted, so the counter's last value is that figure.
  const evictedAt = [...podLives(records).values()].map((p) => p.evictedAt).filter((t): t is number => t !== undefined && t >= from && t <= end);
  add('pods_evicted', {}, counterAt(evictedAt, from, end, stepMs));
  add('pods_rescheduled', {}, counterAt(series.replacements.map(([t]) => t), from, end, stepMs));

  const observer = series.pool.observer;
  if (observer !== null) {
    for (const state of MEMBER_STATES) add('consul_members', { observer, state }, series.pool.byState[state] ?? []);
    add('consul_pool_size', { observer }, series.pool.total);
  }

  for (const [service, lat] of [['consul', series.consulLatency], ['vault', series.vaultLatency]] as const) {
    add('probe_latency_seconds', { service }, lat.ok.map(([t, ms]) => [t, ms / 1000]));
    add('probe_latency_p99_seconds', { service }, lat.p99.map(([t, ms]) => [t, ms / 1000]));
    add('probe_errors', { service }, counterAt(lat.errors, s.history.start, end, stepMs));
  }

  for (const [node, byComp] of Object.entries(series.cpu)) {
    if (node === 'all') continue;
    for (const [comp, pts] of Object.entries(byComp)) {
      if ((NODE_SCOPES as readonly string[]).includes(comp)) add('cpu_cores', { node, ...clusterOf(node), scope: comp }, pts);
      else add('component_cpu_cores', { node, ...clusterOf(node), component: comp }, pts);
    }
  }

  add('delivery_rate_lines_per_second', {}, series.delivery.deliveredRate);
  add('kafka_backlog_messages', {}, series.delivery.backlog);
  add('shipper_buffered_lines', {}, series.delivery.buffered);
  const d = s.delivery;
  const balance: [string, Maybe<number>][] = [
    ['written', d.written], ['delivered', d.delivered], ['dropped', d.dropped], ['buffered', d.bufferedAtEnd], ['lost', d.lostWithPods], ['unaccounted', d.unaccounted],
  ];
  // A bound is not the figure: an Unknown stays out of Prometheus rather than read as exact there.
  for (const [kind, m] of balance) if (typeof m === 'number') add('delivery_lines', { kind }, [[end, m]]);

  // What users felt (runs with traffic only): the seconds as recorded, so a missing second has no sample.
  const us = series.users;
  if (us) {
    add('user_requests_per_second', { outcome: 'ok' }, us.ok);
    for (const [outcome, pts] of Object.entries(us.errors)) add('user_requests_per_second', { outcome }, pts);
    add('user_latency_p50_seconds', {}, us.p50.map(([t, ms]) => [t, ms / 1000]));
    add('user_latency_p99_seconds', {}, us.p99.map(([t, ms]) => [t, ms / 1000]));
    if (typeof s.users?.errorMinutes === 'number') add('user_error_minutes', {}, [[end, s.users.errorMinutes]]);
    if (us.lb) {
      add('lb_servers', { view: 'listed' }, us.lb.servers);
      add('lb_servers', { view: 'gone' }, us.lb.gone);
      add('lb_servers', { view: 'missing' }, us.lb.missing);
      add('lb_look_errors', {}, counterAt(us.lb.failed, s.history.start, end, stepMs));
    }
  }
  return out;
}

/** The OpenMetrics text of a run: one TYPE/HELP per family, samples in time order per series, `# EOF`. */
export function toOpenMetrics(input: ExportInput): string {
  const all = runSeries(input);
  const base = input.labels;
  const lines: string[] = [];
  for (const f of FAMILIES as readonly Family[]) {
    const list = all.get(f.name as FamilyName);
    if (!list?.length) continue;
    const name = `${PREFIX}${f.name}`;
    lines.push(`# TYPE ${name} ${f.type}`, `# HELP ${name} ${escapeHelp(f.help)}`);
    const sample = f.type === 'counter' ? `${name}_total` : name;
    for (const s of list) {
      const labels = { run: base.run, scenario: base.scenario, variant: base.variant, ...s.labels };
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      for (const [t, v] of s.points) lines.push(`${sample}{${text}} ${formatValue(v)} ${formatTs(t)}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

function escapeHelp(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}
