// Numbers as text, the same in the terminal, the answers and the pages. An Unknown prints as "unknown",
// or as a bound ("≥ 12") when the recorder saw part of it.
import { formatDuration } from '../util/duration.ts';
import { isUnknown, type Maybe } from './unknown.ts';

export type Unit = 'count' | 'ms' | 'cores' | 'ratio' | 'pct' | 'seconds' | 'rate' | 'plain';

export function fmtNumber(v: number, unit: Unit = 'plain'): string {
  if (!Number.isFinite(v)) return String(v);
  switch (unit) {
    case 'count':
      return Math.round(v).toLocaleString('en-US');
    case 'ms':
      if (v === 0) return '0 ms';
      if (v < 1000) return `${v < 10 && !Number.isInteger(v) ? v.toFixed(1) : Math.round(v)} ms`;
      // Between 1 and 10 s a tenth is kept: whole seconds made a relist p99 of 0.79 s and one of 1.49 s
      // read "792 ms–1s" and "1s–1s".
      if (v < 10_000) return `${(v / 1000).toFixed(1)} s`;
      return formatDuration(v);
    case 'seconds':
      return v === 0 ? '0 s' : formatDuration(v * 1000);
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

