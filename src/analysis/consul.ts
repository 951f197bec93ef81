// The Consul LAN pool as a server sees it: members by state over time, how many failed members pile up
// and how long they linger (the "gossip poisoning" of question 2), and the gossip traffic and server
// load from the servers' telemetry.
import type { ConsulMembersRecord, ConsulTelemetryRecord, HistoryRecord, MemberState } from '../history/records.ts';
import { Coverage } from './coverage.ts';
import { mean, median, quantile, sortedNumbers } from './stats.ts';
import { baselineWindow, spanPhases, ts, type Timeline } from './timeline.ts';
import { isUnknown, type Maybe, type Unknown, unknown } from './unknown.ts';

/** How an unsettled pool's settle time begins its reason: pages and answers say it in words, not "≥ X". */
export const NOT_BACK = 'not back by the end';
export const isNotBack = (v: Maybe<number | null> | undefined): v is Unknown => v !== null && v !== undefined && isUnknown(v) && v.reason.startsWith(NOT_BACK);

export const MEMBER_STATES: readonly MemberState[] = ['alive', 'suspect', 'failed', 'leaving', 'left'];

export interface PoolMetrics {
  /** The server whose view the metrics use (the one with the most samples). */
  observer: string | null;
  observers: string[];
  baselineAlive: Maybe<number>;
  baselineTotal: Maybe<number>;
  peakTotal: Maybe<number>;
  peakFailed: Maybe<number>;
  peakFailedAt?: number;
  atEnd: Maybe<Record<MemberState, number>>;
  /**
   * From the restore until the failed count is back to the baseline's for good: the start of the last
   * stretch at baseline that lasts to the end of the history (as recovery.ts finds its recovery).
   */
  failedSettleMs: Maybe<number>;
  /** Per failed member (needs member names in the records): how long each stayed failed. */
  failedLinger: Maybe<{ members: number; medianMs: number; maxMs: number; stillFailedAtEnd: number }>;
}

export interface GossipMetrics {
  observer: string | null;
  /** counter -> peak per-second rate and mean rate per phase. */
  counters: Record<string, { peakPerSec: Maybe<number>; meanPerSecByPhase: Record<string, Maybe<number>> }>;
  /** observer -> server CPU (cores). */
  serverCpu: Record<string, { peak: Maybe<number>; meanByPhase: Record<string, Maybe<number>> }>;
}

export interface PoolSeries {
  observer: string | null;
  /** state -> [t, count][] */
  byState: Record<string, [number, number][]>;
  total: [number, number][];
}

export interface GossipSeries {
  /** counter -> [t, per second][] (primary observer) */
  rates: Record<string, [number, number][]>;
  /** observer -> [t, cores][] */
  serverCpu: Record<string, [number, number][]>;
}

/** One server's view, the one with the most samples: pool metrics and recovery must read the same server. */
export function primary<T extends { observer: string }>(recs: readonly T[]): { observer: string | null; observers: string[]; mine: T[] } {
  const counts = new Map<string, number>();
  for (const r of recs) counts.set(r.observer, (counts.get(r.observer) ?? 0) + 1);
  const observers = [...counts.keys()].sort();
  const observer = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null;
  return { observer, observers, mine: recs.filter((r) => r.observer === observer) };
}

