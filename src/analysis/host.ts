// What else ran on the machine, per phase (records of src/recorder/host-load.ts): on a 2-core host a
// compile beside a replay takes cores the nodes would have had, so a reader must know which numbers were
// measured on a quiet machine and which were not.
//
// Definitions (per lasting phase, over the host-load records whose time falls in it; each record averages
// the ~5 s before it):
// - load p50/max: of the 1-minute load average.
// - busy cores p50/max: the host's CPU busy, all processes and the kernel.
// - other cores p50/max: processes outside every container, outside the lab's own process tree, not the
//   container engine and not kernel threads.
// - top names: the other processes by CPU-seconds in the phase (cores × window of each record), over the
//   names each record kept (its top 5), so a name that was never among a record's top is not counted.
// A phase the host sampler was blind in (a gap, or silence) gives Unknown: p50 without a bound, max as a
// lower bound. Runs recorded before the sampler existed have no section; runs where it could not measure
// (a foreign cluster) say "not measured" and why.
import { type GapRecord, HOST_LOAD_SOURCE, type HistoryRecord, type HostLoadRecord } from '../history/records.ts';
import { Coverage } from './coverage.ts';
import { quantile, sortedNumbers } from './stats.ts';
import { fmtText } from './text.ts';
import { floodPhase, spanPhases, ts, type Timeline } from './timeline.ts';
import { isUnknown, type Maybe, unknown, type Unknown } from './unknown.ts';

/** Other processes above this many cores in the flood (in any one record) make a run's numbers disturbed. */
export const HOST_DISTURBED_CORES = 0.25;
/** Names kept per phase. */
export const HOST_TOP_NAMES = 5;

export interface HostStat {
  p50: Maybe<number>;
  max: Maybe<number>;
}

export interface HostPhase {
  samples: number;
  load1: HostStat;
  busyCores: HostStat;
  otherCores: HostStat;
  /** The other processes by CPU-seconds in the phase, most first. */
  top: { name: string; cpuSeconds: number }[];
}

export interface HostMetrics {
  /** false: the run could not measure it (the nodes were not on this machine); `notMeasured` says why. */
  measured: boolean;
  notMeasured?: string;
  cpus: number | null;
  byPhase: Record<string, HostPhase>;
  /** The phase holding the flood (timeline.floodPhase), whose figures the answers and the comparison use. */
  floodPhase: string | null;
}

const stat = (xs: readonly number[], blind: string | null, none: string): HostStat => {
  const s = sortedNumbers(xs);
  if (s.length === 0) return { p50: unknown(blind ?? none), max: unknown(blind ?? none) };
  const p50 = quantile(s, 0.5);
  const max = s[s.length - 1]!;
  return blind ? { p50: unknown(blind, p50), max: unknown(blind, max, 'lower') } : { p50, max };
};

/** The host section of a summary; null for a history without the host sampler (recorded before it existed). */
export function hostAnalysis(sorted: readonly HistoryRecord[], timeline: Timeline, coverage: Coverage): HostMetrics | null {
  const recs = sorted.filter((r): r is HostLoadRecord => r.type === 'host-load');
  const flood = floodPhase(timeline.phases, timeline.floodAt) ?? null;
  if (recs.length === 0) {
    const skipped = sorted.find((r): r is GapRecord => r.type === 'gap' && r.source === HOST_LOAD_SOURCE && r.reason === 'unsupported');
    if (skipped) return { measured: false, notMeasured: skipped.error ?? 'the host sampler could not run on this machine', cpus: null, byPhase: {}, floodPhase: flood };
    // Neither records nor a skip: the lab had no host sampler yet, unless it failed on every tick.
    if (!sorted.some((r) => r.type === 'gap' && r.source === HOST_LOAD_SOURCE)) return null;
  }
  const byPhase: Record<string, HostPhase> = {};
  for (const p of spanPhases(timeline)) {
    const inPhase = recs.filter((r) => ts(r) >= p.from && ts(r) < p.to);
    const spots = coverage.overlapping(['host-load'], p.from, p.to);
    const blind = spots.length ? `host sampler blind: ${Coverage.describe(spots, timeline.t0)}` : null;
    const none = `no host-load sample in ${p.label}`;
    const names = new Map<string, number>();
    for (const r of inPhase) for (const t of r.top) names.set(t.name, (names.get(t.name) ?? 0) + (t.cores * r.windowMs) / 1000);
    byPhase[p.label] = {
      samples: inPhase.length,
      load1: stat(inPhase.map((r) => r.load1), blind, none),
      busyCores: stat(inPhase.map((r) => r.busyCores), blind, none),
      otherCores: stat(inPhase.map((r) => r.otherCores), blind, none),
      top: [...names]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, HOST_TOP_NAMES)
        .map(([name, cpuSeconds]) => ({ name, cpuSeconds })),
    };
  }
  return { measured: true, cpus: recs.length ? recs[recs.length - 1]!.cpus : null, byPhase, floodPhase: flood };
}

