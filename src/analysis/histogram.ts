// Quantiles from a Prometheus histogram, the way Prometheus' histogram_quantile() computes them
// (promql/quantile.go, bucketQuantile): find the bucket holding the rank q × count, and interpolate
// linearly inside it, from the previous bucket's upper bound (0 for the first bucket) to its own. A rank
// in the +Inf bucket gives the highest finite bound: the histogram cannot say more. The same caveat as in
// Prometheus: a value is only as fine as the buckets (the kubelet's relist buckets are 5 ms ... 10 s), and
// within a bucket observations are assumed spread evenly.
import type { HistogramSample } from '../history/records.ts';

/**
 * What the histogram gained between two readings (`earlier` before `later`): the observations made in
 * between. A counter that went down means the kubelet restarted: `later` alone is then what it has
 * counted since, the part of the window before the restart is lost (as Prometheus' increase() would
 * treat it). Readings with different buckets are not comparable: null.
 */
export function histogramDelta(later: HistogramSample, earlier: HistogramSample | undefined): HistogramSample | null {
  if (!earlier) return later;
  if (later.buckets.length !== earlier.buckets.length || later.buckets.some(([le], i) => le !== earlier.buckets[i]![0])) return null;
  const reset = later.count < earlier.count || later.buckets.some(([, c], i) => c < earlier.buckets[i]![1]);
  if (reset) return later;
  return {
    buckets: later.buckets.map(([le, c], i) => [le, c - earlier.buckets[i]![1]] as [number, number]),
    sum: later.sum - earlier.sum,
    count: later.count - earlier.count,
  };
}

/** The q-quantile (0..1) of the observations in `h`, in the histogram's unit; NaN when it holds none. */
export function histogramQuantile(q: number, h: HistogramSample): number {
  if (!(h.count > 0) || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  // Cumulative counts with +Inf last; counts forced monotonic, as Prometheus does for scrapes taken mid-update.
  const bounds: [number, number][] = [...h.buckets.map(([le, c]) => [le, c] as [number, number]), [Infinity, h.count]];
  for (let i = 1; i < bounds.length; i++) if (bounds[i]![1] < bounds[i - 1]![1]) bounds[i]![1] = bounds[i - 1]![1];
  if (bounds.length < 2) return NaN;
  const total = bounds[bounds.length - 1]![1];
  if (total === 0) return NaN;
  let rank = q * total;
  let b = bounds.findIndex(([, c]) => c >= rank);
  if (b < 0) b = bounds.length - 1;
  if (b === bounds.length - 1) return bounds[bounds.length - 2]![0];
  if (b === 0 && bounds[0]![0] <= 0) return bounds[0]![0];
  let start = 0;
  const end = bounds[b]![0];
  let count = bounds[b]![1];
  if (b > 0) {
    start = bounds[b - 1]![0];
    count -= bounds[b - 1]![1];
    rank -= bounds[b - 1]![1];
  }
  return start + (end - start) * (rank / count);
}

/** The lower edge of the highest bucket that holds observations: every histogram says "at least this much" of its largest one. */
export function histogramFloorOfMax(h: HistogramSample): number {
  if (!(h.count > 0)) return NaN;
  const finite = h.buckets;
  // Observations above the highest finite bound sit in +Inf: at least that bound.
  const last = finite[finite.length - 1];
  if (last && h.count > last[1]) return last[0];
  for (let i = finite.length - 1; i >= 0; i--) {
    const below = i > 0 ? finite[i - 1]![1] : 0;
    if (finite[i]![1] > below) return i > 0 ? finite[i - 1]![0] : 0;
  }
  return 0;
}
