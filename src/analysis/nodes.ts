// Node health as intervals. Ready: Kubernetes shows Ready=False and Ready=Unknown (the node controller's
// verdict when a kubelet stops posting) both as NotReady, and so does this module; the raw status stays
// in the segments for the swimlanes. Pressure: the kubelet's own MemoryPressure, DiskPressure and
// PIDPressure conditions, under which it evicts pods while the node stays Ready, so a cascade can run on
// nodes that never go NotReady. Where the node watch was blind the state is 'blind', never guessed; a
// pressure condition a record lacks or reports as Unknown (a kubelet that stopped posting) is unknown,
// not False.
import type { HistoryRecord, NodeRecord } from '../history/records.ts';
import type { BlindSpot, Coverage } from './coverage.ts';
import { Coverage as Cov, relLabel } from './coverage.ts';
import type { Timeline } from './timeline.ts';
import { ts } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';

export type NodeState = 'Ready' | 'NotReady' | 'Unknown' | 'blind' | 'absent';

export interface NodeSegment {
  node: string;
  from: number;
  to: number;
  state: NodeState;
}

export interface NotReadyInterval {
  node: string;
  from: number;
  to: number;
  /** Still NotReady when the history ends. */
  open: boolean;
  /** The last Ready condition reason seen in it (KubeletNotReady, NodeStatusUnknown...). */
  reason?: string;
}

