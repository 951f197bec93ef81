// One run's report page: what happened (timeline, nodes, pods, CPU, pool, latencies, delivery), why
// (the lineage), what the recorder could not see (gaps, first), and under which settings (every tuning,
// every version). Built from the analysis alone, so it can be rebuilt from a run folder at any time.
import type { RunAnalysis } from '../analysis/analyze.ts';
import { floodPhaseLabel, peakOverNodes, pressureNodeSeconds } from '../analysis/catalog.ts';
import { isNotBack, MEMBER_STATES } from '../analysis/consul.ts';
import type { LineageTreeNode } from '../analysis/lineage.ts';
import { PRESSURE_CONDITIONS } from '../analysis/nodes.ts';
import { isUnknown, type Maybe } from '../analysis/unknown.ts';
import { describeScenario, phaseLine } from '../scenario/summary.ts';
import type { ResolvedScenario } from '../scenario/types.ts';
import { formatDuration } from '../util/duration.ts';
import { bandsOf, marksOf, relSeries, stepSpan, PRESSURE_COLORS, PRESSURE_SEVERAL, STATE_COLORS, rel, type Band, type ChartSpec, type Mark, type TimeChartSpec } from './charts.ts';
import { fmtHtml, fmtNumber, fmtText, relText, timeHtml, type Unit } from './format.ts';
import { html, type Html } from './html.ts';
import { chartCard, page } from './layout.ts';
import { hostCard } from './host-panel.ts';
import { usersCharts, usersSection } from './users-panel.ts';
import { notReadyMessage, runtimeCharts, runtimeSection } from './runtime-panel.ts';

export interface RunReportInput {
  analysis: RunAnalysis;
  scenario: ResolvedScenario | null;
  versions: Record<string, string>;
  runId: string;
  /** The history says it was generated, not measured (test fixtures): a banner says so. */
  synthetic: boolean;
  generatedAt: number;
}

const STATE_SERIES_COLORS: Record<string, string> = { alive: '#3aa76d', suspect: '#f0c419', failed: '#d9483b', leaving: '#8e5cd9', left: '#9aa3ad' };

