// The run page's runtime panel (question 5): how each node's container runtime answered the probe, how
// the kubelet's PLEG relists through it went, how regularly the kubelet renewed its Lease, and every
// NotReady stretch with the words the kubelet or the node controller gave for it. Same time axis, phase
// bands and fault marks as the other charts; drawn only for runs whose history has these records.
import type { RunAnalysis } from '../analysis/analyze.ts';
import type { NotReadyStretch, RuntimeHealthMetrics } from '../analysis/runtime-health.ts';
import { PLEG_CHART_WINDOW_MS } from '../analysis/runtime-health.ts';
import type { ResolvedScenario } from '../scenario/types.ts';
import { formatDuration } from '../util/duration.ts';
import { rel, relSeries, type TimeChartSpec } from './charts.ts';
import { fmtHtml, relText, timeHtml } from './format.ts';
import { html, type Html } from './html.ts';
import { chartCard } from './layout.ts';

/** The kubelet's PLEG health threshold (pkg/kubelet/pleg, relistThreshold): no relist for this long is "PLEG is not healthy". */
const RELIST_THRESHOLD_S = 180;

type TimeChart = (c: Omit<TimeChartSpec, 'kind' | 't0' | 'bands' | 'marks'>) => TimeChartSpec;

export function runtimeCharts(a: RunAnalysis, scenario: ResolvedScenario | null, timeChart: TimeChart): TimeChartSpec[] {
  const h = a.series.runtimeHealth;
  if (!h || !a.summary.runtimeHealth) return [];
  const t0 = a.summary.t0;
  const from = a.summary.phases[0]?.from ?? a.summary.history.start;
  const end = a.summary.history.end;
  const flat = (v: number): [number, number][] => [[rel(from, t0), v], [rel(end, t0), v]];
  const nodes = a.summary.runtimeHealth.nodes.map((n) => n.node);
  const probeMax = Math.max(10, ...Object.values(h.probe).flatMap((pts) => pts.map(([, v]) => v)));
  const grace = scenario?.cluster.nodeMonitorGracePeriodMs;
  return [
    timeChart({
      id: 'runtime-probe',
      title: 'Container runtime probe latency per node',
      hint: 'How long the node\u2019s runtime took to list its containers (docker ps / crictl ps inside the node, every 5 s; log scale). Failed probes are drawn along the top.',
      yAxes: [{ name: 'ms', log: true, min: 1 }],
      series: [
        ...nodes.map((n) => ({ name: n, type: 'scatter' as const, data: relSeries(h.probe[n] ?? [], t0), symbolSize: 3 })),
        ...nodes.filter((n) => h.probeFailures[n]?.length).map((n) => ({ name: `${n} failed`, type: 'scatter' as const, data: h.probeFailures[n]!.map((t): [number, number] => [rel(t, t0), probeMax * 1.6]), color: '#d9483b', symbolSize: 6 })),
      ],
    }),
    timeChart({
      id: 'pleg',
      title: 'Kubelet PLEG: relist p99 and time since the last relist',
      hint: `Relist p99 over ${PLEG_CHART_WINDOW_MS / 1000} s windows from kubelet_pleg_relist_duration_seconds (left, interpolated within the kubelet\u2019s buckets); time since the PLEG last relisted, from kubelet_pleg_last_seen_seconds (right, dashed). At ${RELIST_THRESHOLD_S / 60} minutes without a relist the kubelet reports \u201cPLEG is not healthy\u201d and the node goes NotReady.`,
      yAxes: [{ name: 'relist p99 ms', min: 0 }, { name: 's since relist', min: 0 }],
      series: [
        ...nodes.filter((n) => h.plegP99[n]).map((n) => ({ name: `${n} relist p99`, data: relSeries(h.plegP99[n]!, t0) })),
        ...nodes.filter((n) => h.plegSinceRelist[n]).map((n) => ({ name: `${n} since relist`, data: relSeries(h.plegSinceRelist[n]!.map(([t, ms]): [number, number] => [t, ms / 1000]), t0), yAxis: 1, dashed: true })),
        { name: 'relistThreshold (3 min)', data: flat(RELIST_THRESHOLD_S), yAxis: 1, dashed: true, color: '#b00020' },
      ],
    }),
    timeChart({
      id: 'lease-gaps',
      title: 'Node Lease renewals: time since the previous renewal',
      hint: `Each point is a renewal of a node\u2019s Lease in kube-node-lease (the kubelet\u2019s heartbeat, every 10 s when healthy), at the time since the one before; the last point of a node that stopped renewing is the open gap to the end.${grace ? ` Dashed: the node-monitor grace period (${formatDuration(grace)}), after which the node controller marks a silent node Unknown.` : ''}`,
      yAxes: [{ name: 's', min: 0 }],
      series: [
        ...nodes.filter((n) => h.leaseGaps[n]).map((n) => ({ name: n, data: relSeries(h.leaseGaps[n]!.map(([t, ms]): [number, number] => [t, ms / 1000]), t0) })),
        ...(grace ? [{ name: 'node-monitor grace period', data: flat(grace / 1000), dashed: true, color: '#b00020' }] : []),
      ],
    }),
  ];
}

