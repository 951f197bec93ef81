// The phantom sweep's summary (table, fits, the 41k prediction) and its page: log-log plots, one line
// per version and encryption, with the fitted power law carried out to the incident's pool size.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellResult } from './cell.ts';
import { INCIDENT_MEMBERS, modelSweep, predict, type SeriesModel } from './model.ts';

export const MODEL_METRICS: Record<string, { label: string; unit: string; of: (r: CellResult) => number | null }> = {
  serverCpuPct: { label: 'server CPU (mean per server)', unit: '% of a core', of: (r) => r.servers.cpuPct },
  serverMemMiB: { label: 'server memory (mean per server)', unit: 'MiB', of: (r) => r.servers.memMiB },
  pushPullBytes: { label: 'push/pull size at a server', unit: 'bytes', of: (r) => r.gossip.server.pushPullBytes },
  pushPullMs: { label: 'push/pull duration at the probe agent', unit: 'ms', of: (r) => r.gossip.probe.pushPullMeanMs },
  kvP99Ms: { label: 'KV round trip p99 (probe agent)', unit: 'ms', of: (r) => r.kv.p99Ms },
  agentRssMiB: { label: 'memory per live agent process', unit: 'MiB', of: (r) => r.agents.rssMiB },
  detectS: { label: 'time to detect a killed agent', unit: 's', of: (r) => (r.detectMs === null ? null : r.detectMs / 1000) },
  joinS: { label: 'time for a new agent to join', unit: 's', of: (r) => (r.joinMs === null ? null : r.joinMs / 1000) },
};

export const groupOf = (r: Pick<CellResult, 'version' | 'encrypt'>) => `${r.version} ${r.encrypt ? 'encrypted' : 'plain'}`;
/** Members the servers listed when the hold began (servers and probe included): the model's x. */
export const membersOf = (r: CellResult) => r.pool.atHold.total;

export interface PhantomSummary {
  cells: number;
  rows: Array<{ key: string; group: string; members: number; live: number; failed: number } & Record<string, number | string | null>>;
  models: SeriesModel[];
  target: number;
}

export function summarize(results: CellResult[]): PhantomSummary {
  const rows: PhantomSummary['rows'] = results.map((r) => ({
    key: r.key,
    group: groupOf(r),
    members: membersOf(r),
    live: r.pool.atHold.alive,
    failed: r.pool.atHold.failed,
    ...Object.fromEntries(Object.entries(MODEL_METRICS).map(([k, m]) => [k, m.of(r)])),
  }));
  const models = modelSweep(
    rows.map((r) => ({ group: r.group, members: r.members, values: Object.fromEntries(Object.keys(MODEL_METRICS).map((k) => [k, r[k] as number | null])) })),
    Object.keys(MODEL_METRICS),
  );
  return { cells: results.length, rows, models, target: INCIDENT_MEMBERS };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : Number(v.toPrecision(digits)).toString();
}

/** One log-log chart: points per group, the fitted line out to the target, and the 95 % interval there. */
function chart(s: PhantomSummary, metric: string): string {
  const W = 520;
  const H = 300;
  const L = 60;
  const B = 40;
  const models = s.models.filter((m) => m.metric === metric);
  const groups = models.map((m) => m.group);
  const pts = s.rows.filter((r) => typeof r[metric] === 'number' && (r[metric] as number) > 0).map((r) => ({ g: r.group, x: r.members, y: r[metric] as number }));
  if (pts.length === 0) return `<p>No data for ${esc(MODEL_METRICS[metric]!.label)}.</p>`;
  const ys = [...pts.map((p) => p.y), ...models.flatMap((m) => (m.at41k ? [m.at41k.lo ?? m.at41k.mid, m.at41k.hi ?? m.at41k.mid] : []))].filter((v) => v > 0);
  const x0 = Math.log10(Math.min(...pts.map((p) => p.x)) / 1.5);
  const x1 = Math.log10(s.target * 1.5);
  const y0 = Math.floor(Math.log10(Math.min(...ys)));
  const y1 = Math.ceil(Math.log10(Math.max(...ys)));
  const X = (x: number) => L + ((Math.log10(x) - x0) / (x1 - x0)) * (W - L - 10);
  const Y = (y: number) => H - B - ((Math.log10(y) - y0) / Math.max(1e-9, y1 - y0)) * (H - B - 10);
  const parts: string[] = [];
  for (let e = Math.ceil(x0); e <= Math.floor(x1); e++) {
    parts.push(`<line x1="${X(10 ** e)}" x2="${X(10 ** e)}" y1="10" y2="${H - B}" stroke="#eee"/><text x="${X(10 ** e)}" y="${H - B + 14}" font-size="10" text-anchor="middle">${(10 ** e).toLocaleString('en')}</text>`);
  }
  for (let e = y0; e <= y1; e++) {
    parts.push(`<line x1="${L}" x2="${W - 10}" y1="${Y(10 ** e)}" y2="${Y(10 ** e)}" stroke="#eee"/><text x="${L - 4}" y="${Y(10 ** e) + 3}" font-size="10" text-anchor="end">${fmt(10 ** e)}</text>`);
  }
  parts.push(`<line x1="${X(s.target)}" x2="${X(s.target)}" y1="10" y2="${H - B}" stroke="#999" stroke-dasharray="3 3"/><text x="${X(s.target) - 3}" y="20" font-size="10" text-anchor="end">41k</text>`);
  groups.forEach((g, i) => {
    const c = COLORS[i % COLORS.length]!;
    for (const p of pts.filter((q) => q.g === g)) parts.push(`<circle cx="${X(p.x)}" cy="${Y(p.y)}" r="3" fill="${c}"/>`);
    const m = models.find((q) => q.group === g);
    if (m?.fit) {
      const xs = pts.filter((q) => q.g === g).map((q) => q.x);
      const a = predict(m.fit, Math.min(...xs));
      const z = predict(m.fit, s.target);
      parts.push(`<line x1="${X(a.x)}" y1="${Y(a.mid)}" x2="${X(z.x)}" y2="${Y(z.mid)}" stroke="${c}" stroke-width="1.5"/>`);
      if (z.lo !== null && z.hi !== null) parts.push(`<line x1="${X(z.x)}" x2="${X(z.x)}" y1="${Y(z.lo)}" y2="${Y(z.hi)}" stroke="${c}" stroke-width="4" opacity="0.4"/>`);
    }
    parts.push(`<rect x="${L + 8}" y="${14 + i * 14}" width="10" height="3" fill="${c}"/><text x="${L + 22}" y="${19 + i * 14}" font-size="11">${esc(g)}</text>`);
  });
  parts.push(`<text x="${(W + L) / 2}" y="${H - 6}" font-size="11" text-anchor="middle">members in the pool (log)</text>`);
  return `<figure><figcaption>${esc(MODEL_METRICS[metric]!.label)} (${esc(MODEL_METRICS[metric]!.unit)}, log)</figcaption><svg width="${W}" height="${H}" role="img" aria-label="${esc(MODEL_METRICS[metric]!.label)}">${parts.join('')}</svg></figure>`;
}