export function renderRunReport(input: RunReportInput): string {
  const { summary: s, series } = input.analysis;
  const t0 = s.t0;
  const bands = bandsOf(s.phases, t0);
  const marks = marksOf(series.faults, t0);
  const xMin = s.phases.length ? rel(s.phases[0]!.from, t0) : undefined;
  const xMax = Number.isFinite(s.history.end) ? rel(s.history.end, t0) : undefined;
  const range = { ...(xMin !== undefined ? { xMin } : {}), ...(xMax !== undefined ? { xMax } : {}) };
  const timeChart = (c: Omit<TimeChartSpec, 'kind' | 't0' | 'bands' | 'marks'> & { bands?: Band[] }): TimeChartSpec => ({
    kind: 'time',
    t0,
    marks,
    ...range,
    ...c,
    bands: c.bands ?? bands,
  });
  const nodes = s.nodes.nodes;
  const noData = (n: number) => (n === 0 ? ' No records of this kind in the history.' : '');

  const charts: ChartSpec[] = [];
  const overview = timeChart({
    id: 'overview',
    title: 'The cascade at a glance',
    hint: 'Phases shaded, fault journal events as dashed lines. NotReady nodes and nodes under pressure (Memory, Disk or PID: the kubelet evicts while the node stays Ready) on the left axis; replacement pods created and failed Consul members on the right.',
    yAxes: [{ name: 'nodes', min: 0, integer: true }, { name: 'pods / members', min: 0, integer: true }],
    series: [
      { name: 'nodes NotReady', data: relSeries(series.notReadyCount, t0), step: true, area: true, color: '#d9483b' },
      { name: 'nodes under pressure', data: relSeries(series.pressureCount, t0), step: true, color: '#c2417f' },
      { name: 'replacement pods (cumulative)', data: relSeries(stepSpan(series.replacements, s.phases[0]?.from, s.history.end), t0), step: true, yAxis: 1, color: '#2a6fdb' },
      { name: 'failed Consul members', data: relSeries(series.pool.byState.failed ?? [], t0), yAxis: 1, color: '#8e5cd9' },
    ],
  });
  charts.push(overview);
  charts.push({
    kind: 'swimlane',
    id: 'nodes',
    title: 'Node Ready states',
    hint: `Each lane is a node as the API server reported it; grey is where the node watch was blind.${noData(nodes.length)}`,
    t0,
    lanes: nodes,
    segments: series.nodeSegments.map((g) => ({ lane: nodes.indexOf(g.node), from: rel(g.from, t0), to: rel(g.to, t0), state: g.state })),
    colors: STATE_COLORS,
    bands,
    marks,
    ...range,
    height: Math.max(200, 80 + nodes.length * 34),
  });
  charts.push(pressureChart(input, range, bands, marks));
  charts.push(
    timeChart({
      id: 'pods',
      title: 'Pods per node',
      hint: `Pods scheduled on each node and not yet ended (evicted, deleted or failed).${noData(Object.keys(series.podsPerNode).length)}`,
      yAxes: [{ name: 'pods', min: 0, integer: true }],
      series: Object.entries(series.podsPerNode).map(([n, pts]) => ({ name: n, data: relSeries(pts, t0), step: true })),
    }),
  );
  const cpuNodes = Object.keys(series.cpu).filter((n) => n !== 'all');
  const limit = s.cpu.limitCores;
  charts.push(
    timeChart({
      id: 'cpu-nodes',
      title: 'CPU per node',
      hint: `Cores used by each node container${limit !== null ? `; the scenario limits a node to ${limit} cores` : ''}.${noData(cpuNodes.length)}`,
      yAxes: [{ name: 'cores', min: 0, ...(limit !== null ? { max: Math.max(limit, ...cpuNodes.flatMap((n) => (series.cpu[n]?.node ?? []).map(([, v]) => v))) } : {}) }],
      series: cpuNodes.map((n) => ({ name: n, data: relSeries(series.cpu[n]?.node ?? [], t0) })),
    }),
  );
  charts.push(
    timeChart({
      id: 'cpu-runtime',
      title: 'Container runtime and kubelet CPU per node',
      hint: 'The shared parts of a node: the runtime (containerd; under Docker, dockerd and containerd) as solid lines, the kubelet dashed. A runtime that eats the node starves the kubelet\u2019s heartbeat.',
      yAxes: [{ name: 'cores', min: 0 }],
      series: cpuNodes.flatMap((n) => [
        { name: `${n} runtime`, data: relSeries(series.cpu[n]?.runtime ?? [], t0) },
        { name: `${n} kubelet`, data: relSeries(series.cpu[n]?.kubelet ?? [], t0), dashed: true },
      ]),
    }),
  );
  const comps = s.cpu.components;
  charts.push(
    timeChart({
      id: 'cpu-components',
      title: 'CPU by component, summed over all nodes',
      hint: `node = whole node containers; runtime, kubelet, shims = the shared parts; pods = all pod cgroups, split below by workload (pod/...).${noData(comps.length)}`,
      yAxes: [{ name: 'cores', min: 0 }],
      series: comps.map((c) => ({ name: c, data: relSeries(series.cpu.all?.[c] ?? [], t0), ...(c === 'node' ? { dashed: true } : {}) })),
    }),
  );
  charts.push(
    timeChart({
      id: 'pool',
      title: 'Consul pool by member state',
      hint: `As ${s.pool.observer ?? 'a server'} sees it. Failed members that never leave are the "gossip poisoning" of question 2.${noData(series.pool.total.length)}`,
      yAxes: [{ name: 'members', min: 0, integer: true }],
      series: MEMBER_STATES.map((st) => ({ name: st, data: relSeries(series.pool.byState[st] ?? [], t0), area: true, stack: 'pool', color: STATE_SERIES_COLORS[st]! })),
    }),
  );
  const rateNames = Object.keys(series.gossip.rates);
  charts.push(
    timeChart({
      id: 'gossip',
      title: 'Gossip traffic and Consul server CPU',
      hint: `Per-second rates of the servers\u2019 memberlist/serf counters (left), server CPU (right, dashed).${noData(rateNames.length + Object.keys(series.gossip.serverCpu).length)}`,
      yAxes: [{ name: 'per second', min: 0 }, { name: 'cores', min: 0 }],
      series: [
        ...rateNames.map((n) => ({ name: n, data: relSeries(series.gossip.rates[n]!, t0) })),
        ...Object.entries(series.gossip.serverCpu).map(([o, pts]) => ({ name: `${o} CPU`, data: relSeries(pts, t0), yAxis: 1, dashed: true })),
      ],
    }),
  );
  const sealedBands: Band[] = s.vaultSeal.intervals.map((i) => ({ from: rel(i.from, t0), to: rel(i.to, t0), label: 'Vault sealed', color: 'rgba(120,0,0,0.22)' }));
  const errY = Math.max(10, ...series.consulLatency.ok.map(([, v]) => v), ...series.vaultLatency.ok.map(([, v]) => v)) * 1.6;
  charts.push(
    timeChart({
      id: 'latency',
      title: 'Consul and Vault latency',
      hint: 'Every KV read probe (dots, log scale) and the p99 over 10 s windows (lines). Failed probes are drawn along the top. Dark red bands: Vault reported itself sealed.',
      yAxes: [{ name: 'ms', log: true, min: 0.5 }],
      bands: [...bands, ...sealedBands],
      series: [
        { name: 'Consul', type: 'scatter', data: relSeries(series.consulLatency.ok, t0), color: '#2a6fdb', symbolSize: 3 },
        { name: 'Vault', type: 'scatter', data: relSeries(series.vaultLatency.ok, t0), color: '#8e5cd9', symbolSize: 3 },
        { name: 'Consul p99 (10 s)', data: relSeries(series.consulLatency.p99, t0), color: '#1a4fa8' },
        { name: 'Vault p99 (10 s)', data: relSeries(series.vaultLatency.p99, t0), color: '#5b2fa0' },
        { name: 'Consul errors', type: 'scatter', data: series.consulLatency.errors.map((t) => [rel(t, t0), errY]), color: '#d9483b', symbolSize: 6 },
        { name: 'Vault errors', type: 'scatter', data: series.vaultLatency.errors.map((t) => [rel(t, t0), errY * 1.3]), color: '#f08c2e', symbolSize: 6 },
      ],
    }),
  );
  const d = s.delivery;
  const val = (v: Maybe<number>) => (typeof v === 'number' ? v : v.observed ?? null);
  charts.push({
    kind: 'bar',
    id: 'delivery-totals',
    title: 'Where the log lines went',
    hint: 'Totals over the run. Unknown values are drawn from what was seen (see the table).',
    categories: ['written', 'delivered', 'dropped', 'buffered at end', 'lost with pods', 'unaccounted'],
    bars: [{ name: 'lines', values: [val(d.written), val(d.delivered), val(d.dropped), val(d.bufferedAtEnd), val(d.lostWithPods), val(d.unaccounted)] }],
    yName: 'lines',
  });
  charts.push(
    timeChart({
      id: 'delivery',
      title: 'Delivery to Kafka over time',
      hint: 'Lines per second received by the lab\u2019s consumer (left); lines buffered in shippers and consumer lag (right). The flood is the wall after the restore.',
      yAxes: [{ name: 'lines/s', min: 0 }, { name: 'lines', min: 0 }],
      series: [
        { name: 'delivered lines/s', data: relSeries(series.delivery.deliveredRate, t0), area: true, color: '#3aa76d' },
        { name: 'buffered in shippers', data: relSeries(series.delivery.buffered, t0), yAxis: 1, color: '#f08c2e' },
        { name: 'consumer backlog', data: relSeries(series.delivery.backlog, t0), yAxis: 1, dashed: true, color: '#7a8b99' },
      ],
    }),
  );
  charts.push(...usersCharts(s, series, bands, timeChart));

  charts.push(...runtimeCharts(input.analysis, input.scenario, timeChart));

  const nav = [
    { id: 'gaps', label: 'Gaps' },
    { id: 'numbers', label: 'Key numbers' },
    ...(s.users ? [{ id: 'users', label: 'What users felt' }] : []),
    ...(input.analysis.summary.split ? [{ id: 'clusters', label: 'Clusters' }] : []),
    { id: 'timeline', label: 'Timeline' },
    { id: 'nodes', label: 'Nodes & pods' },
    { id: 'cpu', label: 'CPU' },
    ...(input.analysis.summary.runtimeHealth ? [{ id: 'runtime', label: 'Runtime' }] : []),
    { id: 'consul', label: 'Consul' },
    { id: 'latency', label: 'Latency' },
    { id: 'delivery', label: 'Delivery' },
    { id: 'lineage', label: 'Lineage' },
    { id: 'recovery', label: 'Recovery' },
    { id: 'settings', label: 'Tunings & versions' },
  ];
  const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
  const body = html`
${input.synthetic ? html`<div class="banner synthetic">SYNTHETIC DATA: this history was generated by a test fixture. Nothing on this page was measured.</div>` : ''}
${gapsSection(input)}
<section id="numbers"><h2>Key numbers</h2><p class="lead">Unknown values are in italics; hover for why. "≥" and "≤" mark bounds: the recorder saw at least (or at most) that much.</p>${kpis(input)}</section>
${usersSection(s, byId)}${clustersSection(input)}<section id="timeline"><h2>Timeline</h2>
<div class="grid">${chartCard(byId.overview!, true)}</div>
<div class="grid two" style="margin-top:14px">${phaseTable(input)}${faultTable(input)}</div></section>
<section id="nodes"><h2>Nodes and pods</h2>
<div class="grid">${chartCard(byId.nodes!)}</div>
<div class="grid" style="margin-top:14px">${chartCard(byId['node-pressure']!)}</div>
<div class="grid two" style="margin-top:14px">${chartCard(byId.pods!)}${conditionTable(input)}</div></section>
<section id="cpu"><h2>CPU</h2><p class="lead">Where each node\u2019s cores went: the node container as a whole and its shared parts (container runtime, kubelet, shims) against the pods.</p>
<div class="grid two">${chartCard(byId['cpu-nodes']!)}${chartCard(byId['cpu-runtime']!)}</div>
<div class="grid" style="margin-top:14px">${chartCard(byId['cpu-components']!)}</div>
<div class="grid two" style="margin-top:14px">${cpuTable(input)}${runtimeTable(input)}</div>
<div class="grid" style="margin-top:14px">${hostCard(s)}</div></section>
${runtimeSection(input.analysis, byId)}
<section id="consul"><h2>Consul pool and gossip</h2>
<div class="grid two">${chartCard(byId.pool!)}${chartCard(byId.gossip!)}</div>
<div class="grid" style="margin-top:14px">${poolTable(input)}</div></section>
<section id="latency"><h2>Consul and Vault latency</h2>
<div class="grid">${chartCard(byId.latency!, true)}</div>
<div class="grid" style="margin-top:14px">${latencyTable(input)}</div></section>
<section id="delivery"><h2>Log delivery</h2>
<div class="grid two">${chartCard(byId['delivery-totals']!)}${chartCard(byId.delivery!)}</div>
<div class="grid" style="margin-top:14px">${deliveryTable(input)}</div></section>
<section id="lineage"><h2>Rescheduling lineage</h2>${lineageSection(input)}</section>
<section id="recovery"><h2>Recovery</h2>${recoverySection(input)}</section>
<section id="settings"><h2>Tunings and versions</h2>${settingsSection(input)}</section>`;

  return page({ title: `${input.runId} · outage-lab report`, header: headerHtml(input), nav, body, charts, footer: html`Rebuild with <code>lab report ${input.runId}</code>.` });
}

