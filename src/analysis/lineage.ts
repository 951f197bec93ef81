// Rescheduling lineage, after Elixir's $callers: every replacement pod knows which pod it replaced, on
// which node, because of which node failure, back to the first cause (the fault). The recorder's
// `replaces` is used when present; otherwise a replacement is inferred as Kubernetes makes one: a pod of
// the same owner, created after a pod of that owner ended, matched first-ended-first. A node failure is
// NotReady, or a pressure condition under which the kubelet evicted the pod while the node stayed Ready.
import type { FaultRecord, HistoryRecord } from '../history/records.ts';
import { PRESSURE_CONDITIONS, type NodeConditionName, type NotReadyInterval, type PressureCondition, type PressureInterval } from './nodes.ts';
import type { Coverage } from './coverage.ts';
import { endedAt, endKind, lastNode, ownerKey, type EndKind, type PodLife } from './pods.ts';
import { ts, type Timeline } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';

/** Creation times have second precision and arrive through another watch than deletions. */
const MATCH_SLACK_MS = 2_000;
/** A pod ending this long after its node came back was not ended by that failure. */
const CAUSE_SLACK_MS = 5_000;
/** A kubelet evicts as soon as it sees a threshold crossed but posts the pressure condition only at its next
 *  status update (nodeStatusUpdateFrequency, 10 s by default; 9.5 s seen in a real run): an eviction that
 *  names the resource may precede the posted onset by that much. */
const PRESSURE_POST_LAG_MS = 15_000;

/** The node condition interval that ended a pod: a NotReady interval or a pressure one, and which. */
export type NodeFailure = NotReadyInterval & { condition: NodeConditionName };

export interface FirstCause {
  fault: string;
  /** When the fault was injected (and healed, if it was before the node failure). */
  injectedAt: number;
  healedAt?: number;
  journalId?: string;
}

export interface LineageLink {
  uid: string;
  name: string;
  ns: string;
  node?: string;
  createdAt: number;
  replaced: {
    uid: string;
    /** '?' when the replaced pod never appeared in the history (recorded `replaces` only). */
    name: string;
    node?: string;
    endedAt?: number;
    how?: EndKind;
    reason?: string;
  };
  matched: 'recorded' | 'inferred';
  /** The node condition (NotReady, or pressure for a pod the kubelet evicted) that ended the replaced pod, if one did. */
  nodeFailure: NodeFailure | null;
  /** 1 for a replacement of an original pod, 2 for a replacement of a replacement, ... */
  depth: number;
  /** uids from the original pod to this one. */
  chain: string[];
  rootUid: string;
  firstCause: FirstCause | null;
}

export interface LineageTreeNode {
  uid: string;
  name: string;
  node?: string;
  createdAt?: number;
  endedAt?: number;
  how?: EndKind;
  /** Why it ended: "node kind-worker2 NotReady", "node kind-worker2 MemoryPressure", "evicted: ...". */
  cause?: string;
  children: LineageTreeNode[];
}

export interface LineageMetrics {
  replacements: number;
  maxDepth: number;
  /** Count of links per depth: { "1": 12, "2": 4 }. */
  byDepth: Record<string, number>;
  /** Original pods whose replacement chains start the lineage. */
  roots: number;
  /** Links explained by a node failure (NotReady or pressure), and those whose predecessor ended for another reason. */
  causedByNodeFailure: number;
  otherCause: number;
  /** Links explained by a node failure, per condition: { MemoryPressure: 9, NotReady: 2 }. */
  byNodeCondition: Record<string, number>;
  /** Links whose first cause is each fault. */
  byFirstCause: Record<string, number>;
  links: LineageLink[];
}

/** What a pod's ending is checked against. */
export interface NodeConditions {
  notReady: readonly NotReadyInterval[];
  pressure: readonly PressureInterval[];
}

