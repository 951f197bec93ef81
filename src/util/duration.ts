// Durations in scenario files are human strings ("1h30m", "90s"); everything inside the lab works in
// integer milliseconds, so this is the one place where the two meet.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const TOKEN = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

export class DurationError extends Error {
  override name = 'DurationError';
}

/**
 * Parse "250ms", "90s", "3m", "1h30m", "1.5s" into milliseconds.
 * A bare number is refused: "30" could mean seconds or ms, and a scenario must not guess.
 * Units must not repeat or go upwards ("30s1m"), which catches typos rather than summing them.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '') throw new DurationError('empty duration; expected e.g. "90s", "3m", "1h30m", "250ms"');
  if (s === '0') return 0;
  let pos = 0;
  let total = 0;
  let lastRank = Infinity;
  TOKEN.lastIndex = 0;
  while (pos < s.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(s);
    if (!m) {
      throw new DurationError(
        `invalid duration "${text}"; expected a number with a unit ms|s|m|h|d, e.g. "90s", "3m", "1h30m", "250ms"`,
      );
    }
    const unit = m[2]!;
    const rank = UNIT_MS[unit]!;
    if (rank >= lastRank) {
      throw new DurationError(`invalid duration "${text}"; units must go from largest to smallest, each once`);
    }
    lastRank = rank;
    total += Number(m[1]) * rank;
    pos = TOKEN.lastIndex;
  }
  return Math.round(total);
}

/** Accepts a duration string or a number already in ms (as code-built scenarios may pass). */
export function toMs(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new DurationError(`invalid duration ${value}; expected ms >= 0`);
    return value;
  }
  return parseDuration(value);
}

/**
 * Short, fixed-width-ish form for terminals and reports: "250ms", "42s", "2m05s", "1h03m", "2d04h".
 * Sub-second precision is kept only below one second, where it matters.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1_000) return `${sign}${Math.round(rest)}ms`;
  rest = Math.round(rest / 1_000);
  const d = Math.floor(rest / 86_400);
  const h = Math.floor((rest % 86_400) / 3_600);
  const m = Math.floor((rest % 3_600) / 60);
  const sec = rest % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${sign}${d}d${pad(h)}h`;
  if (h > 0) return `${sign}${h}h${pad(m)}m`;
  if (m > 0) return `${sign}${m}m${pad(sec)}s`;
  return `${sign}${sec}s`;
}

/**
 * Exact form Go's time.ParseDuration accepts ("72h", "1m30s", "250ms"), for kubelet, controller-manager
 * and Consul flags. Unlike `formatDuration` it never rounds, and never uses days (Go has none).
 */
export function formatGoDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new DurationError(`cannot express ${ms} ms as a Go duration`);
  if (ms === 0) return '0s';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1_000);
  const rest = ms % 1_000;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}${rest ? `${rest}ms` : ''}`;
}