/** Pressure as its own lanes under the Ready lanes: a node can evict its pods while staying Ready. */
function pressureChart(input: RunReportInput, range: { xMin?: number; xMax?: number }, bands: Band[], marks: Mark[]): ChartSpec {
  const { summary: s, series } = input.analysis;
  const nodes = s.nodes.nodes;
  const several = [...new Set(series.pressureLanes.map((g) => g.state))].filter((st) => !(st in PRESSURE_COLORS));
  return {
    kind: 'swimlane',
    id: 'node-pressure',
    title: 'Node pressure (kubelet conditions)',
    hint: `MemoryPressure, DiskPressure and PIDPressure as each kubelet posted them: under them it evicts pods while the node stays Ready (it may evict up to one status update before the condition shows). Light orange: a condition not reported (missing, or Unknown once the kubelet stopped posting); grey: node watch blind.${nodes.length ? '' : ' No records of this kind in the history.'}`,
    t0: s.t0,
    lanes: nodes,
    segments: series.pressureLanes.map((g) => ({ lane: nodes.indexOf(g.node), from: rel(g.from, s.t0), to: rel(g.to, s.t0), state: g.state })),
    colors: { ...PRESSURE_COLORS, ...Object.fromEntries(several.map((st) => [st, PRESSURE_SEVERAL])) },
    bands,
    marks,
    ...range,
    height: Math.max(170, 80 + nodes.length * 26),
  };
}

function headerHtml(input: RunReportInput): Html {
  const { summary: s } = input.analysis;
  const sc = input.scenario;
  return html`<header class="top">
<h1>${sc ? `${sc.name} · ${sc.variant} · shipper ${sc.shipper.mode}` : 'outage-lab run'}${input.synthetic ? ' · SYNTHETIC' : ''}</h1>
<div class="sub">Run <b>${input.runId}</b>${sc ? html` · ${describeScenario(sc)}` : html` · <span class="unknown" title="scenario.json missing">scenario unknown</span>`}</div>
${sc ? html`<div class="phases">${phaseLine(sc)}</div>` : ''}
<div class="when">T0 = ${s.cutAt !== null ? 'the cut' : 'the first phase'}: ${timeHtml(s.t0)} · history ${timeHtml(s.history.start)} → ${timeHtml(s.history.end)} (${formatDuration(s.history.durationMs)}, ${s.history.records.toLocaleString('en-US')} records) · report built ${timeHtml(input.generatedAt)}</div>
</header>`;
}

