// "What users felt": the run page's panel for runs that sent traffic through the LB generated from Consul.
// Requests per second stacked by outcome, the successes' latency and the LB's servers against the pods, all
// on the cascade's time axis with its phase bands, plus the key numbers and how they are defined.
import type { RunSummary, RunSeries } from '../analysis/analyze.ts';
import { isUnknown } from '../analysis/unknown.ts';
import type { UsersMetrics, UsersSeries } from '../analysis/users.ts';
import type { TrafficTally } from '../analysis/users-minutes.ts';
import { ERROR_CLASSES } from '../analysis/users-seconds.ts';
import type { TrafficErrorClass } from '../history/records.ts';
import { formatDuration } from '../util/duration.ts';
import { rel, relSeries, type Band, type ChartSpec, type TimeChartSpec } from './charts.ts';
import { fmtHtml, fmtNumber, relText, timeHtml } from './format.ts';
import { html, type Html } from './html.ts';
import { chartCard } from './layout.ts';

const CLASS_COLORS: Record<TrafficErrorClass, string> = {
  refused: '#8e5cd9',
  timeout: '#f08c2e',
  'no-backend': '#7a8b99',
  'dead-backend': '#d9483b',
  'http-5xx': '#c2417f',
  other: '#b59b00',
};
const CLASS_MEANS: Record<TrafficErrorClass, string> = {
  refused: 'the LB refused the connection',
  timeout: 'no answer within the users\u2019 timeout',
  'no-backend': 'the LB had no server for the service',
  'dead-backend': 'the LB sent it to a listed server that did not answer (a stale config)',
  'http-5xx': 'the app answered 5xx',
  other: 'anything else',
};

type TimeChart = (c: Omit<TimeChartSpec, 'kind' | 't0' | 'bands' | 'marks'> & { bands?: Band[] }) => TimeChartSpec;

export const USERS_CHARTS = ['users-requests', 'users-latency', 'users-lb'] as const;

