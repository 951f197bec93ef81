// The load generator's seconds (traffic records) as a table the users' figures read: which seconds of a
// window have a record, which do not (the generator ran but wrote nothing: unknown, never "no errors"),
// and sums over them. Records are per second of request *start*, at whole seconds (src/traffic/seconds.ts).
import type { HistoryRecord, TrafficErrorClass, TrafficRecord } from '../history/records.ts';
import { ts } from './timeline.ts';

export const ERROR_CLASSES: readonly TrafficErrorClass[] = ['refused', 'timeout', 'no-backend', 'dead-backend', 'http-5xx', 'other'];

export interface Second {
  /** Epoch ms of the second's start. */
  t: number;
  sent: number;
  ok: number;
  failed: number;
  /** Scheduled but never sent (the generator was stalled): outcome unknown. */
  skipped: number;
  errors: Partial<Record<TrafficErrorClass, number>>;
  p50Ms?: number;
  p99Ms?: number;
}

export interface SecondsTable {
  /** Keyed by second index (epoch ms / 1000). */
  bySec: Map<number, Second>;
  /** A second counts as covered when a record lies within this many seconds of it (1 at 1 request/s or more). */
  periodSec: number;
}

const failedOf = (r: TrafficRecord) => Object.values(r.errors ?? {}).reduce<number>((a, n) => a + (n ?? 0), 0);

/**
 * `ratePerSec`: the scenario's rate. Below 1 request/s a second without a record is expected, so a second
 * is then covered by any record less than 1/rate seconds away.
 */
export function secondsTable(sorted: readonly HistoryRecord[], ratePerSec: number | null): SecondsTable | null {
  const bySec = new Map<number, Second>();
  for (const r of sorted) {
    if (r.type !== 'traffic') continue;
    const key = Math.floor(ts(r) / 1000);
    const failed = failedOf(r);
    const prev = bySec.get(key);
    if (!prev) {
      bySec.set(key, {
        t: key * 1000,
        sent: r.sent,
        ok: r.ok,
        failed,
        skipped: r.skipped ?? 0,
        errors: { ...r.errors },
        ...(r.p50Ms !== undefined ? { p50Ms: r.p50Ms } : {}),
        ...(r.p99Ms !== undefined ? { p99Ms: r.p99Ms } : {}),
      });
      continue;
    }
    // Two records for one second (a restarted generator): counts add; the latency of the larger share of successes stands.
    const keepLatency = r.ok > prev.ok;
    prev.sent += r.sent;
    prev.failed += failed;
    prev.skipped += r.skipped ?? 0;
    for (const [c, n] of Object.entries(r.errors ?? {}) as [TrafficErrorClass, number][]) prev.errors[c] = (prev.errors[c] ?? 0) + n;
    if (keepLatency) {
      if (r.p50Ms !== undefined) prev.p50Ms = r.p50Ms;
      if (r.p99Ms !== undefined) prev.p99Ms = r.p99Ms;
    }
    prev.ok += r.ok;
  }
  if (bySec.size === 0) return null;
  const periodSec = ratePerSec !== null && ratePerSec > 0 && ratePerSec < 1 ? Math.ceil(1 / ratePerSec) : 1;
  return { bySec, periodSec };
}

/** The seconds starting in [fromMs, toMs): those with a record, and those without one that should have had one. */
export function secondsIn(table: SecondsTable, fromMs: number, toMs: number): { recorded: Second[]; missing: number[] } {
  const recorded: Second[] = [];
  const missing: number[] = [];
  for (let s = Math.ceil(fromMs / 1000); s * 1000 < toMs; s++) {
    const rec = table.bySec.get(s);
    if (rec) recorded.push(rec);
    else if (!covered(table, s)) missing.push(s);
  }
  return { recorded, missing };
}

function covered(table: SecondsTable, s: number): boolean {
  for (let d = 1; d < table.periodSec; d++) if (table.bySec.has(s - d) || table.bySec.has(s + d)) return true;
  return false;
}

export interface Sums {
  sent: number;
  ok: number;
  failed: number;
  skipped: number;
  errors: Partial<Record<TrafficErrorClass, number>>;
}

export function sums(recorded: readonly Second[]): Sums {
  const out: Sums = { sent: 0, ok: 0, failed: 0, skipped: 0, errors: {} };
  for (const s of recorded) {
    out.sent += s.sent;
    out.skipped += s.skipped;
    out.ok += s.ok;
    out.failed += s.failed;
    for (const [c, n] of Object.entries(s.errors) as [TrafficErrorClass, number][]) if (n) out.errors[c] = (out.errors[c] ?? 0) + n;
  }
  return out;
}

/**
 * A quantile of per-second latencies, each second weighted by its successes. The records hold each second's
 * own p50/p99, not every request's latency, so "the phase's p99" is the successes-weighted 99th percentile
 * of the seconds' p99s: an estimate that a few slow seconds move as much as they moved users.
 */
export function weightedQuantile(recorded: readonly Second[], field: 'p50Ms' | 'p99Ms', q: number): number | undefined {
  const pts = recorded.filter((s) => s.ok > 0 && typeof s[field] === 'number').map((s) => [s[field]!, s.ok] as const);
  if (pts.length === 0) return undefined;
  pts.sort((a, b) => a[0] - b[0]);
  const total = pts.reduce((a, [, w]) => a + w, 0);
  let acc = 0;
  for (const [v, w] of pts) {
    acc += w;
    if (acc >= q * total) return v;
  }
  return pts[pts.length - 1]![0];
}

/** Consecutive second indices as [from, to) ms stretches. */
export function stretches(secs: readonly number[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (const s of secs) {
    const last = out[out.length - 1];
    if (last && last.to === s * 1000) last.to = (s + 1) * 1000;
    else out.push({ from: s * 1000, to: (s + 1) * 1000 });
  }
  return out;
}