function gapsSection(input: RunReportInput): Html {
  const s = input.analysis.summary;
  const warn = s.history.warnings;
  if (s.gaps.length === 0 && warn.length === 0 && !s.history.truncated) {
    return html`<div class="banner nogaps" id="gaps">No gaps: the recorder reported no blind spot and no periodic stream fell silent.</div>`;
  }
  return html`<div class="banner gaps" id="gaps"><h2>What the recorder could not see</h2>
${s.history.truncated ? html`<p><b>The history is truncated</b>: its last line was torn (the recorder was killed). Everything after ${timeHtml(s.history.end)} is unknown.</p>` : ''}
${s.gaps.length ? html`<p>${s.gaps.length} blind spot(s). Metrics that depend on them are shown as unknown or as bounds.</p>
<div class="scroll" style="max-height:260px;background:#fff"><table><thead><tr><th>from</th><th>to</th><th>length</th><th>part</th><th>blinds</th><th>why</th><th>kind</th></tr></thead><tbody>
${s.gaps.map((g) => html`<tr><td>${relText(g.from, s.t0)}<br>${timeHtml(g.from)}</td><td>${g.open ? 'end of history' : relText(g.to, s.t0)}</td><td>${formatDuration(g.to - g.from)}</td><td class="mono">${g.source}${g.node ? ` (${g.node})` : ''}</td><td>${g.affects.join(', ')}</td><td>${g.reason}${g.error ? ` (${g.error})` : ''}</td><td>${g.inferred ? 'inferred from silence' : 'recorded'}</td></tr>`)}
</tbody></table></div>` : ''}
${warn.length ? html`<details><summary>${warn.length} reader warning(s)</summary><ul>${warn.map((w) => html`<li>${w}</li>`)}</ul></details>` : ''}
</div>`;
}

/**
 * Split-cluster runs: each cluster's blast radius side by side. The charts and tables below cover both
 * clusters together (node names say which is which), except the pool, which is one observer's.
 */
function clustersSection(input: RunReportInput): Html | '' {
  const split = input.analysis.summary.split;
  if (!split) return '';
  const cs = split.clusters;
  const row = (label: string, cell: (c: (typeof cs)[number]) => Html | string) => html`<tr><th>${label}</th>${cs.map((c) => html`<td class="num">${cell(c)}</td>`)}</tr>`;
  const reached = (c: (typeof cs)[number]) => (isUnknown(c.reached) ? fmtHtml(c.reached) : c.reached ? `yes: ${c.reachedBy ?? ''}` : 'no');
  return html`<section id="clusters"><h2>Clusters</h2><p class="lead">Two clusters of half the workers each, one Kafka for both. The failure reached ${fmtHtml(split.reached, 'count')} of ${cs.length} clusters${split.reachedAll === true ? ' (both)' : ''}. Shares count each cluster’s workers; the whole-run pool figures further down are one cluster’s observer, the pools are here.</p>
<div class="card"><table><thead><tr><th></th>${cs.map((c) => html`<th class="num mono">${c.name}</th>`)}</tr></thead><tbody>
${row('workers', (c) => String(c.workers.length))}
${row('workers NotReady at once', (c) => html`${fmtHtml(c.maxNotReadyWorkers, 'count')} (${fmtHtml(c.notReadyShare, 'ratio')})`)}
${row('worker NotReady node-time', (c) => fmtHtml(c.notReadyNodeSeconds, 'seconds'))}
${row('workers under pressure at once', (c) => html`${fmtHtml(c.maxPressureWorkers, 'count')} (${fmtHtml(c.pressureShare, 'ratio')})`)}
${row('pods evicted', (c) => fmtHtml(c.podsEvicted, 'count'))}
${row('pods moved (replacements)', (c) => html`${fmtHtml(c.podsRescheduled, 'count')} (${fmtHtml(c.rescheduledShare, 'ratio')} of its app pods)`)}
${row('Consul pool: baseline / peak', (c) => html`${fmtHtml(c.pool.baselineTotal, 'count')} / ${fmtHtml(c.pool.peakTotal, 'count')}`)}
${row('failed members: peak / at the end', (c) => html`${fmtHtml(c.pool.peakFailed, 'count')} / ${fmtHtml(c.pool.failedAtEnd, 'count')}`)}
${row('Consul p99 in flood', (c) => fmtHtml(c.consulP99Flood, 'ms'))}
${row('Vault p99 in flood', (c) => fmtHtml(c.vaultP99Flood, 'ms'))}
${row('time to recover', (c) => fmtHtml(c.timeToRecoverMs, 'ms', 'not recovered'))}
${row('reached by the failure', reached)}
</tbody></table></div></section>`;
}

function kpi(label: string, v: Maybe<number | null>, unit: Unit, note?: string, tone?: 'bad' | 'good', nullText = 'none'): Html {
  return html`<div class="kpi${tone && !isUnknown(v) ? ` ${tone}` : ''}"><div class="label">${label}</div><div class="value">${fmtHtml(v, unit, nullText)}</div>${note ? html`<div class="note">${note}</div>` : ''}</div>`;
}