export function poolAnalysis(
  sorted: readonly HistoryRecord[],
  timeline: Timeline,
  coverage: Coverage,
  /** How long the pool must stay at baseline before it counts as settled (recovery's sustain window). */
  sustainMs: number,
): { metrics: PoolMetrics; series: PoolSeries } {
  const all = sorted.filter((r): r is ConsulMembersRecord => r.type === 'consul-members');
  const { observer, observers, mine } = primary(all);
  const byState: Record<string, [number, number][]> = {};
  for (const s of MEMBER_STATES) byState[s] = mine.map((r) => [ts(r), r.counts[s] ?? 0]);
  const total: [number, number][] = mine.map((r) => [ts(r), r.total]);
  const series: PoolSeries = { observer, byState, total };
  const none = unknown('no Consul member records in the history');
  if (mine.length === 0) {
    return {
      metrics: { observer, observers, baselineAlive: none, baselineTotal: none, peakTotal: none, peakFailed: none, atEnd: none, failedSettleMs: none, failedLinger: none },
      series,
    };
  }
  const from = timeline.phases[0]?.from ?? timeline.start;
  const to = timeline.end;
  const blind = coverage.overlapping(['consul-members'], from, to);
  const blindNote = blind.length ? `member sampler blind: ${Coverage.describe(blind, timeline.t0)}` : '';
  const base = baselineWindow(timeline);
  const baseRecs = base ? mine.filter((r) => ts(r) >= base.from && ts(r) < base.to) : [];
  const baselineAlive: Maybe<number> = baseRecs.length ? median(baseRecs.map((r) => r.counts.alive ?? 0)) : unknown('no member samples in the baseline phase');
  const baselineTotal: Maybe<number> = baseRecs.length ? median(baseRecs.map((r) => r.total)) : unknown('no member samples in the baseline phase');
  const baselineFailed = baseRecs.length ? median(baseRecs.map((r) => r.counts.failed ?? 0)) : 0;

  const inRun = mine.filter((r) => ts(r) >= from && ts(r) <= to);
  const maxOf = (f: (r: ConsulMembersRecord) => number) => inRun.reduce<{ v: number; t?: number }>((m, r) => (f(r) > m.v ? { v: f(r), t: ts(r) } : m), { v: -Infinity });
  const pt = maxOf((r) => r.total);
  const pf = maxOf((r) => r.counts.failed ?? 0);
  const bounded = (v: number, what: string): Maybe<number> =>
    !Number.isFinite(v) ? unknown(`no member samples during the run (${what})`) : blind.length ? unknown(blindNote, v, 'lower') : v;
  const last = mine[mine.length - 1]!;
  const lastBlind = coverage.overlapping(['consul-members'], ts(last), to + 1);
  const atEnd: Maybe<Record<MemberState, number>> = lastBlind.length
    ? unknown(`member sampler blind at the end: ${Coverage.describe(lastBlind, timeline.t0)}`)
    : Object.fromEntries(MEMBER_STATES.map((s) => [s, last.counts[s] ?? 0])) as Record<MemberState, number>;

  const failedSettleMs = settleTime(mine, (r) => (r.counts.failed ?? 0) <= baselineFailed, timeline, coverage, sustainMs, baselineFailed);

  return {
    metrics: {
      observer,
      observers,
      baselineAlive,
      baselineTotal,
      peakTotal: bounded(pt.v, 'total'),
      peakFailed: bounded(pf.v, 'failed'),
      ...(pf.t !== undefined ? { peakFailedAt: pf.t } : {}),
      atEnd,
      failedSettleMs,
      failedLinger: linger(mine, to, blindNote),
    },
    series,
  };
}

/**
 * How long after the restore the pool was back at baseline for good. The first sample at baseline after
 * the peak is not it: in the gossip-encryption run two members stayed failed from the flood until the
 * remedy, the remedy's restarts made the peak, and the first calm sample after that peak read "back after
 * 9 s" although two members were failed again when the history ended. Without a restore in the history,
 * the clock starts at the first sample off baseline.
 */
function settleTime(
  mine: readonly ConsulMembersRecord[],
  atBaseline: (r: ConsulMembersRecord) => boolean,
  timeline: Timeline,
  coverage: Coverage,
  sustainMs: number,
  baselineFailed: number,
): Maybe<number> {
  const from = timeline.phases[0]?.from ?? timeline.start;
  const end = timeline.end;
  const inRun = mine.filter((r) => ts(r) >= from && ts(r) <= end);
  const firstOff = inRun.find((r) => !atBaseline(r));
  const origin = timeline.floodAt ?? (firstOff ? ts(firstOff) : undefined);
  if (origin === undefined) return 0;
  // The pool at the restore is the last sample at or before it: failures from the hold count.
  const before = inRun.filter((r) => ts(r) <= origin).at(-1);
  const after = [...(before ? [before] : []), ...inRun.filter((r) => ts(r) > origin)];
  const blindIn = (a: number, b: number) => coverage.overlapping(['consul-members'], a, b);
  let lastOff = -1;
  for (let i = after.length - 1; i >= 0; i--) {
    if (!atBaseline(after[i]!)) {
      lastOff = i;
      break;
    }
  }
  if (after.length === 0) return unknown('no member samples after the restore');
  if (lastOff === -1) {
    const b = blindIn(origin, end);
    return b.length ? unknown(`failed count at baseline in every sample after the restore, but the member sampler was blind: ${Coverage.describe(b, timeline.t0)}`, 0, 'lower') : 0;
  }
  const off = after[lastOff]!;
  const back = after[lastOff + 1];
  if (!back) return unknown(`${NOT_BACK}: ${off.counts.failed ?? 0} failed members still in the pool when the history ends (baseline ${baselineFailed})`, end - origin, 'lower');
  const settle = Math.max(0, ts(back) - origin);
  if (end - ts(back) < sustainMs) {
    return unknown(`back to baseline only ${Math.round((end - ts(back)) / 1000)} s before the history ends (needs ${Math.round(sustainMs / 1000)} s to count)`, settle, 'lower');
  }
  // Blind before the return: it may have come earlier. Blind after: it may have risen and fallen unseen.
  const blindBefore = blindIn(ts(off), ts(back));
  const blindAfter = blindIn(ts(back), end);
  if (blindBefore.length || blindAfter.length) {
    const why = `member sampler blind: ${Coverage.describe(blindIn(ts(off), end), timeline.t0)}`;
    return unknown(why, settle, blindBefore.length && blindAfter.length ? undefined : blindBefore.length ? 'upper' : 'lower');
  }
  return settle;
}

