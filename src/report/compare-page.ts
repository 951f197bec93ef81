// Runs side by side: a metrics table (best value per row marked) and timelines overlaid, every run
// shifted so its cut is at T+0, so "how fast did it go wrong" reads straight across the charts.
import type { RunAnalysis } from '../analysis/analyze.ts';
import { HOST_METRICS, METRICS, notMeasuredText, USER_METRICS, type MetricDef } from '../analysis/catalog.ts';
import { describeDisturbance, floodDisturbance } from '../analysis/host.ts';
import { isNoTraffic } from '../analysis/users.ts';
import { isUnknown } from '../analysis/unknown.ts';
import { fmtText } from '../analysis/text.ts';
import { describeScenario } from '../scenario/summary.ts';
import type { ResolvedScenario } from '../scenario/types.ts';
import { bandsOf, relSeries, stepSpan, type TimeChartSpec } from './charts.ts';
import { fmtHtml, timeHtml } from './format.ts';
import { html } from './html.ts';
import { chartCard, page } from './layout.ts';

export interface CompareRun {
  id: string;
  analysis: RunAnalysis;
  scenario: ResolvedScenario | null;
  /** Link to the run's own report, relative to the comparison page. */
  link?: string;
}

/** The rows the comparison shows (all of the catalog would drown the differences). */
export const COMPARE_KEYS = [
  'firstNotReadyMs', 'notReadyNodeSeconds', 'maxNotReady', 'firstPressureMs', 'pressureNodeSeconds', 'maxPressure', 'podsEvicted', 'podsRescheduled', 'lineageDepth',
  'runtimeCpuPeak', 'kubeletCpuPeak', 'nodeCpuPeak', 'poolPeak', 'poolPeakFailed', 'failedAtEnd',
  'consulP99Flood', 'vaultP99Flood', 'vaultSealedMs', 'deliveredRatio', 'lostWithPods', 'timeToRecoverMs',
  // What users felt, with the requests they stand on; "not measured" for runs that sent none.
  'userRequests', ...USER_METRICS,
  // What else ran on the machine in the flood: context for the rows above, not an outcome.
  ...HOST_METRICS,
];

/** A cell as text: "not measured" / "not recorded" where the run never measured it, else the value or its bound. */
function cellText(m: MetricDef, v: ReturnType<MetricDef['get']>): string {
  return notMeasuredText(v) ?? fmtText(v, m.unit, m.nullText);
}

function cellHtml(m: MetricDef, v: ReturnType<MetricDef['get']>) {
  const nm = notMeasuredText(v);
  return nm && v !== null && isUnknown(v) ? html`<span class="notmeasured" title="${v.reason}">${nm}</span>` : fmtHtml(v, m.unit, m.nullText);
}

/** Runs whose flood had other processes above the threshold on the machine: "#2 <id>: other processes above ...". */
export function disturbedRuns(runs: readonly CompareRun[]): string[] {
  return runs.flatMap((r, i) => {
    const d = floodDisturbance(r.analysis.summary.host);
    return d.status === 'disturbed' ? [`#${i + 1} ${r.id}: ${describeDisturbance(d)}; its figures may be disturbed`] : [];
  });
}

/** Per-tick maximum over nodes of one CPU component: "the worst node" as one line per run. */
export function worstNode(a: RunAnalysis, comp: string): [number, number][] {
  const byT = new Map<number, number>();
  for (const [node, comps] of Object.entries(a.series.cpu)) {
    if (node === 'all') continue;
    for (const [t, v] of comps[comp] ?? []) byT.set(t, Math.max(byT.get(t) ?? -Infinity, v));
  }
  return [...byT].sort((x, y) => x[0] - y[0]);
}