function kpis(input: RunReportInput): Html {
  const s = input.analysis.summary;
  const flood = floodPhaseLabel(s) ?? 'flood';
  const runtimePeak = peakOverNodes(s, 'runtime');
  const r = s.recovery;
  const rec = r.status === 'never-disrupted' ? 'never disrupted' : r.status === 'not-recovered' ? `not recovered in ${formatDuration(r.timeoutMs)}` : undefined;
  return html`<div class="kpis">
${kpi('first NotReady after flood', s.nodes.timeToFirstNotReadyMs, 'ms', s.nodes.firstNotReadyNode ?? 'no node went NotReady', 'bad', 'never')}
${kpi('NotReady node-time', s.nodes.notReadyNodeSeconds, 'seconds', `${s.nodes.nodes.length} nodes`)}
${kpi('most nodes NotReady at once', s.nodes.maxSimultaneousNotReady, 'count')}
${kpi('first node pressure after flood', s.nodes.timeToFirstPressureMs, 'ms', firstPressureNote(s), 'bad', 'never')}
${kpi('pressure node-time', pressureNodeSeconds(s), 'seconds', PRESSURE_CONDITIONS.map((c) => `${c} ${fmtText(s.nodes.pressureNodeSeconds[c], 'seconds')}`).join(' · '))}
${kpi('most nodes under pressure at once', s.nodes.maxSimultaneousPressure, 'count', 'Memory, Disk or PID pressure')}
${kpi('pods evicted', s.pods.podsEvicted, 'count', `${fmtText(s.pods.podsDeleted)} deleted`)}
${kpi('pods rescheduled', s.pods.rescheduled, 'count', `lineage depth up to ${s.lineage.maxDepth}`)}
${kpi('runtime CPU peak (one node)', runtimePeak.value, 'cores', `${runtimePeak.node ? `on ${runtimePeak.node}` : ''}${s.cpu.limitCores !== null ? `; node limit ${s.cpu.limitCores}` : ''}`)}
${kpi('Consul pool peak', s.pool.peakTotal, 'count', `baseline ${fmtText(s.pool.baselineTotal)}`)}
${kpi('failed members peak', s.pool.peakFailed, 'count', `${typeof s.pool.atEnd === 'object' && !isUnknown(s.pool.atEnd) ? s.pool.atEnd.failed : '?'} still failed at end`)}
${kpi(`Consul p99 in ${flood}`, s.consulLatency.byPhase[flood]?.p99 ?? { unknown: true, reason: 'no flood phase' }, 'ms', `baseline p50 ${fmtText(r.baseline.consulP50, 'ms')}`)}
${kpi(`Vault p99 in ${flood}`, s.vaultLatency.byPhase[flood]?.p99 ?? { unknown: true, reason: 'no flood phase' }, 'ms', `sealed ${fmtText(s.vaultSeal.sealedMs, 'ms', '0')}`)}
${kpi('log lines delivered', s.delivery.deliveredRatio, 'ratio', `${fmtText(s.delivery.lostWithPods, 'count')} lost with pods · ${s.delivery.deliveredBasis === 'distinct' ? `${fmtText(s.delivery.duplicates, 'count')} duplicates not counted` : 'may include duplicates'}`)}
${kpi('time to recover', rec ? null : r.timeToRecoverMs, 'ms', `all Ready, latency ≤ +${Math.round(r.latencyTolerance * 100)} % (or +${r.latencySlackMs ?? 0} ms), pool alive, ${formatDuration(r.sustainMs)} sustained`, undefined, rec ?? 'none')}
${s.users ? kpi('user-facing error minutes', s.users.errorMinutes, 'count', `more than ${Math.round(s.users.errorMinuteThreshold * 100)} % of users\u2019 requests failed; see What users felt`, typeof s.users.errorMinutes === 'number' && s.users.errorMinutes > 0 ? 'bad' : undefined) : ''}
</div>`;
}


/** Which node and condition came first, and whether it was already there before the flood (or the cut). */
function firstPressureNote(s: RunReportInput['analysis']['summary']): string {
  const f = s.nodes.firstPressure;
  if (!f) return 'no node came under pressure after the flood start';
  const flood = s.floodAt ?? Infinity;
  const before = f.at < flood ? `, already since ${relText(f.at, s.t0)}${s.cutAt !== null && f.at < s.cutAt ? ' (before the cut)' : ''}` : '';
  return `${f.node} ${f.condition}${before}`;
}

function phaseTable(input: RunReportInput): Html {
  const s = input.analysis.summary;
  return html`<div class="card"><h3>Phases</h3><table><thead><tr><th>phase</th><th>start</th><th class="num">planned</th><th class="num">actual</th></tr></thead><tbody>
${s.phases.map((p) => html`<tr><td>${p.label}${p.open ? html` <span class="tag bad">open: history ends</span>` : ''}</td><td>${relText(p.from, s.t0)}<br>${timeHtml(p.from)}</td><td class="num">${p.plannedMs !== undefined ? formatDuration(p.plannedMs) : '–'}</td><td class="num">${formatDuration(p.to - p.from)}</td></tr>`)}
</tbody></table></div>`;
}

function faultTable(input: RunReportInput): Html {
  const { summary: s, series } = input.analysis;
  return html`<div class="card"><h3>Fault journal</h3>${series.faults.length === 0 ? html`<p class="muted">No fault records.</p>` : html`<div class="scroll" style="max-height:300px"><table><thead><tr><th>when</th><th>fault</th><th>op</th><th>status</th></tr></thead><tbody>
${series.faults.map((f) => html`<tr><td>${relText(f.at, s.t0)}<br>${timeHtml(f.at)}</td><td class="mono">${f.f}</td><td>${f.op ?? ''}</td><td>${f.kind}${f.error ? html` <span class="tag bad">${f.error}</span>` : ''}</td></tr>`)}
</tbody></table></div>`}</div>`;
}

function conditionTable(input: RunReportInput): Html {
  const s = input.analysis.summary;
  const ivs = [...s.nodes.notReadyIntervals.map((iv) => ({ ...iv, condition: 'NotReady' })), ...s.nodes.pressureIntervals].sort((a, b) => a.from - b.from);
  const pressureSeen = PRESSURE_CONDITIONS.every((c) => !isUnknown(s.nodes.pressureNodeSeconds[c]));
  const none = pressureSeen ? 'No node went NotReady or came under pressure.' : 'No node went NotReady, and none was seen under pressure (pressure was not observed throughout: see the pressure KPI).';
  return html`<div class="card"><h3>NotReady and pressure intervals</h3>${ivs.length === 0 ? html`<p class="muted">${none}</p>` : html`<div class="scroll" style="max-height:280px"><table><thead><tr><th>node</th><th>condition</th><th>from</th><th>to</th><th class="num">for</th><th>reason</th></tr></thead><tbody>
${ivs.map((iv) => html`<tr><td class="mono">${iv.node}</td><td>${iv.condition}</td><td>${relText(iv.from, s.t0)}<br>${timeHtml(iv.from)}</td><td>${iv.open ? 'still at end' : relText(iv.to, s.t0)}</td><td class="num">${formatDuration(iv.to - iv.from)}</td><td>${iv.reason ?? ''}</td></tr>`)}
</tbody></table></div>`}</div>`;
}

