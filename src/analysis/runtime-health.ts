// Question 5's evidence per node: how the container runtime answered (the runtime probe), how the
// kubelet's PLEG relists through it went (relist duration p99, how long it went without a relist), how
// regularly the kubelet renewed its Lease, and each NotReady stretch with the words the kubelet or the
// node controller gave for it. Per node and per lasting phase.
//
// Definitions:
// - Runtime probe p50/p99/max: over the probes that answered (stats.ts quantiles). A probe that timed out
//   took at least its elapsed time: it joins the numbers at that time and p99/max become lower bounds; other
//   failures (the runtime refusing at once) are counted, not timed.
// - PLEG relist p99: histogram_quantile(0.99) (histogram.ts) of what kubelet_pleg_relist_duration_seconds
//   gained between the last reading at or before the phase start and the last at or before its end.
//   Cumulative counts make this robust to missed readings in between; readings that do not bracket the
//   phase within two sample periods make it unknown (the value seen is kept).
// - Longest relist interval: the most time since the PLEG last relisted, as the kubelet's health check
//   counts it (sample time − kubelet_pleg_last_seen_seconds, each reading), and at least the lower edge of
//   the highest kubelet_pleg_relist_interval_seconds bucket that gained counts. It can miss the true longest
//   interval by one sample period plus the gauge's 1 s resolution; the kubelet's threshold is 3 minutes.
// - Longest Lease gap: the longest time between two successive renewTimes of a node's Lease that overlaps
//   the phase; after the last renewal, the time to the end of observation (an open gap). Where the Lease
//   watch was blind, renewals may be missing, so the value is an upper bound.
// - NotReady stretches: nodes.ts's intervals, with the Ready condition's reasons and messages seen in them.
import type { HistogramSample, HistoryRecord, KubeletPlegRecord, NodeLeaseRecord, NodeRecord, RuntimeLatencyRecord } from '../history/records.ts';
import { messageCauses, messageKind } from '../history/condition-message.ts';
import { Coverage } from './coverage.ts';
import { histogramDelta, histogramFloorOfMax, histogramQuantile } from './histogram.ts';
import type { NotReadyInterval } from './nodes.ts';
import { quantile, sortedNumbers } from './stats.ts';
import { floodPhase, spanPhases, ts, type Timeline } from './timeline.ts';
import { isUnknown, type Maybe, unknown } from './unknown.ts';

/** The recorder's PLEG sampling period (src/recorder/kubelet-pleg.ts), for "do the readings bracket the phase". */
export const PLEG_PERIOD_MS = 5_000;
const BRACKET_SLACK_MS = 2 * PLEG_PERIOD_MS;
/** Window of the PLEG relist p99 drawn over time. */
export const PLEG_CHART_WINDOW_MS = 30_000;

export interface ProbeStats {
  n: number;
  failures: number;
  timeouts: number;
  p50Ms: Maybe<number>;
  p99Ms: Maybe<number>;
  maxMs: Maybe<number>;
}

export interface PhaseHealth {
  probe: ProbeStats;
  plegRelistP99Ms: Maybe<number>;
  /** Relists completed in the phase (from the duration histogram's count). */
  plegRelists: Maybe<number>;
  plegLongestIntervalMs: Maybe<number>;
  leaseGapMaxMs: Maybe<number>;
}

export interface NodeHealth {
  node: string;
  byPhase: Record<string, PhaseHealth>;
  /** Longest Lease gap from the first phase to the end of observation. */
  leaseGapMaxMs: Maybe<number>;
}

export interface ConditionMessage {
  at: number;
  reason?: string;
  message: string;
}

export interface NotReadyStretch {
  node: string;
  from: number;
  to: number;
  open: boolean;
  /** The last Ready reason and message seen in the stretch. */
  reason?: string;
  message?: string;
  /** Every distinct message (live durations aside) in order of first appearance. */
  messages: ConditionMessage[];
  /** The causes those messages name (condition-message.ts), e.g. "PLEG is not healthy". */
  causes: string[];
}

