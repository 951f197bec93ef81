// Pod lifecycles folded out of the pod watch and the events: when each pod was created, where it ran,
// and when and how it ended (evicted, deleted, failed). The ending time is when the lab first SAW the
// pod leave (a deletionTimestamp appearing, an eviction event), not the deletionTimestamp's value,
// which Kubernetes sets in the future by the grace period while the ReplicaSet replaces the pod at once.
import type { HistoryRecord, PodRecord } from '../history/records.ts';
import type { Coverage } from './coverage.ts';
import { Coverage as Cov } from './coverage.ts';
import type { Timeline } from './timeline.ts';
import { ts } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';

export type EndKind = 'evicted' | 'deleted' | 'failed';

export interface PodLife {
  uid: string;
  ns: string;
  name: string;
  ownerUid?: string;
  ownerName?: string;
  ownerKind?: string;
  cluster?: number;
  /** creationTimestamp when recorded, else first seen. */
  createdAt: number;
  firstSeen: number;
  /** Every node the pod was seen on, in order (normally one). */
  nodes: string[];
  evictedAt?: number;
  evictReason?: string;
  /** First seen with a deletionTimestamp, or deleted. */
  deletingAt?: number;
  /** The watch's 'deleted' event (the object is gone). */
  goneAt?: number;
  failedAt?: number;
  /** The pod this one replaced, as the recorder wrote it. */
  replaces?: string;
}

export const endedAt = (p: PodLife): number | undefined => {
  const xs = [p.evictedAt, p.deletingAt, p.failedAt].filter((x): x is number => x !== undefined);
  return xs.length ? Math.min(...xs) : undefined;
};

export const endKind = (p: PodLife): EndKind | undefined =>
  p.evictedAt !== undefined ? 'evicted' : p.failedAt !== undefined && (p.deletingAt === undefined || p.failedAt <= p.deletingAt) ? 'failed' : p.deletingAt !== undefined ? 'deleted' : undefined;

export const lastNode = (p: PodLife): string | undefined => p.nodes[p.nodes.length - 1];

/** Owner identity for "same owner": the uid, else namespace/name (older recorders), else none (a bare pod). */
export const ownerKey = (p: PodLife): string | undefined => p.ownerUid ?? (p.ownerName ? `${p.ns}/${p.ownerKind ?? ''}/${p.ownerName}` : undefined);

const EVICTION_EVENTS = new Set(['Evicted', 'TaintManagerEviction', 'Preempted', 'Preempting']);

export function podLives(sorted: readonly HistoryRecord[]): Map<string, PodLife> {
  const lives = new Map<string, PodLife>();
  const byName = new Map<string, PodLife>();
  for (const r of sorted) {
    if (r.type === 'pod') fold(lives, byName, r);
    else if (r.type === 'k8s-event' && r.involved.kind === 'Pod' && EVICTION_EVENTS.has(r.reason)) {
      const p = (r.involved.uid && lives.get(r.involved.uid)) || byName.get(nameKey(r.cluster, r.involved.ns ?? '', r.involved.name));
      // TaintManagerEviction also reports "Cancelling deletion" when a node comes back in time.
      if (p && p.evictedAt === undefined && !/cancel/i.test(r.message)) {
        p.evictedAt = ts(r);
        p.evictReason = `${r.reason}: ${r.message}`;
      }
    }
  }
  return lives;
}

/** Pods of two clusters can share a namespace and name (consul-server-0 in each): the cluster is part of a name. */
const nameKey = (cluster: number | undefined, ns: string, name: string) => `${cluster ?? ''}/${ns}/${name}`;

function fold(lives: Map<string, PodLife>, byName: Map<string, PodLife>, r: PodRecord): void {
  const t = ts(r);
  let p = lives.get(r.uid);
  if (!p) {
    const created = r.createdAt ? Date.parse(r.createdAt) : NaN;
    p = { uid: r.uid, ns: r.ns, name: r.name, createdAt: Number.isFinite(created) ? Math.min(created, t) : t, firstSeen: t, nodes: [] };
    lives.set(r.uid, p);
    byName.set(nameKey(r.cluster, r.ns, r.name), p);
  }
  if (r.ownerUid) p.ownerUid = r.ownerUid;
  if (r.ownerName) p.ownerName = r.ownerName;
  if (r.ownerKind) p.ownerKind = r.ownerKind;
  if (r.cluster !== undefined) p.cluster = r.cluster;
  if (r.replaces) p.replaces = r.replaces;
  if (r.node && p.nodes[p.nodes.length - 1] !== r.node) p.nodes.push(r.node);
  if ((r.evicted || r.reason === 'Evicted') && p.evictedAt === undefined) {
    p.evictedAt = t;
    p.evictReason = r.reason ?? 'evicted';
  }
  if ((r.deletionTimestamp || r.event === 'deleted') && p.deletingAt === undefined) p.deletingAt = t;
  if (r.event === 'deleted' && p.goneAt === undefined) p.goneAt = t;
  if (r.phase === 'Failed' && p.failedAt === undefined) p.failedAt = t;
}

export interface PodMetrics {
  /** Pods seen at all, and those created after the run's first phase began. */
  podsSeen: number;
  podsCreated: Maybe<number>;
  podsEvicted: Maybe<number>;
  podsDeleted: Maybe<number>;
  podsFailed: Maybe<number>;
}

export function podMetrics(lives: Map<string, PodLife>, timeline: Timeline, coverage: Coverage): PodMetrics {
  const from = timeline.phases[0]?.from ?? timeline.start;
  const to = timeline.end;
  const all = [...lives.values()];
  const blind = coverage.overlapping(['pod'], from, to);
  const count = (pred: (p: PodLife) => boolean): Maybe<number> => {
    if (all.length === 0) return unknown('no pod records in the history');
    const n = all.filter(pred).length;
    return blind.length ? unknown(`pod watch blind: ${Cov.describe(blind, timeline.t0)}`, n, 'lower') : n;
  };
  const within = (x: number | undefined) => x !== undefined && x >= from && x <= to;
  return {
    podsSeen: all.length,
    podsCreated: count((p) => p.createdAt >= from && p.createdAt <= to),
    podsEvicted: count((p) => within(p.evictedAt)),
    podsDeleted: count((p) => within(p.deletingAt)),
    podsFailed: count((p) => within(p.failedAt)),
  };
}

/** Running pods per node as step series: a pod counts from when it is seen on a node until it ends. */
export function podsPerNode(lives: Map<string, PodLife>, timeline: Timeline): Record<string, [number, number][]> {
  const edges = new Map<string, [number, number][]>();
  for (const p of lives.values()) {
    const node = lastNode(p);
    if (!node) continue;
    const start = Math.max(p.firstSeen, p.createdAt);
    const end = endedAt(p) ?? p.goneAt;
    let e = edges.get(node);
    if (!e) edges.set(node, (e = []));
    e.push([start, 1]);
    if (end !== undefined) e.push([end, -1]);
  }
  const out: Record<string, [number, number][]> = {};
  for (const [node, e] of [...edges].sort(([a], [b]) => a.localeCompare(b))) {
    e.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let level = 0;
    const series: [number, number][] = [];
    for (const [t, d] of e) {
      level += d;
      if (series.length && series[series.length - 1]![0] === t) series[series.length - 1]![1] = level;
      else series.push([t, level]);
    }
    if (series.length) series.push([timeline.end, level]);
    out[node] = series;
  }
  return out;
}
