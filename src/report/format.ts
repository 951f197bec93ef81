// Numbers as people read them in the report and the terminal, with Unknown shown as what it is: an
// italic "unknown" (or "≥ 12" / "≤ 40 s" when a bound is known) whose tooltip says why.
import { isUnknown, type Maybe } from '../analysis/unknown.ts';
import { formatDuration } from '../util/duration.ts';
import { fmtText, type Unit } from '../analysis/text.ts';
import { html, raw, type Html } from './html.ts';

export { fmtNumber, fmtText, type Unit } from '../analysis/text.ts';

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