export interface RuntimeHealthMetrics {
  /** Which of the streams this history has: runs recorded before one existed say so instead of showing zeros. */
  recorded: { runtimeProbe: boolean; pleg: boolean; leases: boolean; conditionMessages: boolean };
  /** PLEG metrics some kubelet did not expose, with the nodes. */
  absentMetrics: Record<string, string[]>;
  nodes: NodeHealth[];
  notReady: NotReadyStretch[];
  /** The phase called the flood (catalog's floodPhaseLabel), and the worst node in it. */
  floodPhase: string | null;
  flood: { probeP99Ms: Maybe<number>; plegRelistP99Ms: Maybe<number>; plegLongestIntervalMs: Maybe<number> };
  /** Worst node, first phase to the end. */
  leaseGapMaxMs: Maybe<number>;
}

export interface RuntimeHealthSeries {
  probe: Record<string, [number, number][]>;
  probeFailures: Record<string, number[]>;
  plegP99: Record<string, [number, number][]>;
  plegSinceRelist: Record<string, [number, number][]>;
  /** At each renewal, the time since the one before; the open gap at the end as a last point. */
  leaseGaps: Record<string, [number, number][]>;
}

/** The types whose presence makes a history carry this section: histories without them analyse as before. */
export const RUNTIME_HEALTH_TYPES = ['runtime-latency', 'kubelet-pleg', 'node-lease'] as const;

export function hasRuntimeHealth(sorted: readonly HistoryRecord[]): boolean {
  return sorted.some((r) => (RUNTIME_HEALTH_TYPES as readonly string[]).includes(r.type));
}

interface Span {
  from: number;
  to: number;
}

function byNode<T extends { node: string }>(recs: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of recs) (m.get(r.node) ?? m.set(r.node, []).get(r.node)!).push(r);
  return m;
}

const isTimeout = (e: string | undefined) => !!e && /^no answer within/.test(e);

function probeStats(recs: readonly RuntimeLatencyRecord[], blind: string | null): ProbeStats {
  const failures = recs.filter((r) => r.error !== undefined);
  const timeouts = failures.filter((r) => isTimeout(r.error) && typeof r.ms === 'number');
  const ok = sortedNumbers([...recs.filter((r) => r.error === undefined && typeof r.ms === 'number').map((r) => r.ms!), ...timeouts.map((r) => r.ms!)]);
  const base = { n: recs.length, failures: failures.length, timeouts: timeouts.length };
  if (recs.length === 0) {
    const none = unknown(blind ?? 'no runtime probe in this phase');
    return { ...base, p50Ms: none, p99Ms: none, maxMs: none };
  }
  if (ok.length === 0) {
    const none = unknown(`none of ${recs.length} probes answered`);
    return { ...base, p50Ms: none, p99Ms: none, maxMs: none };
  }
  const p50 = quantile(ok, 0.5);
  const p99 = quantile(ok, 0.99);
  const max = ok[ok.length - 1]!;
  const timedOut = timeouts.length ? `${timeouts.length} probe(s) timed out, counted at their elapsed time` : null;
  const why = [blind, timedOut].filter(Boolean).join('; ');
  if (!why) return { ...base, p50Ms: p50, p99Ms: p99, maxMs: max };
  // Blind: what was missed could be anything; timeouts alone: the truth is at least what was seen.
  const bound = blind ? undefined : 'lower';
  return { ...base, p50Ms: unknown(why, p50, bound), p99Ms: unknown(why, p99, bound), maxMs: unknown(why, max, 'lower') };
}

/** The last reading at or before `t` carrying the histogram, else undefined. */
function lastAtOrBefore(recs: readonly { t: number; h: HistogramSample }[], t: number): { t: number; h: HistogramSample } | undefined {
  let found: { t: number; h: HistogramSample } | undefined;
  for (const r of recs) {
    if (r.t <= t) found = r;
    else break;
  }
  return found;
}

function plegWindow(recs: readonly { t: number; h: HistogramSample }[], w: Span): { delta: HistogramSample; from: number; to: number } | null {
  const start = lastAtOrBefore(recs, w.from) ?? recs.find((r) => r.t >= w.from && r.t < w.to);
  const end = lastAtOrBefore(recs, w.to);
  if (!start || !end || end.t <= start.t) return null;
  const delta = histogramDelta(end.h, start.h);
  return delta ? { delta, from: start.t, to: end.t } : null;
}

