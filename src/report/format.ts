// Numbers as people read them in the report and the terminal, with Unknown shown as what it is: an
// italic "unknown" (or "≥ 12" / "≤ 40 s" when a bound is known) whose tooltip says why.
import { isUnknown, type Maybe } from '../analysis/unknown.ts';
import { formatDuration } from '../util/duration.ts';
import { html, raw, type Html } from './html.ts';

export type Unit = 'count' | 'ms' | 'cores' | 'ratio' | 'pct' | 'seconds' | 'rate' | 'plain';

export function fmtNumber(v: number, unit: Unit = 'plain'): string {
  if (!Number.isFinite(v)) return String(v);
  switch (unit) {
    case 'count':
      return Math.round(v).toLocaleString('en-US');
    case 'ms':
      return v >= 1000 ? formatDuration(v) : `${v < 10 && !Number.isInteger(v) ? v.toFixed(1) : Math.round(v)} ms`;
    case 'seconds':
      return formatDuration(v * 1000);
    case 'cores':
      return `${v.toFixed(v < 1 ? 3 : 2)} cores`;
    case 'ratio':
      return `${(v * 100).toFixed(1)} %`;
    case 'pct':
      return `${v.toFixed(1)} %`;
    case 'rate':
      return `${v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1)}/s`;
    default:
      return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(3);
  }
}

/** Plain text (terminal, answers): "12", "≥ 12 (unknown: ...)" etc. */
export function fmtText(v: Maybe<number | null> | undefined, unit: Unit = 'plain', nullText = 'none'): string {
  if (v === undefined) return 'unknown';
  if (v === null) return nullText;
  if (isUnknown(v)) {
    if (v.observed === undefined) return 'unknown';
    const n = fmtNumber(v.observed, unit);
    return v.bound === 'lower' ? `≥ ${n}` : v.bound === 'upper' ? `≤ ${n}` : `~${n}?`;
  }
  return fmtNumber(v, unit);
}

export function fmtHtml(v: Maybe<number | null> | undefined, unit: Unit = 'plain', nullText = 'none'): Html {
  if (v === undefined) return html`<span class="unknown" title="not computed">unknown</span>`;
  if (v !== null && isUnknown(v)) {
    const shown = v.observed === undefined ? 'unknown' : fmtText(v, unit);
    return html`<span class="unknown" title="${v.reason}">${shown}</span>`;
  }
  return raw(html`${fmtText(v, unit, nullText)}`.text);
}

/** A <time> element holding the UTC instant; the page script adds the reader's local time. */
export function timeHtml(ms: number | null | undefined): Html {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return html`<span class="muted">–</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" data-ms="${ms}">${iso.replace('T', ' ').replace('Z', ' UTC')}</time>`;
}

/** "T+3m05s" relative to the run's origin. */
export function relText(ms: number, t0: number): string {
  const d = ms - t0;
  return `T${d < 0 ? '-' : '+'}${formatDuration(Math.abs(d))}`;
}
