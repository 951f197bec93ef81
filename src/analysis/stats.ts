// Small numeric helpers shared by the metrics. Quantiles use linear interpolation between order
// statistics (type 7, the common default), so p50 of [1, 2] is 1.5 and p99 of 3 samples is near the max.

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function sortedNumbers(xs: Iterable<number>): number[] {
  return [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
}

export function median(xs: Iterable<number>): number {
  return quantile(sortedNumbers(xs), 0.5);
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export interface Spread {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function spread(xs: readonly number[]): Spread | undefined {
  const s = sortedNumbers(xs);
  if (s.length === 0) return undefined;
  return { n: s.length, min: s[0]!, median: quantile(s, 0.5), max: s[s.length - 1]! };
}

/** Round for JSON and display: enough digits to compare runs, not float noise. */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Index of the first element of a sorted array with key >= t. */
export function lowerBound<T>(arr: readonly T[], t: number, key: (x: T) => number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(arr[mid]!) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