export function renderComparePage(runs: CompareRun[], generatedAt: number): string {
  const label = (i: number) => `#${i + 1}`;
  const metrics = COMPARE_KEYS.map((k) => METRICS.find((m) => m.key === k)!).filter(Boolean);
  const samePlan = runs.every((r) => planOf(r) === planOf(runs[0]!));
  const first = runs[0]?.analysis.summary;
  const bands = samePlan && first ? bandsOf(first.phases, first.t0) : [];
  const chart = (id: string, title: string, hint: string, yName: string, pick: (a: RunAnalysis) => [number, number][], step = false, log = false): TimeChartSpec => ({
    kind: 'time',
    id,
    title,
    hint,
    yAxes: [{ name: yName, min: log ? 0.5 : 0, ...(log ? { log: true } : {}) }],
    bands,
    series: runs.map((r, i) => ({ name: `${label(i)} ${shortName(r)}`, data: relSeries(pick(r.analysis), r.analysis.summary.t0), step, t0: r.analysis.summary.t0 })),
  });
  const charts: TimeChartSpec[] = [
    chart('c-notready', 'Nodes NotReady', 'Step count of NotReady nodes per run.', 'nodes', (a) => a.series.notReadyCount, true),
    chart('c-pressure', 'Nodes under pressure', 'Step count of nodes with Memory, Disk or PID pressure per run (the kubelet evicts, the node stays Ready).', 'nodes', (a) => a.series.pressureCount, true),
    chart('c-runtime', 'Container runtime CPU, worst node', 'Per tick, the highest runtime CPU of any node in the run.', 'cores', (a) => worstNode(a, 'runtime')),
    chart('c-replaced', 'Replacement pods (cumulative)', 'Pods created to replace evicted or deleted ones.', 'pods', (a) => stepSpan(a.series.replacements, a.summary.phases[0]?.from, a.summary.history.end), true),
    chart('c-failed', 'Failed Consul members', 'As each run\u2019s busiest observer saw them.', 'members', (a) => a.series.pool.byState.failed ?? []),
    chart('c-consul', 'Consul p99 (10 s windows)', 'KV read latency.', 'ms', (a) => a.series.consulLatency.p99, false, true),
    chart('c-delivery', 'Delivered lines per second', 'What the lab\u2019s Kafka consumer received.', 'lines/s', (a) => a.series.delivery.deliveredRate),
  ];
  for (const c of charts) c.yAxes[0]!.integer = ['c-notready', 'c-pressure', 'c-replaced', 'c-failed'].includes(c.id);

  const best = (k: (typeof metrics)[number]) => {
    if (!k.better) return new Set<number>();
    const vals = runs.map((r) => k.get(r.analysis.summary)).map((v) => (typeof v === 'number' ? v : v === null ? (k.better === 'lower' ? Infinity : -Infinity) : NaN));
    const finite = vals.filter((v) => !Number.isNaN(v));
    if (finite.length < 2) return new Set<number>();
    const target = k.better === 'lower' ? Math.min(...finite) : Math.max(...finite);
    if (finite.every((v) => v === target)) return new Set<number>();
    return new Set(vals.map((v, i) => (v === target ? i : -1)).filter((i) => i >= 0));
  };

  const disturbed = disturbedRuns(runs);
  const body = html`
${runs.some((r) => r.analysis.summary.history.synthetic) ? html`<div class="banner synthetic">Some runs here are SYNTHETIC (generated by a test fixture): their numbers were not measured.</div>` : ''}
<section id="runs"><h2>Runs</h2><div class="card"><table class="wrap"><thead><tr><th></th><th>run</th><th>scenario</th><th>cut at</th><th>gaps</th></tr></thead><tbody>
${runs.map((r, i) => html`<tr><td><b>${label(i)}</b></td><td class="mono">${r.link ? html`<a href="${r.link}">${r.id}</a>` : r.id}</td><td>${r.scenario ? describeScenario(r.scenario) : html`<span class="unknown">unknown</span>`}</td><td>${timeHtml(r.analysis.summary.cutAt)}</td><td>${r.analysis.summary.gaps.length}${r.analysis.summary.history.truncated ? ' (truncated)' : ''}</td></tr>`)}
</tbody></table>${samePlan ? '' : html`<p class="muted">The runs have different phase plans, so no phases are shaded; every run is aligned at its own cut.</p>`}</div></section>
<section id="numbers"><h2>Side by side</h2><div class="card scroll"><table><thead><tr><th>metric</th>${runs.map((r, i) => html`<th class="num">${label(i)}<br><span class="muted">${shortName(r)}</span></th>`)}</tr></thead><tbody>
${metrics.map((m) => {
    const b = best(m);
    return html`<tr><td>${m.label}${m.better ? html` <span class="muted">(${m.better} is better)</span>` : ''}</td>${runs.map((r, i) => html`<td class="num">${b.has(i) ? html`<b>${cellHtml(m, m.get(r.analysis.summary))}</b>` : cellHtml(m, m.get(r.analysis.summary))}</td>`)}</tr>`;
  })}
</tbody></table>${disturbed.length ? html`<p><b>Measured beside other work on the machine:</b></p><ul>${disturbed.map((d) => html`<li>${d}</li>`)}</ul>` : ''}</div></section>
<section id="timelines"><h2>Timelines, aligned at the cut</h2><div class="grid two">${charts.map((c) => chartCard(c))}</div></section>`;

  return page({
    title: `Comparison of ${runs.length} runs · outage-lab`,
    header: html`<header class="top"><h1>Comparing ${runs.length} run(s)</h1><div class="sub">${runs.map((r, i) => `${label(i)} ${r.id}`).join(' · ')}</div><div class="when">built ${timeHtml(generatedAt)}</div></header>`,
    nav: [{ id: 'runs', label: 'Runs' }, { id: 'numbers', label: 'Side by side' }, { id: 'timelines', label: 'Timelines' }],
    body,
    charts,
  });
}