/** The panel's charts (none without traffic), built with the page's own time chart so axes and bands match. */
export function usersCharts(s: RunSummary, series: RunSeries, bands: Band[], timeChart: TimeChart): ChartSpec[] {
  const u = s.users;
  const us = series.users;
  if (!u || !us) return [];
  const t0 = s.t0;
  const extra: Band[] = [
    ...u.missing.map((m) => ({ from: rel(m.from, t0), to: rel(m.to, t0), label: 'no traffic record', color: 'rgba(120,120,120,0.28)' })),
    ...(u.lb?.stale ?? []).map((st) => ({ from: rel(st.from, t0), to: rel(Math.max(st.to, st.from + 1_000), t0), label: 'LB stale', color: 'rgba(240,140,46,0.22)' })),
  ];
  const all = [...bands, ...extra];
  const classes = ERROR_CLASSES.filter((c) => us.errors[c]);
  return [
    timeChart({
      id: 'users-requests',
      title: 'Users\u2019 requests per second, by outcome',
      hint: `Requests started each second through the LB, stacked: succeeded (green) and failed by class. Grey bands: seconds without a traffic record (unknown, not zero errors); orange bands: the LB config stale.`,
      yAxes: [{ name: 'requests/s', min: 0, integer: true }],
      bands: all,
      series: [
        { name: 'ok', data: relSeries(us.ok, t0), step: true, area: true, stack: 'requests', color: '#3aa76d' },
        ...classes.map((c) => ({ name: c, data: relSeries(us.errors[c]!, t0), step: true, area: true, stack: 'requests', color: CLASS_COLORS[c] })),
      ],
    }),
    timeChart({
      id: 'users-latency',
      title: 'Users\u2019 latency (successful requests)',
      hint: 'Each second\u2019s p50 and p99 of the requests that succeeded (log scale); failed requests have no latency here, they are in the chart above.',
      yAxes: [{ name: 'ms', log: true, min: 0.5 }],
      bands: all,
      series: [
        { name: 'p50', data: relSeries(us.p50, t0), color: '#2a6fdb' },
        { name: 'p99', data: relSeries(us.p99, t0), color: '#d9483b' },
      ],
    }),
    timeChart({
      id: 'users-lb',
      title: 'The LB against Kubernetes',
      hint: `Servers the LB lists at each look at it ("listed"), of them those for pods no longer running ("gone"), and running app pods it does not list ("missing"). Failed looks along the bottom.${us.lb ? '' : ' No LB looks in the history.'}`,
      yAxes: [{ name: 'servers', min: 0, integer: true }],
      bands: all,
      series: us.lb
        ? [
            { name: 'listed', data: relSeries(us.lb.servers, t0), step: true, color: '#2a6fdb' },
            { name: 'gone', data: relSeries(us.lb.gone, t0), step: true, area: true, color: '#d9483b' },
            { name: 'missing', data: relSeries(us.lb.missing, t0), step: true, area: true, color: '#f08c2e' },
            { name: 'failed looks', type: 'scatter', data: us.lb.failed.map((t) => [rel(t, t0), 0]), color: '#7a8b99', symbolSize: 6 },
          ]
        : [],
    }),
  ];
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

/** The panel: key numbers, the charts, by phase, the LB's stale stretches, and the definitions. */
export function usersSection(s: RunSummary, byId: Record<string, ChartSpec>): Html | '' {
  const u = s.users;
  if (!u) return '';
  const t0 = s.t0;
  const w = u.worstMinute;
  const r = u.recovery;
  const lb = u.lb;
  const kpi = (label: string, value: Html, note?: Html | string) => html`<div class="kpi"><div class="label">${label}</div><div class="value">${value}</div>${note ? html`<div class="note">${note}</div>` : ''}</div>`;
  const internal = s.recovery.status === 'never-disrupted' ? 'never disrupted' : s.recovery.status === 'not-recovered' ? 'not recovered' : null;
  const usersBack = r.status === 'never-disrupted' ? html`never disrupted` : fmtHtml(r.timeToRecoverMs, 'ms', `not within ${formatDuration(r.timeoutMs)}`);
  return html`<section id="users"><h2>What users felt</h2><p class="lead">Users of the dev environments sent ${fmtNumber(u.ratePerSec, 'plain')} requests/s through the LB that consul-template renders from Consul\u2019s catalog. Figures cover the phases (${relText(u.window.from, t0)} to ${relText(u.window.to, t0)}); a second without a traffic record is unknown, never counted as zero errors.</p>
<div class="kpis">
${kpi(`error minutes (> ${pct(u.errorMinuteThreshold)} failed)`, fmtHtml(u.errorMinutes, 'count'), `of ${u.minutes.length} minutes`)}
${kpi('worst minute', w ? fmtHtml(w.errorShare, 'ratio') : html`<span class="muted">–</span>`, w ? html`failed, ${relText(w.from, t0)}–${relText(w.to, t0)} (${fmtNumber(w.failed, 'count')} of ${fmtNumber(w.sent, 'count')})` : 'no request recorded')}
${kpi('availability over the phases', fmtHtml(u.total.availability, 'ratio'), `${fmtNumber(u.total.sent, 'count')} requests, ${fmtNumber(u.total.failed, 'count')} failed`)}
${kpi('users\u2019 traffic back after the restore', usersBack, html`the platform: ${internal ?? fmtHtml(s.recovery.timeToRecoverMs, 'ms', 'not recovered')}`)}
${kpi('longest stale LB config', lb ? fmtHtml(lb.longestStaleMs, 'ms') : html`<span class="unknown" title="no LB looks in the history">unknown</span>`, lb ? html`longest without a new render ${fmtHtml(lb.longestFrozenMs, 'ms')}` : '')}
${kpi('LB looks failed', lb ? html`${fmtNumber(lb.failedLooks, 'count')}` : html`<span class="muted">–</span>`, lb ? `of ${fmtNumber(lb.looks, 'count')}${lb.failedLooks ? `; longest run ${formatDuration(lb.longestFailedMs)}` : ''}` : '')}
</div>
<div class="grid" style="margin-top:14px">${chartCard(byId['users-requests']!, true)}</div>
<div class="grid two" style="margin-top:14px">${chartCard(byId['users-latency']!)}${chartCard(byId['users-lb']!)}</div>
<div class="grid two" style="margin-top:14px">${phaseTable(u)}${staleTable(u, t0)}</div>
${definitions(u, s)}</section>`;
}

function phaseTable(u: UsersMetrics): Html {
  const rows: [string, TrafficTally][] = [...Object.entries(u.byPhase), ['all phases', u.total]];
  const classes = ERROR_CLASSES.filter((c) => rows.some(([, t]) => t.errors[c]));
  return html`<div class="card"><h3>By phase</h3><div class="scroll"><table><thead><tr><th>phase</th><th class="num">requests</th><th class="num">availability</th>${classes.map((c) => html`<th class="num" title="${CLASS_MEANS[c]}">${c}</th>`)}<th class="num">p50</th><th class="num">p99</th></tr></thead><tbody>
${rows.map(([label, t]) => html`<tr><td>${label}${t.missingSeconds ? html` <span class="tag bad" title="seconds without a traffic record">${t.missingSeconds} s unknown</span>` : ''}</td><td class="num">${fmtNumber(t.sent, 'count')}</td><td class="num">${fmtHtml(t.availability, 'ratio')}</td>${classes.map((c) => html`<td class="num">${fmtNumber(t.errors[c] ?? 0, 'count')}</td>`)}<td class="num">${fmtHtml(t.p50Ms, 'ms')}</td><td class="num">${fmtHtml(t.p99Ms, 'ms')}</td></tr>`)}
</tbody></table></div></div>`;
}

function staleTable(u: UsersMetrics, t0: number): Html {
  const lb = u.lb;
  if (!lb) return html`<div class="card"><h3>LB stale stretches</h3><p class="muted">No LB looks in the history.</p></div>`;
  return html`<div class="card"><h3>LB stale stretches</h3>${lb.stale.length === 0 ? html`<p class="muted">The LB listed exactly the running pods at every look${lb.failedLooks ? ' that answered' : ''}.</p>` : html`<div class="scroll" style="max-height:280px"><table><thead><tr><th>from</th><th>to</th><th class="num">for</th><th class="num">gone</th><th class="num">missing</th><th class="num">renders</th><th class="num">no render for</th></tr></thead><tbody>
${lb.stale.map((st) => html`<tr><td>${relText(st.from, t0)}<br>${timeHtml(st.from)}</td><td>${st.open ? 'still at the end' : relText(st.to, t0)}</td><td class="num">${formatDuration(st.to - st.from)}</td><td class="num">${st.maxGone}</td><td class="num">${st.maxMissing}</td><td class="num">${st.renders}</td><td class="num">${formatDuration(st.frozenMs)}${st.blindLooks ? html` <span class="tag bad">${st.blindLooks} failed looks</span>` : ''}</td></tr>`)}
</tbody></table></div>`}</div>`;
}

function definitions(u: UsersMetrics, s: RunSummary): Html {
  const r = u.recovery;
  const base = r.baseline;
  return html`<details><summary>How these figures are defined</summary><div class="card"><ul>
<li><b>Error minute</b>: a minute (counted from the first phase\u2019s start; the last may be shorter) in which more than ${pct(u.errorMinuteThreshold)} of the requests started in it failed, whatever the class. A minute with seconds lacking a traffic record is one only if it would be even with those seconds all successful, and is not one only if it would not be even with them all failed; otherwise it is undecided and the count becomes a lower bound.</li>
<li><b>Worst minute</b>: the minute with the highest share of failed requests.</li>
<li><b>Error classes</b>: ${ERROR_CLASSES.map((c) => `${c}: ${CLASS_MEANS[c]}`).join('; ')}.</li>
<li><b>Latency</b>: of successful requests only; a phase\u2019s p50 is the successes-weighted median of the seconds\u2019 p50s and its p99 the successes-weighted 99th percentile of their p99s (the records hold each second\u2019s percentiles, not every request).</li>
<li><b>Users\u2019 traffic back</b>: as the platform\u2019s recovery: from the restore, the start of the last stretch lasting at least ${formatDuration(r.sustainMs)} in which the error share stays within ${pct(r.errorShareSlack)} of the baseline\u2019s (${isUnknown(base.errorShare) ? 'unknown' : pct(base.errorShare)}) and the successes\u2019 p50 within +${pct(r.latencyTolerance)} or +${r.latencySlackMs} ms of the baseline\u2019s (${fmtHtml(base.p50Ms, 'ms')}); status ${r.status}${r.recoveredAt !== undefined ? html`, back at ${relText(r.recoveredAt, s.t0)}` : ''}.</li>
<li><b>LB stale</b>: a look at the LB is stale when it lists a server for a pod that is not running ("gone") or does not list a running app pod ("missing"), by the pod records at that moment. A stretch runs from the first stale look to the next that matches (good to one look period); "no render for" is its longest part without a new config from consul-template. Failed looks and blind pod watches make the longest stretch a bound.</li>
</ul></div></details>`;
}