function cpuTable(input: RunReportInput): Html {
  const s = input.analysis.summary;
  const phases = s.phases.filter((p) => p.to > p.from).map((p) => p.label);
  const rows = Object.entries(s.cpu.perNode).flatMap(([n, comps]) => Object.entries(comps).map(([c, st]) => ({ n, c, st })));
  return html`<div class="card"><h3>CPU per node and component (cores)</h3><div class="scroll"><table><thead><tr><th>node</th><th>component</th><th class="num">peak</th>${phases.map((p) => html`<th class="num">mean ${p}</th>`)}</tr></thead><tbody>
${rows.map((r) => html`<tr><td class="mono">${r.n}</td><td>${r.c}</td><td class="num">${fmtHtml(r.st.peak, 'plain')}</td>${phases.map((p) => html`<td class="num">${fmtHtml(r.st.meanByPhase[p] ?? { unknown: true, reason: 'no samples' }, 'plain')}</td>`)}</tr>`)}
</tbody></table></div></div>`;
}

function runtimeTable(input: RunReportInput): Html {
  const s = input.analysis.summary;
  const rt = s.runtime;
  return html`<div class="card"><h3>Before each NotReady: the node\u2019s shared parts</h3><p class="hint muted">Mean cores in the ${formatDuration(rt.leadMs)} before the node went NotReady, against the same node at baseline.</p>
${rt.onsets.length === 0 ? html`<p class="muted">No NotReady onset after the flood started.</p>` : html`<table><thead><tr><th>node</th><th>onset</th><th class="num">runtime</th><th class="num">kubelet</th><th class="num">shims</th><th class="num">pods</th><th class="num">node</th></tr></thead><tbody>
${rt.onsets.map((o) => html`<tr><td class="mono">${o.node}</td><td>${relText(o.at, s.t0)}</td>${['runtime', 'kubelet', 'shims', 'pods', 'node'].map((k) => html`<td class="num">${fmtHtml(o.before[k], 'plain')}<br><span class="muted">base ${fmtHtml(o.baseline[k], 'plain')}</span></td>`)}</tr>`)}
</tbody></table>`}</div>`;
}

function poolTable(input: RunReportInput): Html {
  const p = input.analysis.summary.pool;
  const linger = p.failedLinger;
  const atEnd = p.atEnd;
  return html`<div class="card"><table><tbody>
<tr><th>observer</th><td>${p.observer ?? 'none'}${p.observers.length > 1 ? html` <span class="muted">(also seen: ${p.observers.filter((o) => o !== p.observer).join(', ')})</span>` : ''}</td></tr>
<tr><th>baseline</th><td>${fmtHtml(p.baselineAlive, 'count')} alive, ${fmtHtml(p.baselineTotal, 'count')} members</td></tr>
<tr><th>peak</th><td>${fmtHtml(p.peakTotal, 'count')} members, ${fmtHtml(p.peakFailed, 'count')} failed${p.peakFailedAt !== undefined ? html` (at ${relText(p.peakFailedAt, input.analysis.summary.t0)})` : ''}</td></tr>
<tr><th>at the end</th><td>${isUnknown(atEnd) ? fmtHtml(atEnd) : MEMBER_STATES.map((st) => `${atEnd[st]} ${st}`).join(', ')}</td></tr>
<tr><th>failed count back to baseline for good after the restore</th><td>${isNotBack(p.failedSettleMs) ? html`<span class="unknown" title="${p.failedSettleMs.reason}">not back by the end (≥ ${fmtNumber(p.failedSettleMs.observed ?? 0, 'ms')})</span>` : fmtHtml(p.failedSettleMs, 'ms', '–')}</td></tr>
<tr><th>how long failed members lingered</th><td>${isUnknown(linger) ? fmtHtml(linger, 'ms') : html`${linger.members} members: median ${fmtNumber(linger.medianMs, 'ms')}, longest ${fmtNumber(linger.maxMs, 'ms')}; ${linger.stillFailedAtEnd} still failed at the end`}</td></tr>
</tbody></table></div>`;
}

function latencyTable(input: RunReportInput): Html {
  const s = input.analysis.summary;
  const phases = Object.keys(s.consulLatency.byPhase);
  const row = (name: string, m: typeof s.consulLatency) =>
    phases.map((p) => {
      const st = m.byPhase[p]!;
      return html`<tr><td>${name}</td><td>${p}</td><td class="num">${st.n}</td><td class="num">${fmtHtml(st.p50, 'ms')}</td><td class="num">${fmtHtml(st.p99, 'ms')}</td><td class="num">${fmtHtml(st.max, 'ms')}</td><td class="num">${fmtHtml(st.errorRate, 'ratio')}</td></tr>`;
    });
  return html`<div class="card"><table><thead><tr><th>service</th><th>phase</th><th class="num">probes</th><th class="num">p50</th><th class="num">p99</th><th class="num">max</th><th class="num">errors</th></tr></thead><tbody>
${row('Consul', s.consulLatency)}${row('Vault', s.vaultLatency)}
</tbody></table>
<p class="muted">Vault sealed: ${fmtHtml(s.vaultSeal.sealedMs, 'ms', '0')} in ${s.vaultSeal.intervals.length} interval(s)${s.vaultSeal.unanswered ? `; ${s.vaultSeal.unanswered} health probe(s) unanswered` : ''}.</p></div>`;
}

