// The shell every page shares: inlined stylesheet, ECharts and the page script, the chart data as JSON.
import { assets } from './assets.ts';
import type { ChartSpec } from './charts.ts';
import { html, inlineScript, jsonScript, raw, type Html } from './html.ts';

export interface PageParts {
  title: string;
  header: Html;
  nav?: { id: string; label: string }[];
  body: Html;
  charts: ChartSpec[];
  footer?: Html;
}

export function page(p: PageParts): string {
  const a = assets();
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="outage-lab">
<title>${p.title}</title>
<style>${raw(a.css)}</style>
</head>
<body>
${p.header}
${p.nav?.length ? html`<nav class="toc">${p.nav.map((n) => html`<a href="#${n.id}">${n.label}</a>`)}</nav>` : ''}
<main>
${p.body}
</main>
<footer>${p.footer ?? ''} Charts: Apache ECharts ${a.echartsVersion}, inlined; this page loads nothing from the network. Times are UTC, with your local time (<span data-zone></span>) beside them.</footer>
${jsonScript('lab-data', { charts: p.charts })}
${inlineScript(a.echarts)}
${inlineScript(a.client)}
</body>
</html>
`.text;
}

/** A chart's card: title, hint, and the container the page script draws into. */
export function chartCard(spec: ChartSpec, tall = false): Html {
  return html`<div class="card chart-card"><h3>${spec.title}</h3>${spec.hint ? html`<p class="hint">${spec.hint}</p>` : ''}<div class="chart${tall ? ' tall' : ''}" id="chart-${spec.id}" data-chart="${spec.id}"${raw(spec.height ? ` style="height:${spec.height}px"` : '')}></div></div>`;
}