export function buildLineage(
  lives: Map<string, PodLife>,
  intervals: readonly NotReadyInterval[],
  sorted: readonly HistoryRecord[],
  pressure: readonly PressureInterval[] = [],
): { metrics: LineageMetrics; tree: LineageTreeNode[] } {
  const conditions: NodeConditions = { notReady: intervals, pressure };
  const predOf = matchReplacements(lives);
  const faults = faultSpans(sorted);
  const linkOf = new Map<string, LineageLink>();

  // Walk up iteratively with a visited set: a malformed history could hold a `replaces` cycle.
  const depthOf = (uid: string): { depth: number; chain: string[] } => {
    const chain = [uid];
    const seen = new Set(chain);
    let cur = predOf.get(uid);
    while (cur && !seen.has(cur.uid)) {
      chain.unshift(cur.uid);
      seen.add(cur.uid);
      cur = predOf.get(cur.uid);
    }
    return { depth: chain.length - 1, chain };
  };

  for (const [uid, pred] of predOf) {
    const p = lives.get(uid)!;
    const prev = lives.get(pred.uid);
    const prevNode = prev ? lastNode(prev) : undefined;
    const prevEnd = prev ? endedAt(prev) : undefined;
    const failure = prev ? causingFailure(conditions, prev) : null;
    const { depth, chain } = depthOf(uid);
    const link: LineageLink = {
      uid,
      name: p.name,
      ns: p.ns,
      ...(lastNode(p) ? { node: lastNode(p)! } : {}),
      createdAt: p.createdAt,
      replaced: {
        uid: pred.uid,
        name: prev?.name ?? '?',
        ...(prevNode ? { node: prevNode } : {}),
        ...(prevEnd !== undefined ? { endedAt: prevEnd } : {}),
        ...(prev && endKind(prev) ? { how: endKind(prev)! } : {}),
        ...(prev?.evictReason ? { reason: prev.evictReason } : {}),
      },
      matched: pred.how,
      nodeFailure: failure,
      depth,
      chain,
      rootUid: chain[0]!,
      firstCause: null,
    };
    linkOf.set(uid, link);
  }
  // The first cause is found from the root link (depth 1): the fault that preceded the failure that began it all.
  for (const link of linkOf.values()) {
    const root = linkOf.get(link.chain[1] ?? link.uid) ?? link;
    link.firstCause = causeBefore(faults, onsetOf(root));
  }

  const links = [...linkOf.values()].sort((a, b) => a.createdAt - b.createdAt);
  const byDepth: Record<string, number> = {};
  const byFirstCause: Record<string, number> = {};
  const byNodeCondition: Record<string, number> = {};
  for (const l of links) {
    byDepth[l.depth] = (byDepth[l.depth] ?? 0) + 1;
    const c = l.firstCause?.fault ?? 'unknown';
    byFirstCause[c] = (byFirstCause[c] ?? 0) + 1;
    if (l.nodeFailure) byNodeCondition[l.nodeFailure.condition] = (byNodeCondition[l.nodeFailure.condition] ?? 0) + 1;
  }
  const rootUids = new Set(links.map((l) => l.rootUid));
  return {
    metrics: {
      replacements: links.length,
      maxDepth: links.reduce((m, l) => Math.max(m, l.depth), 0),
      byDepth,
      roots: rootUids.size,
      causedByNodeFailure: links.filter((l) => l.nodeFailure).length,
      otherCause: links.filter((l) => !l.nodeFailure).length,
      byNodeCondition,
      byFirstCause,
      links,
    },
    tree: buildTree(rootUids, links, lives, conditions),
  };
}

/** Pods rescheduled (replacements created), as a bound when the pod watch was blind: replacements created then may be missing. */
export function rescheduledOf(lives: Map<string, PodLife>, replacements: number, coverage: Coverage, timeline: Timeline): Maybe<number> {
  const podBlind = coverage.overlapping(['pod'], timeline.phases[0]?.from ?? timeline.start, timeline.end);
  if (lives.size === 0) return unknown('no pod records in the history');
  return podBlind.length ? unknown('pod watch blind part of the run: replacements created then may be missing', replacements, 'lower') : replacements;
}