/** Copies of resent batches: counted apart when the history has the recorder's ledger, else only suspected. */
function duplicatesHtml(d: RunReportInput['analysis']['summary']['delivery']): Html {
  if (d.deliveredBasis === 'distinct') return html`${fmtHtml(d.duplicates, 'count')} <span class="muted">copies of lines Kafka already held (a batch resent after a lost ack); not counted as delivered</span>`;
  const beyond = typeof d.written === 'number' && typeof d.delivered === 'number' ? d.delivered - d.written : 0;
  return beyond > 0
    ? html`may include duplicates: ${fmtNumber(beyond, 'count')} lines received beyond written <span class="muted">(this history has no per-sequence ledger to tell copies from lines written after the apps’ last sample)</span>`
    : html`<span class="unknown" title="${isUnknown(d.duplicates) ? d.duplicates.reason : ''}">unknown</span> <span class="muted">(no per-sequence ledger: delivered counts every message received, copies included)</span>`;
}

function deliveryTable(input: RunReportInput): Html {
  const d = input.analysis.summary.delivery;
  const n = (v: number | null) => (v === null ? html`<span class="muted">–</span>` : html`${fmtNumber(v, 'count')}`);
  return html`<div class="card"><table><tbody>
<tr><th>written by apps</th><td>${fmtHtml(d.written, 'count')}</td><th>delivered to Kafka</th><td>${fmtHtml(d.delivered, 'count')} ${d.deliveredBasis === 'distinct' ? 'distinct lines' : 'lines received'} (${fmtHtml(d.deliveredRatio, 'ratio')})</td></tr>
<tr><th>duplicates</th><td colspan="3">${duplicatesHtml(d)}</td></tr>
<tr><th>dropped by shippers</th><td>${fmtHtml(d.dropped, 'count')}</td><th>buffered at the end</th><td>${fmtHtml(d.bufferedAtEnd, 'count')}</td></tr>
<tr><th>lost with deleted pods</th><td>${fmtHtml(d.lostWithPods, 'count')}</td><th>unaccounted</th><td>${fmtHtml(d.unaccounted, 'count')}</td></tr>
<tr><th>delivery delay</th><td colspan="3">${isUnknown(d.delayMs) ? fmtHtml(d.delayMs) : html`median ${fmtNumber(d.delayMs.p50, 'ms')}, worst p99 ${fmtNumber(d.delayMs.p99Max, 'ms')}, max ${fmtNumber(d.delayMs.max, 'ms')}`}</td></tr>
</tbody></table>
<details><summary>Per pod (${d.perPod.length})${d.shippers.length ? ` and per shipper (${d.shippers.length})` : ''}</summary><div class="scroll"><table><thead><tr><th>pod</th><th class="num">written</th><th class="num">delivered</th><th class="num">duplicates</th><th class="num">dropped</th><th class="num">buffered at end</th><th class="num">lost with pod</th></tr></thead><tbody>
${d.perPod.map((p) => html`<tr><td class="mono">${p.pod}</td><td class="num">${n(p.written)}</td><td class="num">${n(p.delivered)}</td><td class="num">${n(p.duplicates)}</td><td class="num">${n(p.dropped)}</td><td class="num">${n(p.bufferedAtEnd)}</td><td class="num">${n(p.lostWithPod)}</td></tr>`)}
${d.shippers.map((p) => html`<tr><td class="mono">${p.pod} <span class="tag">shipper</span></td><td class="num">–</td><td class="num">${n(p.sent)}</td><td class="num">–</td><td class="num">${n(p.dropped)}</td><td class="num">${p.ended ? '–' : n(p.bufferedAtEnd)}</td><td class="num">${p.ended ? n(p.bufferedAtEnd) : '–'}</td></tr>`)}
</tbody></table></div></details></div>`;
}

function lineageSection(input: RunReportInput): Html {
  const { summary: s, series } = input.analysis;
  const l = s.lineage;
  if (l.replacements === 0) return html`<p class="lead">No pod was replaced during the run.</p>`;
  const causes = Object.entries(l.byFirstCause).map(([f, n]) => `${n} from ${f}`).join(', ');
  const depth = Object.entries(l.byDepth).map(([dpt, n]) => `${n} at depth ${dpt}`).join(', ');
  // What the node said when it went NotReady (runs recorded with condition messages): the why behind the move.
  const saidOf = (f: (typeof l.links)[number]['nodeFailure']) => (f && f.condition === 'NotReady' ? notReadyMessage(s.runtimeHealth, f.node, f.from) : undefined);
  const failureOf = new Map(l.links.map((x) => [x.replaced.uid, x.nodeFailure] as const));
  const said = (uid: string) => {
    const m = saidOf(failureOf.get(uid) ?? null);
    return m ? html` <span class="muted">(\u201c${m}\u201d)</span>` : '';
  };
  const node = (n: LineageTreeNode, d: number): Html => html`<li><span class="pod">${n.name}</span>${d > 0 ? html`<span class="tag depth">depth ${d}</span>` : ''} on <span class="mono">${n.node ?? '?'}</span>${n.createdAt !== undefined && d > 0 ? html` · created ${relText(n.createdAt, s.t0)}` : ''}${n.endedAt !== undefined ? html` · <span class="tag bad">${n.how ?? 'ended'} ${relText(n.endedAt, s.t0)}</span>${n.cause ? html` <span class="muted">because ${n.cause}</span>${said(n.uid)}` : ''}` : ''}${n.children.length ? html`<ul>${n.children.map((c) => node(c, d + 1))}</ul>` : ''}</li>`;
  const firstCause = l.links.find((x) => x.firstCause)?.firstCause;
  const conditions = Object.entries(l.byNodeCondition).map(([c, n]) => `${n} ${c}`).join(', ');
  return html`<p class="lead">${l.replacements} replacement pod(s) from ${l.roots} original pod(s): ${depth}. ${l.causedByNodeFailure} followed a node failure${conditions ? ` (${conditions})` : ''}, ${l.otherCause} another ending. First causes: ${causes}.
${firstCause ? html` The first cause, ${firstCause.fault}, was injected ${relText(firstCause.injectedAt, s.t0)}${firstCause.healedAt !== undefined ? ` and healed ${relText(firstCause.healedAt, s.t0)} (the flood)` : ''}.` : ''}
Links come from the recorder\u2019s <code>replaces</code> (${l.links.filter((x) => x.matched === 'recorded').length}) or are inferred from owner and timing (${l.links.filter((x) => x.matched === 'inferred').length}).</p>
<div class="card"><div class="scroll" style="max-height:560px;padding:6px 10px"><ul class="tree">${series.lineageTree.map((n) => node(n, 0))}</ul></div></div>
<details><summary>Every chain (${l.links.length})</summary><div class="scroll"><table><thead><tr><th>replacement</th><th>depth</th><th>replaced</th><th>on</th><th>node failure</th><th>first cause</th><th>link</th></tr></thead><tbody>
${l.links.map((x) => html`<tr><td class="mono">${x.name}<br><span class="muted">${x.node ?? ''}</span></td><td class="num">${x.depth}</td><td class="mono">${x.replaced.name}</td><td class="mono">${x.replaced.node ?? '?'}</td><td>${x.nodeFailure ? html`${x.nodeFailure.node} ${x.nodeFailure.condition} ${relText(x.nodeFailure.from, s.t0)}–${x.nodeFailure.open ? 'end' : relText(x.nodeFailure.to, s.t0)}${saidOf(x.nodeFailure) ? html`<br><span class="muted">${saidOf(x.nodeFailure)}</span>` : ''}` : html`<span class="muted">${x.replaced.how ?? 'none found'}</span>`}</td><td>${x.firstCause ? `${x.firstCause.fault}` : html`<span class="unknown" title="no fault before the first failure">unknown</span>`}</td><td>${x.matched}</td></tr>`)}
</tbody></table></div></details>`;
}