function planOf(r: CompareRun): string {
  return r.analysis.summary.phases.map((p) => `${p.name}:${p.plannedMs ?? ''}`).join(',');
}

function shortName(r: CompareRun): string {
  const s = r.scenario;
  if (!s) return r.id;
  return [s.variant, s.shipper.mode !== 'naive' ? s.shipper.mode : '', s.shipper.source !== 'file' ? s.shipper.source : '', s.clusters === 2 ? '2 clusters' : '', s.remedy ? s.remedy.kind : '', ...s.variants.filter((v) => !['sidecar', 'daemonset'].includes(v) && !v.startsWith('shipper-') && v !== 'split-clusters' && v !== 'gossip-encryption' && v !== 'kubelet-api' && v !== 'docker-api-logs')].filter(Boolean).join(' ');
}

/** The terminal version: metrics down, runs across, unknowns as "unknown"/bounds, then a legend. */
export function compareTable(runs: CompareRun[], width = process.stdout.columns || 120): string {
  const metrics = COMPARE_KEYS.map((k) => METRICS.find((m) => m.key === k)!).filter(Boolean);
  const rows = metrics.map((m) => [m.label, ...runs.map((r) => cellText(m, m.get(r.analysis.summary)))]);
  const header = ['metric', ...runs.map((_, i) => `#${i + 1}`)];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => [...r[c]!].length)));
  const fit = Math.max(8, Math.floor((width - widths[0]! - 2) / Math.max(1, runs.length)) - 2);
  const cell = (text: string, c: number) => {
    const w = c === 0 ? widths[0]! : Math.min(widths[c]!, fit);
    const t = [...text].length > w ? `${[...text].slice(0, w - 1).join('')}…` : text;
    return c === 0 ? t.padEnd(w) : t.padStart(w);
  };
  const line = (r: string[]) => r.map(cell).join('  ');
  const sep = header.map((_, c) => '─'.repeat(c === 0 ? widths[0]! : Math.min(widths[c]!, fit))).join('  ');
  const legend = runs.map((r, i) => `#${i + 1} ${r.id}${r.scenario ? ` — ${shortName(r)}` : ''}${r.analysis.summary.gaps.length ? ` (${r.analysis.summary.gaps.length} gap(s))` : ''}`);
  const values = runs.flatMap((r) => metrics.map((m) => m.get(r.analysis.summary)));
  const unknownNote = values.some((v) => v !== null && isUnknown(v) && !notMeasuredText(v))
    ? ['', '≥/≤: the recorder was partly blind, the value is a bound; unknown: not observed. See each run\u2019s report.']
    : [];
  const why = [
    values.some(isNoTraffic) ? 'not measured (users): the run sent no users\u2019 traffic through the LB (`--variant users` sends it)' : '',
    values.some((v) => notMeasuredText(v) === 'not measured' && !isNoTraffic(v)) ? 'not measured (host): the run\u2019s nodes were not on this machine' : '',
    values.some((v) => notMeasuredText(v) === 'not recorded') ? 'not recorded: the run predates the host sampler' : '',
  ].filter(Boolean);
  const notMeasuredNote = why.length ? [...(unknownNote.length ? [] : ['']), ...why.map((w) => `${w}.`)] : [];
  const disturbed = disturbedRuns(runs);
  const disturbedNote = disturbed.length ? ['', 'Measured beside other work on the machine:', ...disturbed.map((d) => `  ${d}`)] : [];
  return [line(header), sep, ...rows.map(line), '', ...legend, ...unknownNote, ...notMeasuredNote, ...disturbedNote].join('\n');
}