function plegPhase(node: string, recs: readonly KubeletPlegRecord[], p: Span, t0: number): Pick<PhaseHealth, 'plegRelistP99Ms' | 'plegRelists' | 'plegLongestIntervalMs'> {
  if (recs.length === 0) {
    const none = unknown(`no PLEG metrics recorded for ${node}`);
    return { plegRelistP99Ms: none, plegRelists: none, plegLongestIntervalMs: none };
  }
  const dur = recs.filter((r) => r.relistDuration).map((r) => ({ t: ts(r), h: r.relistDuration! }));
  const ivl = recs.filter((r) => r.relistInterval).map((r) => ({ t: ts(r), h: r.relistInterval! }));
  let p99: Maybe<number>;
  let relists: Maybe<number>;
  const w = dur.length ? plegWindow(dur, p) : null;
  if (!dur.length) p99 = relists = unknown(`${node}'s kubelet does not expose kubelet_pleg_relist_duration_seconds`);
  else if (!w) p99 = relists = unknown(`fewer than two PLEG readings of ${node} around the phase`);
  else {
    const v = histogramQuantile(0.99, w.delta) * 1000;
    const partial = w.from > p.from + BRACKET_SLACK_MS || w.to < p.to - BRACKET_SLACK_MS;
    const why = `PLEG readings of ${node} cover only ${rel(w.from, t0)}..${rel(w.to, t0)} of the phase`;
    relists = partial ? unknown(why, w.delta.count, 'lower') : w.delta.count;
    if (w.delta.count === 0) p99 = unknown('no relist completed in the phase (see the longest relist interval)');
    else p99 = partial ? unknown(why, v) : v;
  }
  // How long the PLEG had gone without relisting, at each reading in the phase.
  const seen = recs.filter((r) => r.lastSeenS !== undefined && ts(r) >= p.from && ts(r) < p.to).map((r) => Math.max(0, ts(r) - r.lastSeenS! * 1000));
  const iw = ivl.length ? plegWindow(ivl, p) : null;
  const floor = iw && iw.delta.count > 0 ? histogramFloorOfMax(iw.delta) * 1000 : NaN;
  const candidates = [...seen, ...(Number.isFinite(floor) ? [floor] : [])];
  let longest: Maybe<number>;
  if (!candidates.length) {
    longest = recs.some((r) => r.lastSeenS !== undefined) || ivl.length ? unknown(`no PLEG reading of ${node} in the phase`) : unknown(`${node}'s kubelet exposes neither kubelet_pleg_last_seen_seconds nor kubelet_pleg_relist_interval_seconds`);
  } else longest = Math.max(...candidates);
  return { plegRelistP99Ms: p99, plegRelists: relists, plegLongestIntervalMs: longest };
}

const rel = (t: number, t0: number) => {
  const s = Math.round((t - t0) / 1000);
  return `T${s < 0 ? '-' : '+'}${Math.floor(Math.abs(s) / 60)}m${String(Math.abs(s) % 60).padStart(2, '0')}s`;
};

/** Gaps between successive renewals of one node's Lease; the last runs to `end` and is open. */
function leaseGaps(recs: readonly NodeLeaseRecord[], end: number): (Span & { open: boolean })[] {
  const times = [...new Set(recs.map((r) => Date.parse(r.renewTime)).filter(Number.isFinite))].sort((a, b) => a - b);
  const out: (Span & { open: boolean })[] = [];
  for (let i = 1; i < times.length; i++) out.push({ from: times[i - 1]!, to: times[i]!, open: false });
  const last = times[times.length - 1];
  if (last !== undefined && end > last) out.push({ from: last, to: end, open: true });
  return out;
}

function leaseGapMax(node: string, gaps: readonly Span[], w: Span, coverage: Coverage, t0: number, hasRecords: boolean): Maybe<number> {
  if (!hasRecords) return unknown(`no Lease renewals recorded for ${node}`);
  const touching = gaps.filter((g) => g.from < w.to && g.to > w.from);
  const blind = coverage.overlapping(['node-lease'], w.from, w.to, node);
  if (!touching.length) return blind.length ? unknown(`Lease watch blind: ${Coverage.describe(blind, t0)}`) : unknown(`no Lease renewal around the phase for ${node}`);
  const max = Math.max(...touching.map((g) => g.to - g.from));
  return blind.length ? unknown(`Lease watch blind (renewals may be missing): ${Coverage.describe(blind, t0)}`, max, 'upper') : max;
}

