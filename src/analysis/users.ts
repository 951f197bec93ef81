// What the platform's users felt (issue 16): the load generator's requests through the LB generated from
// Consul, and the LB's own state. Only runs with traffic records get this section; every other run's
// summary is what it always was. Figures cover the scenario's phases (first phase start to last phase
// end), so arms whose drains last differently compare over the same stretch; users' recovery, like the
// platform's, looks on until the users stop.
import type { HistoryRecord, TrafficErrorClass } from '../history/records.ts';
import type { Coverage } from './coverage.ts';
import type { RecoveryOptions } from './recovery.ts';
import { DEFAULT_SUSTAIN_MS } from './recovery.ts';
import { searchSustained, sustainedVerdict, type Check } from './sustained.ts';
import { baselineWindow, spanPhases, type Timeline } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';
import { lbAnalysis, type LbMetrics, type LbSeries } from './users-lb.ts';
import { ERROR_MINUTE_THRESHOLD, errorMinutes, minutes, tally, worstMinute, type TrafficTally, type UserMinute, type WorstMinute } from './users-minutes.ts';
import { ERROR_CLASSES, secondsIn, secondsTable, stretches, sums, weightedQuantile, type SecondsTable } from './users-seconds.ts';
import { median } from './stats.ts';

export { ERROR_MINUTE_THRESHOLD } from './users-minutes.ts';

/** What a figure of what users felt is in a run that sent no traffic: not measured, which is not 0. */
export const NO_TRAFFIC = 'not measured: the run sent no traffic through the LB';
export const isNoTraffic = (v: Maybe<number | null> | undefined): boolean => v !== null && v !== undefined && typeof v === 'object' && v.reason === NO_TRAFFIC;

export interface UsersOptions {
  /** Requests per second the scenario asked for (traffic.ratePerSec); else read from the records. */
  ratePerSec?: number;
  /** Share of failed requests above which a minute is a user-facing error minute. */
  errorMinuteThreshold?: number;
  /** The platform's recovery settings: users' recovery uses the same tolerance, sustain window and timeout. */
  recovery?: RecoveryOptions;
}

export interface UsersRecovery {
  status: 'recovered' | 'not-recovered' | 'never-disrupted' | 'unknown';
  /** From the flood start (the restore) until users' traffic was back for good; null: not within the timeout. */
  timeToRecoverMs: Maybe<number | null>;
  disruptedAt?: number;
  recoveredAt?: number;
  baseline: { errorShare: Maybe<number>; p50Ms: Maybe<number> };
  /** Back = error share ≤ baseline + this, and p50 ≤ baseline × (1 + latencyTolerance) or + latencySlackMs. */
  errorShareSlack: number;
  latencyTolerance: number;
  latencySlackMs: number;
  sustainMs: number;
  timeoutMs: number;
}

export interface UsersMetrics {
  errorMinuteThreshold: number;
  /** The stretch the figures cover: the first phase's start to the last phase's end. */
  window: { from: number; to: number };
  /** Expected requests per second: the scenario's, else the median of the recorded seconds. */
  ratePerSec: number;
  /** Stretches of the window whose seconds have no traffic record: what users felt there is unknown. */
  missing: { from: number; to: number }[];
  total: TrafficTally;
  byPhase: Record<string, TrafficTally>;
  minutes: UserMinute[];
  errorMinutes: Maybe<number>;
  worstMinute: WorstMinute | null;
  recovery: UsersRecovery;
  /** The LB's config against the running pods; absent without lb records. */
  lb?: LbMetrics;
}

export interface UsersSeries {
  /** Per recorded second (its start): successes, and failures of each class seen in the run (0 where none). */
  ok: [number, number][];
  errors: Partial<Record<TrafficErrorClass, [number, number][]>>;
  p50: [number, number][];
  p99: [number, number][];
  /** Per minute of the window (its start): ok / sent of the recorded seconds. */
  availabilityByMinute: [number, number][];
  lb?: LbSeries;
}

export function usersAnalysis(
  sorted: readonly HistoryRecord[],
  timeline: Timeline,
  coverage: Coverage,
  opts: UsersOptions = {},
): { metrics: UsersMetrics; series: UsersSeries } | null {
  const scenarioRate = opts.ratePerSec !== undefined && opts.ratePerSec > 0 ? opts.ratePerSec : null;
  const table = secondsTable(sorted, scenarioRate);
  if (!table) return null;
  const secs = [...table.bySec.keys()].sort((a, b) => a - b);
  const spans = spanPhases(timeline);
  const window = spans.length
    ? { from: spans[0]!.from, to: Math.max(...spans.map((p) => p.to)) }
    : { from: secs[0]! * 1000, to: (secs[secs.length - 1]! + 1) * 1000 };
  const threshold = opts.errorMinuteThreshold ?? ERROR_MINUTE_THRESHOLD;
  const inWindow = secondsIn(table, window.from, window.to);
  const rate = scenarioRate ?? (inWindow.recorded.length ? median(inWindow.recorded.map((s) => s.sent)) : 1);
  const ms = minutes(table, window.from, window.to, threshold, rate);
  const byPhase: Record<string, TrafficTally> = {};
  for (const p of spans) byPhase[p.label] = tally(table, p.from, p.to, p.label);
  const lb = lbAnalysis(sorted, window, coverage, timeline.t0);

  const metrics: UsersMetrics = {
    errorMinuteThreshold: threshold,
    window,
    ratePerSec: rate,
    missing: stretches(inWindow.missing),
    total: tally(table, window.from, window.to, 'the run'),
    byPhase,
    minutes: ms,
    errorMinutes: errorMinutes(ms, threshold),
    worstMinute: worstMinute(ms),
    recovery: usersRecovery(table, timeline, rate, opts.recovery ?? {}, (secs[secs.length - 1]! + 1) * 1000),
    ...(lb ? { lb: lb.metrics } : {}),
  };
  return { metrics, series: { ...seriesOf(table, secs), availabilityByMinute: ms.filter((m) => m.sent > 0).map((m) => [m.from, m.ok / m.sent]), ...(lb ? { lb: lb.series } : {}) } };
}

