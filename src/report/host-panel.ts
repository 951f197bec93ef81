// "What else ran on this machine": the run page's small panel of the host sampler's figures per phase
// (analysis/host.ts), so a reader sees whether the run was measured on a quiet machine.
import type { RunSummary } from '../analysis/analyze.ts';
import { floodDisturbance, fmtCpuSeconds, HOST_DISTURBED_CORES, type HostStat } from '../analysis/host.ts';
import { fmtHtml } from './format.ts';
import { html, type Html } from './html.ts';

const pair = (s: HostStat, unit: 'plain' | 'cores') => html`${fmtHtml(s.p50, unit)} / ${fmtHtml(s.max, unit)}`;

export function hostCard(s: RunSummary): Html {
  const h = s.host;
  const head = html`<h3>What else ran on this machine</h3>`;
  if (!h) return html`<div class="card">${head}<p class="muted">Not recorded: this run was recorded before the host sampler existed.</p></div>`;
  if (!h.measured) return html`<div class="card">${head}<p class="notmeasured">Not measured: ${h.notMeasured ?? ''}.</p></div>`;
  const d = floodDisturbance(h);
  const verdict =
    d.status === 'disturbed'
      ? html` <span class="pill warn">flood measured beside other work: more than ${HOST_DISTURBED_CORES} cores</span>`
      : d.status === 'quiet'
        ? html` <span class="pill good">flood: other processes at most ${HOST_DISTURBED_CORES} cores</span>`
        : '';
  const phases = Object.entries(h.byPhase);
  return html`<div class="card">${head}${verdict}<p class="hint muted">Every 5 s: the 1-minute load average, the host\u2019s busy cores${h.cpus ? ` (of ${h.cpus})` : ''}, and the cores of processes outside every container, the container engine, the kernel and the lab itself (a compile, an editor, another test run), p50 / max per phase; the names using most CPU in each phase.</p>
<div class="scroll"><table><thead><tr><th>phase</th><th class="num">samples</th><th class="num">load p50 / max</th><th class="num">busy cores p50 / max</th><th class="num">other cores p50 / max</th><th>most CPU (other processes)</th></tr></thead><tbody>
${phases.map(([label, p]) => html`<tr><td>${label}</td><td class="num">${p.samples}</td><td class="num">${pair(p.load1, 'plain')}</td><td class="num">${pair(p.busyCores, 'cores')}</td><td class="num">${pair(p.otherCores, 'cores')}</td><td>${p.top.length ? p.top.map((t, i) => html`${i ? ', ' : ''}<span class="mono">${t.name}</span> ${fmtCpuSeconds(t.cpuSeconds)}`) : html`<span class="muted">none</span>`}</td></tr>`)}
</tbody></table></div></div>`;
}