function notReadyStretches(intervals: readonly NotReadyInterval[], nodeRecs: Map<string, NodeRecord[]>): NotReadyStretch[] {
  return intervals.map((iv) => {
    const recs = (nodeRecs.get(iv.node) ?? []).filter((r) => ts(r) >= iv.from && ts(r) < Math.max(iv.to, iv.from + 1));
    const messages: ConditionMessage[] = [];
    const kinds = new Set<string>();
    let reason: string | undefined;
    let message: string | undefined;
    for (const r of recs) {
      const c = r.conditions.find((x) => x.type === 'Ready');
      if (!c) continue;
      if (c.reason) reason = c.reason;
      if (!c.message) continue;
      message = c.message;
      const k = messageKind(c.message);
      if (kinds.has(k)) continue;
      kinds.add(k);
      messages.push({ at: ts(r), ...(c.reason ? { reason: c.reason } : {}), message: c.message });
    }
    const causes = [...new Set(messages.flatMap((m) => messageCauses(m.message)))];
    return { node: iv.node, from: iv.from, to: iv.to, open: iv.open, ...(reason ? { reason } : {}), ...(message ? { message } : {}), messages, causes };
  });
}

/** Worst value over nodes: known values compared as is; an unknown with a lower bound can only raise it. */
function worst(vs: readonly Maybe<number>[], what: string): Maybe<number> {
  const known = vs.filter((v): v is number => typeof v === 'number');
  const unknowns = vs.filter(isUnknown);
  const seen = [...known, ...unknowns.map((u) => u.observed).filter((x): x is number => x !== undefined)];
  if (!vs.length) return unknown(`no ${what}`);
  if (!unknowns.length) return Math.max(...known);
  const reason = [...new Set(unknowns.map((u) => u.reason))].slice(0, 3).join('; ');
  // The worst is at least the worst seen only if nothing unseen could be higher: only lower bounds qualify.
  const bounded = unknowns.every((u) => u.bound === 'lower' && u.observed !== undefined);
  return seen.length ? unknown(reason, Math.max(...seen), bounded ? 'lower' : undefined) : unknown(reason);
}