function linger(mine: ConsulMembersRecord[], end: number, blindNote: string): PoolMetrics['failedLinger'] {
  const named = mine.filter((r) => Array.isArray(r.failed));
  if (named.length === 0) return unknown('member records carry no failed-member names');
  const firstFailed = new Map<string, number>();
  const durations: number[] = [];
  for (const r of named) {
    const now = new Set(r.failed);
    for (const m of now) if (!firstFailed.has(m)) firstFailed.set(m, ts(r));
    for (const [m, t0] of [...firstFailed]) {
      if (!now.has(m)) {
        durations.push(ts(r) - t0);
        firstFailed.delete(m);
      }
    }
  }
  // Members still failed at the end lingered at least until the end.
  const still = [...firstFailed.values()].map((t0) => end - t0);
  const all = sortedNumbers([...durations, ...still]);
  if (all.length === 0) return { members: 0, medianMs: 0, maxMs: 0, stillFailedAtEnd: 0 };
  const v = { members: all.length, medianMs: quantile(all, 0.5), maxMs: all[all.length - 1]!, stillFailedAtEnd: still.length };
  if (blindNote) return unknown(`${blindNote}; ${v.members} members seen failed, median ${Math.round(v.medianMs / 1000)} s`, v.maxMs);
  return v;
}

export function gossipAnalysis(sorted: readonly HistoryRecord[], timeline: Timeline, coverage: Coverage): { metrics: GossipMetrics; series: GossipSeries } {
  const all = sorted.filter((r): r is ConsulTelemetryRecord => r.type === 'consul-telemetry');
  const { observer, mine } = primary(all);
  const rates: Record<string, [number, number][]> = {};
  const names = new Set<string>();
  for (const r of mine) for (const k of Object.keys(r.counters ?? {})) names.add(k);
  const gossipy = [...names].filter((n) => /memberlist|serf|gossip/i.test(n));
  for (const name of (gossipy.length ? gossipy : [...names]).sort()) {
    const pts: [number, number][] = [];
    for (let i = 1; i < mine.length; i++) {
      const a = mine[i - 1]!.counters[name];
      const b = mine[i]!.counters[name];
      const dt = (ts(mine[i]!) - ts(mine[i - 1]!)) / 1000;
      // A decrease is a restarted agent, not negative traffic.
      if (a === undefined || b === undefined || dt <= 0 || b < a) continue;
      pts.push([ts(mine[i]!), (b - a) / dt]);
    }
    rates[name] = pts;
  }
  const serverCpu: Record<string, [number, number][]> = {};
  for (const r of all) {
    if (r.cpuCores === undefined) continue;
    (serverCpu[r.observer] ??= []).push([ts(r), r.cpuCores]);
  }
  const summarise = (pts: [number, number][], what: string) => {
    const from = timeline.phases[0]?.from ?? timeline.start;
    const blind = coverage.overlapping(['consul-telemetry'], from, timeline.end);
    const inRun = pts.filter(([t]) => t >= from);
    const peak = inRun.reduce((m, [, v]) => Math.max(m, v), -Infinity);
    const peakM: Maybe<number> = inRun.length === 0 ? unknown(`no ${what} samples`) : blind.length ? unknown(`telemetry blind: ${Coverage.describe(blind, timeline.t0)}`, peak, 'lower') : peak;
    const byPhase: Record<string, Maybe<number>> = {};
    for (const p of spanPhases(timeline)) {
      const vs = pts.filter(([t]) => t >= p.from && t < p.to).map(([, v]) => v);
      const b = coverage.overlapping(['consul-telemetry'], p.from, p.to);
      byPhase[p.label] = vs.length === 0 ? unknown(`no ${what} samples in ${p.label}`) : b.length ? unknown(`telemetry blind in ${p.label}`, mean(vs)) : mean(vs);
    }
    return { peak: peakM, byPhase };
  };
  const counters: GossipMetrics['counters'] = {};
  for (const [name, pts] of Object.entries(rates)) {
    const s = summarise(pts, name);
    counters[name] = { peakPerSec: s.peak, meanPerSecByPhase: s.byPhase };
  }
  const cpu: GossipMetrics['serverCpu'] = {};
  for (const [obs, pts] of Object.entries(serverCpu)) {
    const s = summarise(pts, `server CPU of ${obs}`);
    cpu[obs] = { peak: s.peak, meanByPhase: s.byPhase };
  }
  return { metrics: { observer, counters, serverCpu: cpu }, series: { rates, serverCpu } };
}