export const PRESSURE_CONDITIONS = ['MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;
export type PressureCondition = (typeof PRESSURE_CONDITIONS)[number];
/** A node condition that can end the pods on it: not Ready, or one of the kubelet's pressures. */
export type NodeConditionName = 'NotReady' | PressureCondition;

/** A pressure condition's status; 'Unknown' also where the record does not carry the condition. */
export type PressureState = 'True' | 'False' | 'Unknown' | 'blind' | 'absent';

export interface PressureSegment {
  node: string;
  condition: PressureCondition;
  from: number;
  to: number;
  state: PressureState;
}

/** A stretch with one pressure condition True: the shape of a NotReady interval, plus which condition.
 *  `reason` is the condition's last reason seen in it (KubeletHasInsufficientMemory...). */
export interface PressureInterval extends NotReadyInterval {
  condition: PressureCondition;
}

/** One lane per node for the report: the pressures holding ('MemoryPressure', 'MemoryPressure+DiskPressure'),
 *  'no pressure', 'pressure unknown', 'blind' or 'absent'. */
export interface PressureLaneSegment {
  node: string;
  from: number;
  to: number;
  state: string;
}

export const NO_PRESSURE = 'no pressure';
export const PRESSURE_UNKNOWN = 'pressure unknown';

export interface PressureNodeStats {
  seconds: Maybe<number>;
  onsets: number;
}

export interface NodeMetrics {
  nodes: string[];
  /** Node name -> cluster index, for split-cluster runs. */
  clusters: Record<string, number>;
  timeToFirstNotReadyMs: Maybe<number | null>;
  firstNotReadyNode: string | null;
  notReadyNodeSeconds: Maybe<number>;
  maxSimultaneousNotReady: Maybe<number>;
  notReadyIntervals: NotReadyInterval[];
  /** NotReady node-seconds per node (Unknown where that node's state was not seen throughout). */
  perNode: Record<string, { notReadySeconds: Maybe<number>; onsets: number }>;
  /** Every node Ready at the last record. */
  allReadyAtEnd: Maybe<boolean>;
  /** From flood start to the first pressure onset (any condition) at or after it; 0 when a node was
   *  already under pressure then (see `firstPressure.at`); null: no pressure after the flood start. */
  timeToFirstPressureMs: Maybe<number | null>;
  /** The pressure `timeToFirstPressureMs` measures to; `at` is its onset, earlier than the flood when it was already there. */
  firstPressure: { node: string; condition: PressureCondition; at: number } | null;
  /** Node-seconds with each condition True, from the first phase to the end. */
  pressureNodeSeconds: Record<PressureCondition, Maybe<number>>;
  /** Most nodes with any pressure condition True at once (a node under two pressures counts once). */
  maxSimultaneousPressure: Maybe<number>;
  pressureIntervals: PressureInterval[];
  /** Per node and condition: node-seconds and onsets from the first phase to the end. */
  pressurePerNode: Record<string, Record<PressureCondition, PressureNodeStats>>;
}

type Lane<S extends string> = { node: string; from: number; to: number; state: S };
type Span = { from: number; to: number };

const isNotReady = (s: NodeState) => s === 'NotReady' || s === 'Unknown';

function stateOf(r: NodeRecord): NodeState {
  if (r.event === 'deleted') return 'absent';
  return r.ready === true ? 'Ready' : r.ready === false ? 'NotReady' : 'Unknown';
}

function pressureStateOf(r: NodeRecord, condition: PressureCondition): PressureState {
  if (r.event === 'deleted') return 'absent';
  const status = r.conditions.find((c) => c.type === condition)?.status;
  return status === 'True' ? 'True' : status === 'False' ? 'False' : 'Unknown';
}

function pressureLaneStateOf(r: NodeRecord): string {
  if (r.event === 'deleted') return 'absent';
  const states = PRESSURE_CONDITIONS.map((c) => [c, pressureStateOf(r, c)] as const);
  const held = states.filter(([, s]) => s === 'True').map(([c]) => c);
  if (held.length) return held.join('+');
  return states.some(([, s]) => s === 'Unknown') ? PRESSURE_UNKNOWN : NO_PRESSURE;
}

function recordsByNode(sorted: readonly HistoryRecord[]): [string, NodeRecord[]][] {
  const byNode = new Map<string, NodeRecord[]>();
  for (const r of sorted) {
    if (r.type !== 'node') continue;
    let list = byNode.get(r.name);
    if (!list) byNode.set(r.name, (list = []));
    list.push(r);
  }
  return [...byNode].sort(([a], [b]) => a.localeCompare(b));
}

/** One node's records as states held until the next record (the watch writes on change), blind spots cut out. */
function lane<S extends string>(node: string, recs: readonly NodeRecord[], state: (r: NodeRecord) => S, end: number, coverage: Coverage): Lane<S | 'blind'>[] {
  const raw: Lane<S>[] = [];
  for (let i = 0; i < recs.length; i++) {
    const from = ts(recs[i]!);
    const to = i + 1 < recs.length ? ts(recs[i + 1]!) : end;
    if (to > from || i + 1 === recs.length) raw.push({ node, from, to: Math.max(from, to), state: state(recs[i]!) });
  }
  const blind = coverage.overlapping(['node'], -Infinity, Infinity, node);
  return mergeSegments(cutOut(raw, blind));
}

/** Per-node segments from the first record of each node to the end of the history, blind spots cut out. */
export function nodeSegments(sorted: readonly HistoryRecord[], timeline: Timeline, coverage: Coverage): NodeSegment[] {
  return recordsByNode(sorted).flatMap(([node, recs]) => lane(node, recs, stateOf, timeline.end, coverage));
}

/** Per node and pressure condition, segments as `nodeSegments` makes them. */
export function pressureSegments(sorted: readonly HistoryRecord[], timeline: Timeline, coverage: Coverage): PressureSegment[] {
  return recordsByNode(sorted).flatMap(([node, recs]) =>
    PRESSURE_CONDITIONS.flatMap((condition) => lane(node, recs, (r) => pressureStateOf(r, condition), timeline.end, coverage).map((s) => ({ ...s, condition }))),
  );
}

export function pressureLanes(sorted: readonly HistoryRecord[], timeline: Timeline, coverage: Coverage): PressureLaneSegment[] {
  return recordsByNode(sorted).flatMap(([node, recs]) => lane(node, recs, pressureLaneStateOf, timeline.end, coverage));
}

function cutOut<S extends string>(segs: Lane<S>[], spots: readonly Span[]): Lane<S | 'blind'>[] {
  let cur: Lane<S | 'blind'>[] = segs;
  for (const s of spots) {
    const next: Lane<S | 'blind'>[] = [];
    for (const g of cur) {
      if (g.state === 'blind' || s.to <= g.from || s.from >= g.to) {
        next.push(g);
        continue;
      }
      if (s.from > g.from) next.push({ ...g, to: s.from });
      next.push({ ...g, from: Math.max(g.from, s.from), to: Math.min(g.to, s.to), state: 'blind' });
      if (s.to < g.to) next.push({ ...g, from: s.to });
    }
    cur = next;
  }
  return cur;
}

function mergeSegments<T extends Lane<string>>(segs: T[]): T[] {
  const out: T[] = [];
  for (const s of segs.sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1];
    if (last && last.state === s.state && last.to === s.from) last.to = s.to;
    else out.push({ ...s });
  }
  return out;
}

