// Node Ready states as intervals. Kubernetes shows Ready=False and Ready=Unknown (the node controller's
// verdict when a kubelet stops posting) both as NotReady, and so does this module; the raw status stays
// in the segments for the swimlanes. Where the node watch was blind the state is 'blind', never guessed.
import type { HistoryRecord, NodeRecord } from '../history/records.ts';
import type { Coverage } from './coverage.ts';
import { Coverage as Cov } from './coverage.ts';
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
}

const isNotReady = (s: NodeState) => s === 'NotReady' || s === 'Unknown';

function stateOf(r: NodeRecord): NodeState {
  if (r.event === 'deleted') return 'absent';
  return r.ready === true ? 'Ready' : r.ready === false ? 'NotReady' : 'Unknown';
}

/** Per-node segments from the first record of each node to the end of the history, blind spots cut out. */
export function nodeSegments(sorted: readonly HistoryRecord[], timeline: Timeline, coverage: Coverage): NodeSegment[] {
  const byNode = new Map<string, NodeRecord[]>();
  for (const r of sorted) {
    if (r.type !== 'node') continue;
    let list = byNode.get(r.name);
    if (!list) byNode.set(r.name, (list = []));
    list.push(r);
  }
  const out: NodeSegment[] = [];
  for (const [node, recs] of [...byNode].sort(([a], [b]) => a.localeCompare(b))) {
    const raw: NodeSegment[] = [];
    for (let i = 0; i < recs.length; i++) {
      const from = ts(recs[i]!);
      const to = i + 1 < recs.length ? ts(recs[i + 1]!) : timeline.end;
      if (to > from || i + 1 === recs.length) raw.push({ node, from, to: Math.max(from, to), state: stateOf(recs[i]!) });
    }
    const blind = coverage.overlapping(['node'], -Infinity, Infinity, node);
    out.push(...mergeSegments(cutOut(raw, blind)));
  }
  return out;
}

function cutOut(segs: NodeSegment[], spots: { from: number; to: number }[]): NodeSegment[] {
  let cur = segs;
  for (const s of spots) {
    const next: NodeSegment[] = [];
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

function mergeSegments(segs: NodeSegment[]): NodeSegment[] {
  const out: NodeSegment[] = [];
  for (const s of segs.sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1];
    if (last && last.state === s.state && last.to === s.from) last.to = s.to;
    else out.push({ ...s });
  }
  return out;
}

export function nodeMetrics(sorted: readonly HistoryRecord[], timeline: Timeline, coverage: Coverage): { metrics: NodeMetrics; segments: NodeSegment[]; notReadyCount: [number, number][] } {
  const segments = nodeSegments(sorted, timeline, coverage);
  const nodes = [...new Set(segments.map((s) => s.node))].sort();
  const clusters: Record<string, number> = {};
  const reasons = new Map<string, { t: number; reason: string }[]>();
  for (const r of sorted) {
    if (r.type !== 'node') continue;
    if (r.cluster !== undefined) clusters[r.name] = r.cluster;
    const c = r.conditions.find((c) => c.type === 'Ready');
    if (c?.reason) {
      let l = reasons.get(r.name);
      if (!l) reasons.set(r.name, (l = []));
      l.push({ t: ts(r), reason: c.reason });
    }
  }
  const describe = (from: number, to: number, node?: string) => Cov.describe(coverage.overlapping(['node'], from, to, node), timeline.t0);

  // NotReady intervals: consecutive NotReady/Unknown segments of a node.
  const intervals: NotReadyInterval[] = [];
  for (const node of nodes) {
    let cur: NotReadyInterval | null = null;
    for (const s of segments.filter((g) => g.node === node)) {
      if (isNotReady(s.state)) {
        if (cur && cur.to === s.from) cur.to = s.to;
        else {
          if (cur) intervals.push(cur);
          cur = { node, from: s.from, to: s.to, open: false };
        }
      } else if (cur) {
        intervals.push(cur);
        cur = null;
      }
    }
    if (cur) intervals.push(cur);
  }
  for (const iv of intervals) {
    iv.open = iv.to >= timeline.end;
    const rs = (reasons.get(iv.node) ?? []).filter((x) => x.t >= iv.from && x.t < iv.to);
    const last = rs[rs.length - 1];
    if (last) iv.reason = last.reason;
  }
  intervals.sort((a, b) => a.from - b.from);

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
    const first = intervals.filter((iv) => iv.to > flood).sort((a, b) => Math.max(a.from, flood) - Math.max(b.from, flood))[0];
    const upTo = first ? Math.max(first.from, flood) : windowTo;
    const blind = coverage.overlapping(['node'], flood, upTo);
    if (first) firstNode = first.node;
    if (blind.length) {
      timeToFirst = first
        ? unknown(`node watch was blind before the first NotReady seen: ${describe(flood, upTo)}`, upTo - flood, 'upper')
        : unknown(`no NotReady seen, but the node watch was blind: ${describe(flood, upTo)}`);
    } else timeToFirst = first ? Math.max(first.from, flood) - flood : null;
  }

  // Node-seconds and the most nodes NotReady at once, by sweeping interval edges.
  const observedSeconds = intervals.reduce((s, iv) => s + (Math.min(iv.to, windowTo) - Math.max(iv.from, windowFrom)) / 1000, 0);
  const edges: [number, number][] = [];
  for (const iv of intervals) edges.push([iv.from, 1], [iv.to, -1]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let level = 0;
  let maxLevel = 0;
  const notReadyCount: [number, number][] = [];
  if (!noData) notReadyCount.push([windowFrom, 0]);
  for (const [t, d] of edges) {
    level += d;
    maxLevel = Math.max(maxLevel, level);
    notReadyCount.push([t, level]);
  }
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
    },
    segments,
    notReadyCount,
  };
}

/** True when `node` was NotReady (or not seen, per `blindIsBad`) at any moment of [from, to). */
export function anyNotReady(segments: readonly NodeSegment[], from: number, to: number, blindIsBad = true): boolean {
  return segments.some((s) => s.from < to && s.to > from && (isNotReady(s.state) || (blindIsBad && s.state === 'blind')));
}