export function phantomHtml(s: PhantomSummary, meta: { id: string; notes: string[] }): string {
  const metrics = Object.keys(MODEL_METRICS);
  const table = `<table><thead><tr><th>cell</th><th>members</th><th>alive</th><th>failed</th>${metrics.map((m) => `<th>${esc(MODEL_METRICS[m]!.label)} (${esc(MODEL_METRICS[m]!.unit)})</th>`).join('')}</tr></thead><tbody>${s.rows
    .map((r) => `<tr><td>${esc(r.key)}</td><td>${r.members}</td><td>${r.live}</td><td>${r.failed}</td>${metrics.map((m) => `<td>${fmt(r[m] as number | null)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const fits = `<table><thead><tr><th>group</th><th>metric</th><th>n</th><th>exponent b</th><th>R²</th><th>residuals (observed / fitted)</th><th>at ${s.target.toLocaleString('en')} members (95 % interval)</th></tr></thead><tbody>${s.models
    .map((m) => `<tr><td>${esc(m.group)}</td><td>${esc(MODEL_METRICS[m.metric]!.label)}</td><td>${m.fit?.n ?? 0}</td><td>${fmt(m.fit?.b)}</td><td>${fmt(m.fit?.r2)}</td><td>${m.fit ? m.fit.residuals.map((r) => fmt(r.ratio, 2)).join(', ') : '–'}</td><td>${m.at41k ? `${fmt(m.at41k.mid)} (${fmt(m.at41k.lo)} – ${fmt(m.at41k.hi)})` : '–'}</td></tr>`)
    .join('')}</tbody></table>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Phantom pool ${esc(meta.id)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;font-size:12px;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:0 1em 1em 0}figcaption{font-weight:600}</style></head><body>
<h1>Phantom pool sweep ${esc(meta.id)}</h1>
<p>${s.cells} cells. Each point is one pool of real Consul agents built by churn (agents joined, then SIGKILLed) and held; the line is a power law fitted by least squares on log-log axes per version and encryption, carried out to the incident's ${s.target.toLocaleString('en')} members with a 95 % prediction interval (the bar at 41k). An extrapolation over one to two orders of magnitude: read the interval, not the line.</p>
${meta.notes.map((n) => `<p><strong>Note:</strong> ${esc(n)}</p>`).join('')}
${metrics.map((m) => chart(s, m)).join('')}
<h2>Fits</h2>${fits}
<h2>Cells</h2>${table}
</body></html>`;
}

/** What the page must say about its own data: too few sizes to extrapolate, too few exchanges to size a push/pull. */
export function caveats(results: CellResult[]): string[] {
  const out: string[] = [];
  const sizes = new Set(results.map(membersOf)).size;
  if (sizes < 3) out.push(`only ${sizes} pool size(s): a power law through ${sizes} sizes has wide intervals at 41,000, and with one size no fit at all`);
  const exchanges = results.map((r) => r.telemetry?.server['memberlist.pushPullNode']?.count ?? 0);
  if (exchanges.some((n) => n < 10)) out.push(`push/pull size and duration rest on ${Math.min(...exchanges)} to ${Math.max(...exchanges)} exchanges per cell (one every ~30 s): hold longer (--hold) before reading them`);
  return out;
}

export function writePhantomReport(dir: string, id: string, results: CellResult[], notes: string[] = []): { summaryPath: string; pagePath: string; summary: PhantomSummary } {
  const summary = summarize(results);
  notes = [...notes, ...caveats(results)];
  const summaryPath = join(dir, 'summary.json');
  const pagePath = join(dir, 'report.html');
  writeFileSync(summaryPath, `${JSON.stringify({ id, notes, ...summary }, null, 2)}\n`);
  writeFileSync(pagePath, phantomHtml(summary, { id, notes }));
  return { summaryPath, pagePath, summary };
}