/** What a run says about other processes in its flood: measured (with whether they passed the threshold), or why not. */
export type FloodDisturbance =
  | { status: 'disturbed' | 'quiet'; phase: string; max: Maybe<number>; p50: Maybe<number>; top: HostPhase['top'] }
  | { status: 'unknown'; why: string };

export const HOST_NOT_RECORDED = 'what else ran on the machine was not recorded in this run (recorded before the host sampler existed)';

/** The flood phase's host figures, or why a run has none: not recorded, not measured, or no flood phase. */
export function hostFloodPhase(host: HostMetrics | undefined): { phase: string; figures: HostPhase } | Unknown {
  if (!host) return unknown(HOST_NOT_RECORDED);
  if (!host.measured) return unknown(`not measured: ${host.notMeasured ?? 'unknown why'}`);
  const phase = host.floodPhase;
  const figures = phase ? host.byPhase[phase] : undefined;
  return phase && figures ? { phase, figures } : unknown('no flood phase in this run');
}

export function floodDisturbance(host: HostMetrics | undefined): FloodDisturbance {
  const flood = hostFloodPhase(host);
  if (isUnknown(flood)) return { status: 'unknown', why: flood.reason };
  const { phase, figures: f } = flood;
  const max = f.otherCores.max;
  const seen = typeof max === 'number' ? max : max.observed;
  // A partly blind flood is disturbed if what was seen already passed the threshold; else it cannot be called quiet.
  if (seen !== undefined && seen > HOST_DISTURBED_CORES) return { status: 'disturbed', phase, max, p50: f.otherCores.p50, top: f.top };
  if (typeof max !== 'number') return { status: 'unknown', why: max.reason };
  return { status: 'quiet', phase, max, p50: f.otherCores.p50, top: f.top };
}

/** "54 CPU-s", "3.6 CPU-s": a name's CPU in a phase, as the answers, the comparison and the run page write it. */
export const fmtCpuSeconds = (s: number): string => `${s >= 10 ? Math.round(s) : s.toFixed(1)} CPU-s`;

/** "other processes above 0.25 cores in the flood (max 0.910 cores, p50 0.400 cores; most CPU: node tsc 51 CPU-s, cc1 12 CPU-s)". */
export function describeDisturbance(d: Extract<FloodDisturbance, { status: 'disturbed' | 'quiet' }>): string {
  const top = d.top.length ? `; most CPU: ${d.top.slice(0, 3).map((t) => `${t.name} ${fmtCpuSeconds(t.cpuSeconds)}`).join(', ')}` : '';
  const head = d.status === 'disturbed' ? `other processes above ${HOST_DISTURBED_CORES} cores in the ${d.phase}` : `other processes at most ${HOST_DISTURBED_CORES} cores in the ${d.phase}`;
  return `${head} (max ${fmtText(d.max, 'cores')}, p50 ${fmtText(d.p50, 'cores')}${top})`;
}
