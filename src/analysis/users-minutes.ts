// What users felt, minute by minute and phase by phase: availability, user-facing error minutes, the worst
// minute, errors by class and latency of the successes. A second without a traffic record is unknown: a
// minute holding one is judged by what its missing requests could have been, never by assuming they worked.
import type { TrafficErrorClass } from '../history/records.ts';
import { secondsIn, sums, weightedQuantile, type SecondsTable } from './users-seconds.ts';
import { type Maybe, unknown } from './unknown.ts';

/**
 * A user-facing error minute is a minute in which MORE than this share of the requests started in it failed
 * (any error class). 5 %: one request in twenty is what a person clicking through a dev environment notices;
 * the odd failed request when a single pod is replaced stays below it at the lab's rates.
 */
export const ERROR_MINUTE_THRESHOLD = 0.05;

export const MINUTE_MS = 60_000;

export interface TrafficTally {
  /** Seconds of the window with a record, and without one while users should have been sending. */
  recordedSeconds: number;
  missingSeconds: number;
  /** Requests scheduled but never sent (the generator was stalled): unknown outcomes. */
  skipped: number;
  sent: number;
  ok: number;
  failed: number;
  /** Failed requests by class, as recorded (seconds without a record add none they may have had). */
  errors: Partial<Record<TrafficErrorClass, number>>;
  /** ok / sent of the recorded seconds; Unknown (with that as observed) when seconds are missing. */
  availability: Maybe<number>;
  /** Successes' latency: successes-weighted median of per-second p50s, and 99th percentile of per-second p99s. */
  p50Ms: Maybe<number>;
  p99Ms: Maybe<number>;
}

export function tally(table: SecondsTable, from: number, to: number, label: string): TrafficTally {
  const { recorded, missing } = secondsIn(table, from, to);
  const s = sums(recorded);
  const gaps = [
    ...(missing.length ? [`${missing.length} s of ${label} without a traffic record`] : []),
    ...(s.skipped ? [`${s.skipped} request(s) of ${label} skipped by a stalled generator`] : []),
  ];
  const why = gaps.join('; ');
  const known = (v: number | undefined, none: string): Maybe<number> => (v === undefined ? unknown(none) : why ? unknown(why, v) : v);
  const noOk = s.sent === 0 ? `no request recorded in ${label}` : `no request succeeded in ${label}`;
  return {
    recordedSeconds: recorded.length,
    missingSeconds: missing.length,
    skipped: s.skipped,
    sent: s.sent,
    ok: s.ok,
    failed: s.failed,
    errors: s.errors,
    availability: known(s.sent ? s.ok / s.sent : undefined, `no request recorded in ${label}`),
    p50Ms: known(weightedQuantile(recorded, 'p50Ms', 0.5), noOk),
    p99Ms: known(weightedQuantile(recorded, 'p99Ms', 0.99), noOk),
  };
}

export interface UserMinute {
  from: number;
  /** The window's last minute may be shorter than 60 s. */
  to: number;
  recordedSeconds: number;
  missingSeconds: number;
  sent: number;
  ok: number;
  failed: number;
  /** failed / sent of the recorded seconds; null when nothing was recorded. */
  errorShare: number | null;
  /** Requests of the minute the generator skipped while stalled: unknown outcomes, like missing seconds'. */
  skipped: number;
  /**
   * The share the whole minute could have had, counting each missing second's expected requests and each
   * skipped request as all succeeded (low) or all failed (high); both equal errorShare when none is unknown.
   */
  low: number | null;
  high: number | null;
  /** More than the threshold failed: certainly (true), certainly not (false), or the missing seconds decide. */
  errorMinute: boolean | 'unknown';
}

/** Minutes of [from, to) counted from `from` (the first phase's start), each judged against `threshold`. */
export function minutes(table: SecondsTable, from: number, to: number, threshold: number, perSecond: number): UserMinute[] {
  const out: UserMinute[] = [];
  for (let m = from; m < to; m += MINUTE_MS) {
    const end = Math.min(to, m + MINUTE_MS);
    const { recorded, missing } = secondsIn(table, m, end);
    const s = sums(recorded);
    const expected = missing.length * perSecond + s.skipped;
    const all = s.sent + expected;
    const low = all > 0 ? s.failed / all : null;
    const high = all > 0 ? (s.failed + expected) / all : null;
    const errorMinute = low === null || high === null ? (expected ? 'unknown' : false) : low > threshold ? true : high <= threshold ? false : 'unknown';
    out.push({
      from: m,
      to: end,
      recordedSeconds: recorded.length,
      missingSeconds: missing.length,
      skipped: s.skipped,
      sent: s.sent,
      ok: s.ok,
      failed: s.failed,
      errorShare: s.sent ? s.failed / s.sent : null,
      low,
      high,
      errorMinute,
    });
  }
  return out;
}

/** Certain error minutes; with undecided ones, a lower bound. */
export function errorMinutes(ms: readonly UserMinute[], threshold: number): Maybe<number> {
  const sure = ms.filter((m) => m.errorMinute === true).length;
  const open = ms.filter((m) => m.errorMinute === 'unknown').length;
  if (ms.length === 0) return unknown('no minute in the window');
  return open ? unknown(`${open} minute(s) with seconds lacking a traffic record or skipped requests could be above ${Math.round(threshold * 100)} % or not`, sure, 'lower') : sure;
}

export interface WorstMinute {
  from: number;
  to: number;
  sent: number;
  failed: number;
  missingSeconds: number;
  /** The highest error share of any minute; Unknown (at least `observed`) when missing seconds leave it open. */
  errorShare: Maybe<number>;
}

/**
 * The minute with the highest error share. With missing seconds, a minute's share lies in [low, high]: the
 * worst is the minute with the highest low; it is exact only if that minute is complete and no other
 * minute's high could pass it.
 */
export function worstMinute(ms: readonly UserMinute[]): WorstMinute | null {
  const judged = ms.filter((m) => m.low !== null);
  if (judged.length === 0) return null;
  const w = judged.reduce((a, b) => (b.low! > a.low! ? b : a));
  const exact = w.missingSeconds === 0 && w.skipped === 0 && judged.every((m) => m === w || m.high! <= w.low!);
  const missing = ms.reduce((a, m) => a + m.missingSeconds, 0);
  const skipped = ms.reduce((a, m) => a + m.skipped, 0);
  const open = [...(missing ? [`${missing} s without a traffic record`] : []), ...(skipped ? [`${skipped} skipped request(s)`] : [])].join(' and ');
  return {
    from: w.from,
    to: w.to,
    sent: w.sent,
    failed: w.failed,
    missingSeconds: w.missingSeconds,
    errorShare: exact ? w.low! : unknown(`${open || 'other minutes'} leave the worst minute open`, w.low!, 'lower'),
  };
}