/** Consecutive segments of one node's lane where `hit` holds, joined into intervals. */
function stretches<S extends string>(segs: readonly Lane<S>[], hit: (s: S) => boolean): { node: string; from: number; to: number; open: boolean }[] {
  const out: { node: string; from: number; to: number; open: boolean }[] = [];
  let cur: (typeof out)[number] | null = null;
  for (const s of segs) {
    if (hit(s.state)) {
      if (cur && cur.to === s.from) cur.to = s.to;
      else {
        if (cur) out.push(cur);
        cur = { node: s.node, from: s.from, to: s.to, open: false };
      }
    } else if (cur) {
      out.push(cur);
      cur = null;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** Per node, every reason the given condition carried, with when it was seen. */
function conditionReasons(sorted: readonly HistoryRecord[], type: string): Map<string, { t: number; reason: string }[]> {
  const reasons = new Map<string, { t: number; reason: string }[]>();
  for (const r of sorted) {
    if (r.type !== 'node') continue;
    const c = r.conditions.find((c) => c.type === type);
    if (!c?.reason) continue;
    let l = reasons.get(r.name);
    if (!l) reasons.set(r.name, (l = []));
    l.push({ t: ts(r), reason: c.reason });
  }
  return reasons;
}

function settle<T extends NotReadyInterval>(iv: T, end: number, reasons: Map<string, { t: number; reason: string }[]>): T {
  iv.open = iv.to >= end;
  const rs = (reasons.get(iv.node) ?? []).filter((x) => x.t >= iv.from && x.t < iv.to);
  const last = rs[rs.length - 1];
  if (last) iv.reason = last.reason;
  return iv;
}

const clippedSeconds = (ivs: readonly Span[], w: Span) => ivs.reduce((s, iv) => s + Math.max(0, Math.min(iv.to, w.to) - Math.max(iv.from, w.from)) / 1000, 0);

/** Step series of how many intervals overlap, from `start` (at 0), and its maximum. */
function sweep(ivs: readonly Span[], start: number | null): { count: [number, number][]; max: number } {
  const edges: [number, number][] = [];
  for (const iv of ivs) edges.push([iv.from, 1], [iv.to, -1]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let level = 0;
  let max = 0;
  const count: [number, number][] = start === null ? [] : [[start, 0]];
  for (const [t, d] of edges) {
    level += d;
    max = Math.max(max, level);
    count.push([t, level]);
  }
  return { count, max };
}

export function nodeMetrics(
  sorted: readonly HistoryRecord[],
  timeline: Timeline,
  coverage: Coverage,
): { metrics: NodeMetrics; segments: NodeSegment[]; notReadyCount: [number, number][]; pressureLanes: PressureLaneSegment[]; pressureCount: [number, number][] } {
  const segments = nodeSegments(sorted, timeline, coverage);
  const nodes = [...new Set(segments.map((s) => s.node))].sort();
  const clusters: Record<string, number> = {};
  for (const r of sorted) if (r.type === 'node' && r.cluster !== undefined) clusters[r.name] = r.cluster;
  const reasons = conditionReasons(sorted, 'Ready');
  const describe = (from: number, to: number, node?: string) => Cov.describe(coverage.overlapping(['node'], from, to, node), timeline.t0);

  const intervals: NotReadyInterval[] = nodes
    .flatMap((node) => stretches(segments.filter((g) => g.node === node), isNotReady))
    .map((iv) => settle(iv, timeline.end, reasons))
    .sort((a, b) => a.from - b.from);

  const windowFrom = timeline.phases[0]?.from ?? timeline.start;
  const windowTo = timeline.end;
  const blindAll = coverage.overlapping(['node'], windowFrom, windowTo);
  const noData = nodes.length === 0;

  // Time to first NotReady after the flood starts.
  let timeToFirst: Maybe<number | null>;
  let firstNode: string | null = null;
  if (noData) timeToFirst = unknown('no node records in the history');
  else if (timeline.floodAt === undefined) timeToFirst = unknown('no restore/flood phase or Kafka heal in the history');
  else {
    const flood = timeline.floodAt;
    const first = firstAfter(intervals, flood);
    const upTo = first ? Math.max(first.from, flood) : windowTo;
    const blind = coverage.overlapping(['node'], flood, upTo);
    if (first) firstNode = first.node;
    if (blind.length) {
      timeToFirst = first
        ? unknown(`node watch was blind before the first NotReady seen: ${describe(flood, upTo)}`, upTo - flood, 'upper')
        : unknown(`no NotReady seen, but the node watch was blind: ${describe(flood, upTo)}`);
    } else timeToFirst = first ? Math.max(first.from, flood) - flood : null;
  }

  // Node-seconds and the most nodes NotReady at once, by sweeping interval edges. Clipped with a floor
  // at zero: an interval wholly before the first phase (the previous run's node still recovering) would
  // otherwise count negative and hide NotReady time inside the run.
  const observedSeconds = clippedSeconds(intervals, { from: windowFrom, to: windowTo });
  const { count: notReadyCount, max: maxLevel } = sweep(intervals, noData ? null : windowFrom);
  const blindReason = `node watch blind: ${describe(windowFrom, windowTo)}`;
  const notReadyNodeSeconds: Maybe<number> = noData
    ? unknown('no node records in the history')
    : blindAll.length
      ? unknown(blindReason, observedSeconds, 'lower')
      : observedSeconds;
  const maxSimultaneous: Maybe<number> = noData ? unknown('no node records in the history') : blindAll.length ? unknown(blindReason, maxLevel, 'lower') : maxLevel;

  const perNode: NodeMetrics['perNode'] = {};
  for (const node of nodes) {
    const own = intervals.filter((iv) => iv.node === node);
    const secs = own.reduce((s, iv) => s + (iv.to - iv.from) / 1000, 0);
    const blind = coverage.overlapping(['node'], windowFrom, windowTo, node);
    perNode[node] = {
      notReadySeconds: blind.length ? unknown(`node watch blind: ${describe(windowFrom, windowTo, node)}`, secs, 'lower') : secs,
      onsets: own.length,
    };
  }
  const lastStates = nodes.map((n) => segments.filter((s) => s.node === n).at(-1)?.state);
  const allReadyAtEnd: Maybe<boolean> = noData
    ? unknown('no node records in the history')
    : lastStates.some((s) => s === 'blind')
      ? unknown('node watch blind at the end of the history')
      : lastStates.every((s) => s === 'Ready' || s === 'absent');

  const pressure = pressureMetrics(sorted, timeline, coverage, nodes, { from: windowFrom, to: windowTo });
  return {
    metrics: {
      nodes,
      clusters,
      timeToFirstNotReadyMs: timeToFirst,
      firstNotReadyNode: firstNode,
      notReadyNodeSeconds,
      maxSimultaneousNotReady: maxSimultaneous,
      notReadyIntervals: intervals,
      perNode,
      allReadyAtEnd,
      ...pressure.metrics,
    },
    segments,
    notReadyCount,
    pressureLanes: pressureLanes(sorted, timeline, coverage),
    pressureCount: pressure.count,
  };
}

/** The interval the flood ran into first: one already open at the flood counts as reached at once. */
function firstAfter<T extends Span>(intervals: readonly T[], flood: number): T | undefined {
  return intervals.filter((iv) => iv.to > flood).sort((a, b) => Math.max(a.from, flood) - Math.max(b.from, flood))[0];
}

type PressureFields = Pick<NodeMetrics, 'timeToFirstPressureMs' | 'firstPressure' | 'pressureNodeSeconds' | 'maxSimultaneousPressure' | 'pressureIntervals' | 'pressurePerNode'>;

function pressureMetrics(sorted: readonly HistoryRecord[], timeline: Timeline, coverage: Coverage, nodes: string[], window: Span): { metrics: PressureFields; count: [number, number][] } {
  const segments = pressureSegments(sorted, timeline, coverage);
  const intervals = pressureIntervals(sorted, segments, timeline.end);
  const unseen = unseenPressure(segments, coverage, timeline.t0);
  const noData = nodes.length === 0;
  const inWindow = intervals.filter((iv) => iv.to > window.from && iv.from < window.to);

  const nodeSeconds = {} as Record<PressureCondition, Maybe<number>>;
  for (const c of PRESSURE_CONDITIONS) {
    const secs = clippedSeconds(inWindow.filter((iv) => iv.condition === c), window);
    const why = unseen(window.from, window.to, { condition: c });
    nodeSeconds[c] = noData ? unknown('no node records in the history') : why ? unknown(why, secs, 'lower') : secs;
  }

  const clipped = unionPerNode(inWindow).map((iv) => ({ from: Math.max(iv.from, window.from), to: Math.min(iv.to, window.to) }));
  const { count, max } = sweep(clipped, noData ? null : window.from);
  const whyAny = unseen(window.from, window.to, {});
  const maxSimultaneousPressure: Maybe<number> = noData ? unknown('no node records in the history') : whyAny ? unknown(whyAny, max, 'lower') : max;

  const perNode: PressureFields['pressurePerNode'] = {};
  for (const node of nodes) {
    const stats = {} as Record<PressureCondition, PressureNodeStats>;
    for (const c of PRESSURE_CONDITIONS) {
      const own = inWindow.filter((iv) => iv.node === node && iv.condition === c);
      const secs = clippedSeconds(own, window);
      const why = unseen(window.from, window.to, { node, condition: c });
      stats[c] = { seconds: why ? unknown(why, secs, 'lower') : secs, onsets: own.length };
    }
    perNode[node] = stats;
  }

  const first = firstPressure(intervals, timeline, unseen, noData, window.to);
  return {
    metrics: { ...first, pressureNodeSeconds: nodeSeconds, maxSimultaneousPressure, pressureIntervals: intervals, pressurePerNode: perNode },
    count,
  };
}

function pressureIntervals(sorted: readonly HistoryRecord[], segments: readonly PressureSegment[], end: number): PressureInterval[] {
  const out: PressureInterval[] = [];
  for (const condition of PRESSURE_CONDITIONS) {
    const reasons = conditionReasons(sorted, condition);
    const nodes = [...new Set(segments.map((s) => s.node))];
    for (const node of nodes) {
      const own = segments.filter((s) => s.node === node && s.condition === condition);
      for (const iv of stretches(own, (s) => s === 'True')) out.push(settle({ ...iv, condition }, end, reasons));
    }
  }
  return out.sort((a, b) => a.from - b.from);
}

/**
 * Per node, the union of its intervals (overlapping ones merged), as plain spans of all nodes together: a
 * node under memory and disk pressure is one node under pressure.
 */
export function unionPerNode(intervals: readonly { node: string; from: number; to: number }[]): Span[] {
  const out: Span[] = [];
  for (const node of new Set(intervals.map((iv) => iv.node))) {
    const own = intervals.filter((iv) => iv.node === node).sort((a, b) => a.from - b.from);
    let cur: Span | null = null;
    for (const iv of own) {
      if (cur && iv.from <= cur.to) cur.to = Math.max(cur.to, iv.to);
      else {
        if (cur) out.push(cur);
        cur = { from: iv.from, to: iv.to };
      }
    }
    if (cur) out.push(cur);
  }
  return out;
}

type Unseen = (from: number, to: number, only: { node?: string; condition?: PressureCondition }) => string | null;

/** Why pressure in [from, to) was not fully seen (node watch blind, or a condition not reported), or null. */
function unseenPressure(segments: readonly PressureSegment[], coverage: Coverage, t0: number): Unseen {
  return (from, to, only) => {
    const blind: BlindSpot[] = coverage.overlapping(['node'], from, to, only.node);
    if (blind.length) return `node watch blind: ${Cov.describe(blind, t0)}`;
    const unreported = segments.filter(
      (s) => s.state === 'Unknown' && s.from < to && s.to > from && (!only.node || s.node === only.node) && (!only.condition || s.condition === only.condition),
    );
    if (!unreported.length) return null;
    const s = unreported[0]!;
    const more = unreported.length > 1 ? ` (+${unreported.length - 1} more)` : '';
    return `${s.condition} not reported (missing or Unknown) for ${s.node} ${relLabel(s.from - t0)}..${relLabel(s.to - t0)}${more}`;
  };
}

function firstPressure(intervals: readonly PressureInterval[], timeline: Timeline, unseen: Unseen, noData: boolean, windowTo: number): Pick<PressureFields, 'timeToFirstPressureMs' | 'firstPressure'> {
  if (noData) return { timeToFirstPressureMs: unknown('no node records in the history'), firstPressure: null };
  if (timeline.floodAt === undefined) return { timeToFirstPressureMs: unknown('no restore/flood phase or Kafka heal in the history'), firstPressure: null };
  const flood = timeline.floodAt;
  const first = firstAfter(intervals, flood);
  const upTo = first ? Math.max(first.from, flood) : windowTo;
  const seen = first ? { node: first.node, condition: first.condition, at: first.from } : null;
  // Pressure already there at the flood start: nothing unseen can make the time shorter than zero.
  if (first && first.from <= flood) return { timeToFirstPressureMs: 0, firstPressure: seen };
  const why = unseen(flood, upTo, {});
  if (why) {
    const value = first ? unknown(`not seen throughout before the first pressure: ${why}`, upTo - flood, 'upper') : unknown(`no pressure seen, but ${why}`);
    return { timeToFirstPressureMs: value, firstPressure: seen };
  }
  return { timeToFirstPressureMs: first ? upTo - flood : null, firstPressure: seen };
}

/** True when `node` was NotReady (or not seen, per `blindIsBad`) at any moment of [from, to). */
export function anyNotReady(segments: readonly NodeSegment[], from: number, to: number, blindIsBad = true): boolean {
  return segments.some((s) => s.from < to && s.to > from && (isNotReady(s.state) || (blindIsBad && s.state === 'blind')));
}
