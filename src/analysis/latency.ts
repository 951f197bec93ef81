// Consul and Vault as their clients feel them: probe latency p50/p99 and error rate per phase, and the
// intervals during which Vault reported itself sealed. A failed probe is a measurement (an error), not
// a gap; a gap is when the prober itself was not running.
import type { HistoryRecord, LatencyBase, RecordType, VaultHealthRecord } from '../history/records.ts';
import { Coverage } from './coverage.ts';
import { quantile, sortedNumbers } from './stats.ts';
import { spanPhases, ts, type Timeline } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';

export type LatencyType = 'consul-latency' | 'vault-latency';

export interface LatencyStat {
  n: number;
  errors: number;
  errorRate: Maybe<number>;
  p50: Maybe<number>;
  p99: Maybe<number>;
  max: Maybe<number>;
}

export interface LatencyMetrics {
  /** Over the whole run. */
  all: LatencyStat;
  byPhase: Record<string, LatencyStat>;
}

export interface SealedInterval {
  from: number;
  to: number;
  open: boolean;
}

export interface VaultSealMetrics {
  intervals: SealedInterval[];
  sealedMs: Maybe<number>;
  /** Health probes that failed outright (no answer), where sealed-ness is unknown. */
  unanswered: number;
}

export interface LatencySeries {
  /** [t, ms] of successful probes. */
  ok: [number, number][];
  /** t of failed probes. */
  errors: number[];
  /** p99 over sliding 10 s buckets: [bucket end, ms]. */
  p99: [number, number][];
}

const BUCKET_MS = 10_000;

export function latencyAnalysis(
  sorted: readonly HistoryRecord[],
  type: LatencyType,
  timeline: Timeline,
  coverage: Coverage,
): { metrics: LatencyMetrics; series: LatencySeries } {
  const recs = sorted.filter((r) => r.type === type) as (LatencyBase & { type: RecordType })[];
  const from = timeline.phases[0]?.from ?? timeline.start;
  const byPhase: Record<string, LatencyStat> = {};
  for (const p of spanPhases(timeline)) byPhase[p.label] = latencyStat(recs, type, p.from, p.to, p.label, timeline, coverage);
  const ok: [number, number][] = [];
  const errors: number[] = [];
  for (const r of recs) {
    if (r.error !== undefined || typeof r.ms !== 'number') errors.push(ts(r));
    else ok.push([ts(r), r.ms]);
  }
  const p99: [number, number][] = [];
  if (ok.length) {
    const start = Math.floor(ok[0]![0] / BUCKET_MS) * BUCKET_MS;
    for (let b = start, i = 0; b <= ok[ok.length - 1]![0]; b += BUCKET_MS) {
      const vs: number[] = [];
      while (i < ok.length && ok[i]![0] < b + BUCKET_MS) vs.push(ok[i++]![1]);
      if (vs.length) p99.push([b + BUCKET_MS, quantile(sortedNumbers(vs), 0.99)]);
    }
  }
  return {
    metrics: { all: latencyStat(recs, type, from, timeline.end + 1, 'the run', timeline, coverage), byPhase },
    series: { ok, errors, p99 },
  };
}

/** Latency statistics of the probes of `type` in [from, to). */
export function latencyStat(
  recs: readonly (LatencyBase & { type: RecordType })[],
  type: LatencyType,
  from: number,
  to: number,
  label: string,
  timeline: Timeline,
  coverage: Coverage,
): LatencyStat {
  const inWin = recs.filter((r) => {
    const t = ts(r);
    return t >= from && t < to;
  });
  const errors = inWin.filter((r) => r.error !== undefined || typeof r.ms !== 'number').length;
  const ms = sortedNumbers(inWin.filter((r) => r.error === undefined && typeof r.ms === 'number').map((r) => r.ms!));
  const blind = coverage.overlapping([type], from, to);
  const why = blind.length ? `${type} prober blind in ${label}: ${Coverage.describe(blind, timeline.t0)}` : '';
  const q = (x: number): Maybe<number> =>
    ms.length === 0 ? unknown(inWin.length ? `every ${type} probe in ${label} failed` : `no ${type} probes in ${label}`) : why ? unknown(why, quantile(ms, x)) : quantile(ms, x);
  return {
    n: inWin.length,
    errors,
    errorRate: inWin.length === 0 ? unknown(`no ${type} probes in ${label}`) : why ? unknown(why, errors / inWin.length) : errors / inWin.length,
    p50: q(0.5),
    p99: q(0.99),
    max: q(1),
  };
}

export function vaultSeal(sorted: readonly HistoryRecord[], timeline: Timeline, coverage: Coverage): VaultSealMetrics {
  const recs = sorted.filter((r): r is VaultHealthRecord => r.type === 'vault-health');
  const intervals: SealedInterval[] = [];
  let cur: SealedInterval | null = null;
  let unanswered = 0;
  for (const r of recs) {
    const t = ts(r);
    if (r.sealed === null) {
      unanswered++;
      continue;
    }
    if (r.sealed && !cur) cur = { from: t, to: t, open: true };
    else if (r.sealed && cur) cur.to = t;
    else if (!r.sealed && cur) {
      cur.to = t;
      cur.open = false;
      intervals.push(cur);
      cur = null;
    }
  }
  if (cur) {
    cur.to = timeline.end;
    intervals.push(cur);
  }
  const from = timeline.phases[0]?.from ?? timeline.start;
  const total = intervals.reduce((s, i) => s + (i.to - i.from), 0);
  const blind = coverage.overlapping(['vault-health'], from, timeline.end);
  const sealedMs: Maybe<number> =
    recs.length === 0
      ? unknown('no Vault health records in the history')
      : blind.length
        ? unknown(`Vault health prober blind: ${Coverage.describe(blind, timeline.t0)}`, total, 'lower')
        : unanswered > 0 && intervals.length === 0 && recs.every((r) => r.sealed === null)
          ? unknown('every Vault health probe failed; sealed state never seen')
          : total;
  return { intervals, sealedMs, unanswered };
}