/** When the failure that began a chain showed first. A kubelet evicts before it posts its pressure, so
 *  there the eviction itself is the earliest sign. */
function onsetOf(root: LineageLink): number {
  const f = root.nodeFailure;
  if (f && f.condition !== 'NotReady' && root.replaced.endedAt !== undefined) return Math.min(f.from, root.replaced.endedAt);
  return f?.from ?? root.replaced.endedAt ?? root.createdAt;
}

/** uid -> predecessor, recorded links first, then inferred ones per owner, first-ended-first. */
export function matchReplacements(lives: Map<string, PodLife>): Map<string, { uid: string; how: 'recorded' | 'inferred' }> {
  const pred = new Map<string, { uid: string; how: 'recorded' | 'inferred' }>();
  const used = new Set<string>();
  for (const p of lives.values()) {
    if (p.replaces && p.replaces !== p.uid) {
      pred.set(p.uid, { uid: p.replaces, how: 'recorded' });
      used.add(p.replaces);
    }
  }
  const byOwner = new Map<string, PodLife[]>();
  for (const p of lives.values()) {
    const k = ownerKey(p);
    if (!k) continue;
    let l = byOwner.get(k);
    if (!l) byOwner.set(k, (l = []));
    l.push(p);
  }
  for (const pods of byOwner.values()) {
    const ended = pods
      .filter((p) => endedAt(p) !== undefined && !used.has(p.uid))
      .sort((a, b) => endedAt(a)! - endedAt(b)! || a.uid.localeCompare(b.uid));
    const candidates = pods.filter((p) => !pred.has(p.uid)).sort((a, b) => a.createdAt - b.createdAt || a.uid.localeCompare(b.uid));
    for (const c of candidates) {
      const i = ended.findIndex((e) => e.uid !== c.uid && e.createdAt < c.createdAt && endedAt(e)! <= c.createdAt + MATCH_SLACK_MS);
      if (i < 0) continue;
      pred.set(c.uid, { uid: ended[i]!.uid, how: 'inferred' });
      ended.splice(i, 1);
    }
  }
  return pred;
}

/**
 * The node condition that ended `p`. NotReady as before; pressure only for a pod the kubelet evicted (a pod
 * deleted on a pressured node was not ended by the pressure). When the eviction message names the resource
 * that ran out, the matching pressure wins even over an overlapping NotReady: the kubelet said why.
 */
function causingFailure(conditions: NodeConditions, p: PodLife): NodeFailure | null {
  const node = lastNode(p);
  const at = endedAt(p);
  if (node === undefined || at === undefined) return null;
  const evicted = endKind(p) === 'evicted';
  const named = evicted ? evictedFor(p.evictReason) : undefined;
  const pressure = evicted ? latestAround(conditions.pressure.filter((iv) => !named || iv.condition === named), node, at, named ? PRESSURE_POST_LAG_MS : CAUSE_SLACK_MS) : null;
  if (named && pressure) return pressure;
  const notReady = latestAround(conditions.notReady, node, at);
  return notReady ? { ...notReady, condition: 'NotReady' } : pressure;
}

function latestAround<T extends NotReadyInterval>(intervals: readonly T[], node: string, at: number, leadMs = CAUSE_SLACK_MS): T | null {
  let best: T | null = null;
  for (const iv of intervals) {
    if (iv.node !== node || iv.from > at + leadMs || iv.to < at - CAUSE_SLACK_MS) continue;
    if (!best || iv.from > best.from) best = iv;
  }
  return best;
}

const RESOURCE_CONDITION: [RegExp, PressureCondition][] = [
  [/^memory\b/i, 'MemoryPressure'],
  [/^(ephemeral-storage|nodefs|imagefs)\b/i, 'DiskPressure'],
  [/^pids?\b/i, 'PIDPressure'],
];