function recoverySection(input: RunReportInput): Html {
  const s = input.analysis.summary;
  const r = s.recovery;
  const pill =
    r.status === 'recovered' ? html`<span class="pill good">recovered</span>` : r.status === 'never-disrupted' ? html`<span class="pill good">never disrupted</span>` : r.status === 'not-recovered' ? html`<span class="pill bad">not recovered</span>` : html`<span class="pill unknown">unknown</span>`;
  const names: Record<string, string> = {
    nodes: 'every node Ready',
    consul: `Consul p50 ≤ baseline ${fmtText(r.baseline.consulP50, 'ms')} + ${Math.round(r.latencyTolerance * 100)} % or + ${r.latencySlackMs ?? 0} ms`,
    vault: `Vault p50 ≤ baseline ${fmtText(r.baseline.vaultP50, 'ms')} + ${Math.round(r.latencyTolerance * 100)} % or + ${r.latencySlackMs ?? 0} ms`,
    poolAlive: `pool alive ≥ baseline ${fmtText(r.baseline.poolAlive)}`,
    poolSize: `pool size ≤ baseline ${fmtText(r.baseline.poolTotal)} (reported, not required)`,
  };
  return html`<div class="card"><p>${pill} Time to recover from the flood start: <b>${fmtHtml(r.timeToRecoverMs, 'ms', `not within ${formatDuration(r.timeoutMs)}`)}</b>${r.recoveredAt !== undefined ? html` (at ${relText(r.recoveredAt, s.t0)}, ${timeHtml(r.recoveredAt)})` : ''}. Every criterion must hold for ${formatDuration(r.sustainMs)}.</p>
<table><thead><tr><th>criterion</th><th>back after</th><th>note</th></tr></thead><tbody>
${Object.entries(r.criteria).map(([k, c]) => html`<tr><td>${names[k] ?? k}</td><td>${c.used ? fmtHtml(c.recoveredAfterMs, 'ms', 'not within the timeout') : html`<span class="muted">not used</span>`}</td><td class="muted">${c.note ?? ''}</td></tr>`)}
</tbody></table></div>`;
}

/** Every resolved scenario value, flattened to dotted keys; durations also in human form. */
export function flattenScenario(sc: ResolvedScenario): [string, string][] {
  const out: [string, string][] = [];
  const walk = (v: unknown, key: string) => {
    if (key === 'phases' && Array.isArray(v)) {
      out.push([key, (v as { name: string; durationMs: number }[]).map((p) => `${p.name} ${formatDuration(p.durationMs)}`).join(' ▸ ')]);
      return;
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k);
      return;
    }
    const text = Array.isArray(v) ? v.join(', ') || '–' : v === null ? 'null' : String(v);
    out.push([key, /Ms$/.test(key) && typeof v === 'number' ? `${text} (${formatDuration(v)})` : key.endsWith('Bytes') && typeof v === 'number' ? `${text}${v === 0 ? ' (unbounded)' : ''}` : text]);
  };
  walk(sc, '');
  return out;
}

function settingsSection(input: RunReportInput): Html {
  const sc = input.scenario;
  const versions = Object.entries(input.versions);
  const groups = new Map<string, [string, string][]>();
  if (sc) for (const [k, v] of flattenScenario(sc)) {
    const g = k.includes('.') ? k.slice(0, k.indexOf('.')) : 'scenario';
    (groups.get(g) ?? groups.set(g, []).get(g)!).push([k, v]);
  }
  return html`<div class="grid two"><div class="card"><h3>Resolved scenario</h3>${sc ? html`<p class="muted">Every value the run used, defaults filled in. Variants: ${sc.variants.join(', ') || 'none'}. Hash <code>${sc.hash.slice(0, 16)}</code>.</p>
<div class="scroll" style="max-height:640px"><table class="wrap"><tbody>${[...groups].map(([g, rows]) => html`<tr><th colspan="2">${g}</th></tr>${rows.map(([k, v]) => html`<tr><td class="mono">${k}</td><td class="mono">${v}</td></tr>`)}`)}</tbody></table></div>` : html`<p class="unknown">scenario.json was not found in the run folder.</p>`}</div>
<div class="card"><h3>Component versions</h3>${versions.length ? html`<table><tbody>${versions.map(([k, v]) => html`<tr><td>${k}</td><td class="mono">${v}</td></tr>`)}</tbody></table>` : html`<p class="unknown">versions.json was not found in the run folder.</p>`}</div></div>`;
}