function seriesOf(table: SecondsTable, secs: readonly number[]): Omit<UsersSeries, 'availabilityByMinute' | 'lb'> {
  const rows = secs.map((k) => table.bySec.get(k)!);
  const seen = ERROR_CLASSES.filter((c) => rows.some((r) => (r.errors[c] ?? 0) > 0));
  return {
    ok: rows.map((r) => [r.t, r.ok]),
    errors: Object.fromEntries(seen.map((c) => [c, rows.map((r) => [r.t, r.errors[c] ?? 0])])),
    p50: rows.filter((r) => r.p50Ms !== undefined).map((r) => [r.t, r.p50Ms!]),
    p99: rows.filter((r) => r.p99Ms !== undefined).map((r) => [r.t, r.p99Ms!]),
  };
}

/**
 * When users' traffic was back, judged as the platform's recovery is (recovery.ts): after the restore, the
 * start of the last stretch, lasting at least the sustain window to the end of the search, in which the
 * error share is within `errorShareSlack` of the baseline phase's and the successes' p50 within the latency
 * tolerance of the baseline's. A window with a missing second is blind unless its recorded failures alone
 * already break the criterion.
 */
function usersRecovery(table: SecondsTable, timeline: Timeline, rate: number, o: RecoveryOptions, trafficEnd: number): UsersRecovery {
  const tol = o.latencyTolerance ?? 0.2;
  const slackMs = o.latencySlackMs ?? 5;
  const sustainMs = o.sustainMs ?? DEFAULT_SUSTAIN_MS;
  const timeoutMs = o.timeoutMs ?? 600_000;
  const errSlack = o.errorRateSlack ?? 0.01;
  const base = baselineWindow(timeline);
  const baseSecs = base ? secondsIn(table, base.from, base.to) : undefined;
  const baseSums = baseSecs ? sums(baseSecs.recorded) : undefined;
  const errorShare: Maybe<number> = !base ? unknown('no baseline phase') : baseSums!.sent ? baseSums!.failed / baseSums!.sent : unknown('no request recorded in the baseline');
  const p50 = baseSecs ? weightedQuantile(baseSecs.recorded, 'p50Ms', 0.5) : undefined;
  const p50Ms: Maybe<number> = p50 !== undefined ? p50 : unknown(base ? 'no request succeeded in the baseline' : 'no baseline phase');
  const out: UsersRecovery = {
    status: 'unknown',
    timeToRecoverMs: unknown('not evaluated'),
    baseline: { errorShare, p50Ms },
    errorShareSlack: errSlack,
    latencyTolerance: tol,
    latencySlackMs: slackMs,
    sustainMs,
    timeoutMs,
  };
  const flood = timeline.floodAt;
  if (flood === undefined) return { ...out, timeToRecoverMs: unknown('no restore/flood phase in the history') };
  if (typeof errorShare !== 'number' || typeof p50Ms !== 'number') return { ...out, timeToRecoverMs: unknown(`no users' baseline: ${[errorShare, p50Ms].map((v) => (typeof v === 'number' ? '' : v.reason)).filter(Boolean)[0]}`) };
  const maxShare = errorShare + errSlack;
  const maxP50 = Math.max(p50Ms * (1 + tol), p50Ms + slackMs);
  const check: Check = (from, to) => {
    const { recorded, missing } = secondsIn(table, from, to);
    const s = sums(recorded);
    const expected = missing.length * rate;
    if (s.sent + expected > 0 && s.failed / (s.sent + expected) > maxShare) return false;
    if (missing.length || s.sent === 0) return 'blind';
    const p = weightedQuantile(recorded, 'p50Ms', 0.5);
    return p !== undefined && p <= maxP50;
  };
  // Users' traffic ends when the generator stops (just before the recorder): seconds after it are not blind, they are not there.
  const end = Math.min(timeline.end, trafficEnd);
  const r = searchSustained([check], { from: flood, lastStart: Math.min(end - sustainMs, flood + timeoutMs), stepMs: o.stepMs ?? 1_000, sustainMs });
  const v = sustainedVerdict(r, { flood, end, timeoutMs, sustainMs });
  return {
    ...out,
    timeToRecoverMs: v,
    ...(r.disruptedAt !== undefined ? { disruptedAt: r.disruptedAt } : {}),
    ...(r.recoveredAt !== undefined ? { recoveredAt: r.recoveredAt } : {}),
    status: r.disruptedAt === undefined && v === 0 ? 'never-disrupted' : typeof v === 'number' ? 'recovered' : v === null ? 'not-recovered' : 'unknown',
  };
}