export function runtimeHealthAnalysis(
  sorted: readonly HistoryRecord[],
  timeline: Timeline,
  coverage: Coverage,
  intervals: readonly NotReadyInterval[],
): { metrics: RuntimeHealthMetrics; series: RuntimeHealthSeries } {
  const probes = sorted.filter((r): r is RuntimeLatencyRecord => r.type === 'runtime-latency');
  const pleg = sorted.filter((r): r is KubeletPlegRecord => r.type === 'kubelet-pleg');
  const leases = sorted.filter((r): r is NodeLeaseRecord => r.type === 'node-lease');
  const nodeRecs = new Map<string, NodeRecord[]>();
  for (const r of sorted) if (r.type === 'node') (nodeRecs.get(r.name) ?? nodeRecs.set(r.name, []).get(r.name)!).push(r);
  const probesBy = byNode(probes);
  const plegBy = byNode(pleg);
  const leasesBy = byNode(leases);
  const stopping = sorted.find((r) => r.type === 'note' && r.source === 'recorder' && r.text === 'recorder stopping');
  const observedUntil = stopping ? Math.min(timeline.end, ts(stopping)) : timeline.end;
  const phases = spanPhases(timeline);
  const t0 = timeline.t0;
  const nodes = [...new Set([...probesBy.keys(), ...plegBy.keys(), ...leasesBy.keys()])].sort();

  const absentMetrics: Record<string, string[]> = {};
  for (const r of pleg) for (const m of r.absent ?? []) if (!(absentMetrics[m] ??= []).includes(r.node)) absentMetrics[m]!.push(r.node);

  const health: NodeHealth[] = nodes.map((node) => {
    // A node deleted during the run stops renewing because it is gone, not because its kubelet hung.
    const deleted = (nodeRecs.get(node) ?? []).find((r) => r.event === 'deleted');
    const gaps = leaseGaps(leasesBy.get(node) ?? [], deleted ? Math.min(ts(deleted), observedUntil) : observedUntil);
    const hasLeases = (leasesBy.get(node) ?? []).length > 0;
    const byPhase: Record<string, PhaseHealth> = {};
    for (const p of phases) {
      const blind = coverage.overlapping(['runtime-latency'], p.from, p.to, node);
      const inPhase = (probesBy.get(node) ?? []).filter((r) => ts(r) >= p.from && ts(r) < p.to);
      byPhase[p.label] = {
        probe: probeStats(inPhase, blind.length ? `runtime probe blind: ${Coverage.describe(blind, t0)}` : null),
        ...plegPhase(node, plegBy.get(node) ?? [], p, t0),
        leaseGapMaxMs: leaseGapMax(node, gaps, p, coverage, t0, hasLeases),
      };
    }
    const whole = { from: phases[0]?.from ?? timeline.start, to: observedUntil };
    return { node, byPhase, leaseGapMaxMs: leaseGapMax(node, gaps, whole, coverage, t0, hasLeases) };
  });

  const flood = floodPhase(timeline.phases, timeline.floodAt) ?? null;
  const inFlood = (pick: (h: PhaseHealth) => Maybe<number>, what: string): Maybe<number> =>
    flood === null ? unknown('no flood phase in this run') : worst(health.map((h) => (h.byPhase[flood] ? pick(h.byPhase[flood]!) : unknown(`no ${flood} phase`))), what);
  const recordedConditionMessages = [...nodeRecs.values()].some((rs) => rs.some((r) => r.conditions.some((c) => c.message)));

  const metrics: RuntimeHealthMetrics = {
    recorded: { runtimeProbe: probes.length > 0, pleg: pleg.length > 0, leases: leases.length > 0, conditionMessages: recordedConditionMessages },
    absentMetrics,
    nodes: health,
    notReady: notReadyStretches(intervals, nodeRecs),
    floodPhase: flood,
    flood: {
      probeP99Ms: probes.length ? inFlood((h) => h.probe.p99Ms, 'runtime probes') : unknown('no runtime probe in this run'),
      plegRelistP99Ms: pleg.length ? inFlood((h) => h.plegRelistP99Ms, 'PLEG metrics') : unknown('no PLEG metrics in this run'),
      plegLongestIntervalMs: pleg.length ? inFlood((h) => h.plegLongestIntervalMs, 'PLEG metrics') : unknown('no PLEG metrics in this run'),
    },
    leaseGapMaxMs: leases.length ? worst(health.map((h) => h.leaseGapMaxMs), 'Lease renewals') : unknown('no Lease renewals in this run'),
  };
  return { metrics, series: runtimeHealthSeries(nodes, probesBy, plegBy, leasesBy, observedUntil) };
}

function runtimeHealthSeries(
  nodes: readonly string[],
  probesBy: Map<string, RuntimeLatencyRecord[]>,
  plegBy: Map<string, KubeletPlegRecord[]>,
  leasesBy: Map<string, NodeLeaseRecord[]>,
  end: number,
): RuntimeHealthSeries {
  const s: RuntimeHealthSeries = { probe: {}, probeFailures: {}, plegP99: {}, plegSinceRelist: {}, leaseGaps: {} };
  for (const node of nodes) {
    const pr = probesBy.get(node) ?? [];
    if (pr.length) {
      s.probe[node] = pr.filter((r) => r.error === undefined && typeof r.ms === 'number').map((r) => [ts(r), r.ms!]);
      s.probeFailures[node] = pr.filter((r) => r.error !== undefined).map(ts);
    }
    const pl = plegBy.get(node) ?? [];
    const dur = pl.filter((r) => r.relistDuration).map((r) => ({ t: ts(r), h: r.relistDuration! }));
    if (dur.length) {
      const pts: [number, number][] = [];
      for (const r of dur) {
        const w = plegWindow(dur, { from: r.t - PLEG_CHART_WINDOW_MS, to: r.t });
        if (!w || w.from > r.t - PLEG_CHART_WINDOW_MS + BRACKET_SLACK_MS) continue;
        const v = histogramQuantile(0.99, w.delta);
        if (Number.isFinite(v)) pts.push([r.t, v * 1000]);
      }
      s.plegP99[node] = pts;
    }
    const seen = pl.filter((r) => r.lastSeenS !== undefined);
    if (seen.length) s.plegSinceRelist[node] = seen.map((r) => [ts(r), Math.max(0, ts(r) - r.lastSeenS! * 1000)]);
    const ls = leasesBy.get(node) ?? [];
    if (ls.length) s.leaseGaps[node] = leaseGaps(ls, end).map((g) => [g.to, g.to - g.from]);
  }
  return s;
}

