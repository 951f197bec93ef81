// A quantity the recorder could not observe is not zero: a run where the CPU sampler was blind during the
// flood must not report "peak 0.3 cores" as if it had seen the whole flood. Every metric is either a
// number (or other value) or an Unknown saying why, optionally with what was seen and which way it is off.

export interface Unknown {
  unknown: true;
  /** Why, in a sentence a reader understands ("CPU sampler gap 03:12:04-03:12:19 during flood"). */
  reason: string;
  /** The value computed from what was observed, when there was something. */
  observed?: number;
  /** 'lower': the truth is at least `observed`; 'upper': at most; absent: could be either way. */
  bound?: 'lower' | 'upper';
}

export type Maybe<T> = T | Unknown;

export function unknown(reason: string, observed?: number, bound?: 'lower' | 'upper'): Unknown {
  const u: Unknown = { unknown: true, reason };
  if (observed !== undefined && Number.isFinite(observed)) {
    u.observed = observed;
    if (bound) u.bound = bound;
  }
  return u;
}

export function isUnknown(v: unknown): v is Unknown {
  return typeof v === 'object' && v !== null && (v as { unknown?: unknown }).unknown === true;
}

export function isKnown<T>(v: Maybe<T>): v is T {
  return !isUnknown(v);
}

/** The number if known, else undefined: for charts and comparisons that must skip unknowns. */
export function known(v: Maybe<number | null> | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Apply `f` to a known value; an Unknown passes through unchanged. */
export function mapMaybe<T, U>(v: Maybe<T>, f: (t: T) => U): Maybe<U> {
  return isUnknown(v) ? v : f(v);
}

/** A sum over values some of which may be unknown: what was seen, a lower bound only if every unknown is one. */
export function sumMaybe(vs: readonly Maybe<number>[]): Maybe<number> {
  const total = vs.reduce<number>((a, v) => a + (isUnknown(v) ? (v.observed ?? 0) : v), 0);
  const unknowns = vs.filter(isUnknown);
  if (!unknowns.length) return total;
  const reason = [...new Set(unknowns.map((u) => u.reason))].join('; ');
  return unknowns.every((u) => u.bound === 'lower' && u.observed !== undefined) ? unknown(reason, total, 'lower') : unknown(reason);
}