/**
 * The pressure a kubelet's eviction message names: "The node was low on resource: memory." (eviction of a
 * running pod) or "The node had condition: [MemoryPressure]." (a pod refused at admission).
 */
function evictedFor(reason: string | undefined): PressureCondition | undefined {
  const resource = reason?.match(/low on resource:\s*([\w-]+)/i)?.[1];
  if (resource) return RESOURCE_CONDITION.find(([re]) => re.test(resource))?.[1];
  const listed = reason?.match(/had condition:\s*\[([^\]]*)\]/i)?.[1];
  return PRESSURE_CONDITIONS.find((c) => listed?.split(/[\s,]+/).includes(c));
}

interface FaultSpan {
  fault: string;
  injectedAt: number;
  healedAt?: number;
  journalId?: string;
}

function faultSpans(sorted: readonly HistoryRecord[]): FaultSpan[] {
  const spans: FaultSpan[] = [];
  const open = new Map<string, FaultSpan>();
  for (const r of sorted) {
    if (r.type !== 'fault') continue;
    const f = r as FaultRecord;
    // An inject that definitely did not happen ('fail') is no cause.
    if (f.op === 'inject' && (f.kind === 'invoke' || f.kind === 'ok' || f.kind === 'info')) {
      if (!open.has(f.f)) {
        const s: FaultSpan = { fault: f.f, injectedAt: ts(f), ...(f.journalId ? { journalId: f.journalId } : {}) };
        open.set(f.f, s);
        spans.push(s);
      }
    } else if (f.op === 'heal' && (f.kind === 'ok' || f.kind === 'invoke')) {
      const s = open.get(f.f);
      if (s && s.healedAt === undefined) s.healedAt = ts(f);
      if (f.kind === 'ok') open.delete(f.f);
    }
  }
  return spans;
}

function causeBefore(spans: readonly FaultSpan[], at: number): FirstCause | null {
  const before = spans.filter((s) => s.injectedAt <= at);
  const s = before[before.length - 1];
  if (!s) return null;
  return {
    fault: s.fault,
    injectedAt: s.injectedAt,
    ...(s.healedAt !== undefined && s.healedAt <= at ? { healedAt: s.healedAt } : {}),
    ...(s.journalId ? { journalId: s.journalId } : {}),
  };
}

function buildTree(rootUids: Set<string>, links: LineageLink[], lives: Map<string, PodLife>, conditions: NodeConditions): LineageTreeNode[] {
  const children = new Map<string, LineageLink[]>();
  for (const l of links) {
    let c = children.get(l.replaced.uid);
    if (!c) children.set(l.replaced.uid, (c = []));
    c.push(l);
  }
  const visited = new Set<string>();
  const nodeFor = (uid: string): LineageTreeNode => {
    visited.add(uid);
    const p = lives.get(uid);
    const end = p ? endedAt(p) : undefined;
    const node = p ? lastNode(p) : undefined;
    const failure = p ? causingFailure(conditions, p) : null;
    const how = p ? endKind(p) : undefined;
    const cause = failure
      ? `node ${failure.node} ${failure.condition}${failure.reason ? ` (${failure.reason})` : ''}`
      : how === 'evicted'
        ? `evicted${p?.evictReason ? `: ${p.evictReason}` : ''}`
        : how;
    return {
      uid,
      name: p?.name ?? '?',
      ...(node ? { node } : {}),
      ...(p ? { createdAt: p.createdAt } : {}),
      ...(end !== undefined ? { endedAt: end } : {}),
      ...(how ? { how } : {}),
      ...(cause ? { cause } : {}),
      children: (children.get(uid) ?? []).filter((l) => !visited.has(l.uid)).map((l) => nodeFor(l.uid)),
    };
  };
  return [...rootUids].map((u) => nodeFor(u)).sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
}