export function runtimeSection(a: RunAnalysis, byId: Record<string, TimeChartSpec | { id: string }>): Html {
  const rh = a.summary.runtimeHealth;
  if (!rh) return html``;
  const s = a.summary;
  const rec = rh.recorded;
  const missing = [
    rec.runtimeProbe ? '' : 'the runtime probe',
    rec.pleg ? '' : 'the kubelet\u2019s PLEG metrics',
    rec.leases ? '' : 'Lease renewals',
    rec.conditionMessages ? '' : 'condition messages',
  ].filter(Boolean);
  const absent = Object.entries(rh.absentMetrics).map(([m, nodes]) => `${m} (${nodes.join(', ')})`);
  return html`<section id="runtime"><h2>Runtime and kubelet health</h2>
<p class="lead">Why a node went NotReady, if one did: the runtime\u2019s answers to the probe, the kubelet\u2019s PLEG relists through it, its Lease renewals, and the Ready condition\u2019s own words. Restore to first NotReady: <b>${fmtHtml(s.nodes.timeToFirstNotReadyMs, 'ms', 'never')}</b>.${missing.length ? html` <span class="muted">Not in this run\u2019s history: ${missing.join(', ')} (recorded before they existed, or not observed).</span>` : ''}${absent.length ? html` <span class="muted">Not exposed by the kubelet: ${absent.join('; ')}.</span>` : ''}</p>
<div class="grid">${chartCard(byId['runtime-probe'] as TimeChartSpec)}</div>
<div class="grid two" style="margin-top:14px">${chartCard(byId.pleg as TimeChartSpec)}${chartCard(byId['lease-gaps'] as TimeChartSpec)}</div>
<div class="grid" style="margin-top:14px">${notReadyTable(rh.notReady, s.t0)}</div>
<div class="grid" style="margin-top:14px">${phaseTable(rh)}</div></section>`;
}

function notReadyTable(stretches: readonly NotReadyStretch[], t0: number): Html {
  return html`<div class="card"><h3>NotReady stretches and what the node said</h3>${
    stretches.length === 0
      ? html`<p class="muted">No node went NotReady.</p>`
      : html`<div class="scroll" style="max-height:360px"><table class="wrap"><thead><tr><th>node</th><th>from</th><th>to</th><th class="num">for</th><th>reason</th><th>messages (first seen)</th></tr></thead><tbody>
${stretches.map(
  (iv) => html`<tr><td class="mono">${iv.node}</td><td>${relText(iv.from, t0)}<br>${timeHtml(iv.from)}</td><td>${iv.open ? 'still at end' : relText(iv.to, t0)}</td><td class="num">${formatDuration(iv.to - iv.from)}</td><td>${iv.reason ?? ''}</td><td>${
    iv.messages.length ? iv.messages.map((m) => html`<div><span class="muted">${relText(m.at, t0)}</span> ${m.message}</div>`) : html`<span class="muted">no message recorded</span>`
  }</td></tr>`,
)}
</tbody></table></div>`
  }</div>`;
}

function phaseTable(rh: RuntimeHealthMetrics): Html {
  const phases = [...new Set(rh.nodes.flatMap((n) => Object.keys(n.byPhase)))];
  return html`<div class="card"><h3>Per node and phase</h3><p class="hint muted">Probe p50 / p99 / max over the probes that answered (a timed-out probe counts at its elapsed time, so the numbers become lower bounds); PLEG relist p99 from the kubelet\u2019s histogram over the phase; the longest time without a relist the kubelet reported; the longest gap between Lease renewals touching the phase.</p>
<div class="scroll"><table><thead><tr><th>node</th><th>phase</th><th class="num">probes</th><th class="num">failed</th><th class="num">p50</th><th class="num">p99</th><th class="num">max</th><th class="num">PLEG relist p99</th><th class="num">relists</th><th class="num">longest without relist</th><th class="num">longest Lease gap</th></tr></thead><tbody>
${rh.nodes.flatMap((n) =>
  phases
    .filter((p) => n.byPhase[p])
    .map((p) => {
      const x = n.byPhase[p]!;
      return html`<tr><td class="mono">${n.node}</td><td>${p}</td><td class="num">${x.probe.n}</td><td class="num">${x.probe.failures}</td><td class="num">${fmtHtml(x.probe.p50Ms, 'ms')}</td><td class="num">${fmtHtml(x.probe.p99Ms, 'ms')}</td><td class="num">${fmtHtml(x.probe.maxMs, 'ms')}</td><td class="num">${fmtHtml(x.plegRelistP99Ms, 'ms')}</td><td class="num">${fmtHtml(x.plegRelists, 'count')}</td><td class="num">${fmtHtml(x.plegLongestIntervalMs, 'ms')}</td><td class="num">${fmtHtml(x.leaseGapMaxMs, 'ms')}</td></tr>`;
    }),
)}
</tbody></table></div></div>`;
}

/** The message of the NotReady stretch that ended a pod, for the lineage: matched by node and start. */
export function notReadyMessage(rh: RuntimeHealthMetrics | undefined, node: string, from: number): string | undefined {
  const iv = rh?.notReady.find((x) => x.node === node && x.from === from);
  return iv?.messages.length ? iv.messages.map((m) => m.message).join(' → ') : undefined;
}
