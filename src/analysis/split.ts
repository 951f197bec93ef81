// Split clusters (scenario `clusters: 2`, question 4): the blast radius per cluster. Every record about one
// cluster carries its index (`cluster`); records without one (phases, the Kafka cut, Kafka, notes) belong
// to the whole lab. A cluster's figures are the existing analyses run on its own slice of the history,
// so blind spots, bounds and "never" mean exactly what they mean for a whole run. One-cluster histories
// carry no index and get no split section: their analysis does not change.
import type { HistoryRecord, MetaRecord } from '../history/records.ts';
import { buildCoverage, type CoverageOptions } from './coverage.ts';
import { poolAnalysis } from './consul.ts';
import { latencyAnalysis } from './latency.ts';
import { buildLineage, rescheduledOf } from './lineage.ts';
import { nodeMetrics, pressureSegments, unionPerNode, type NotReadyInterval } from './nodes.ts';
import { podLives, podMetrics } from './pods.ts';
import { DEFAULT_SUSTAIN_MS, recoveryAnalysis, type RecoveryOptions } from './recovery.ts';
import { floodPhase, type Timeline } from './timeline.ts';
import { isUnknown, type Maybe, unknown } from './unknown.ts';

export interface ClusterPool {
  /** The server whose view the pool figures use (the cluster's own Consul). */
  observer: string | null;
  baselineTotal: Maybe<number>;
  peakTotal: Maybe<number>;
  peakFailed: Maybe<number>;
  failedAtEnd: Maybe<number>;
}

export interface ClusterFigures {
  index: number;
  /** The kind cluster's name (from the meta record, else its control plane's node name). */
  name: string;
  nodes: string[];
  workers: string[];
  /** Most of this cluster's workers NotReady at once, and that as a share of its workers. */
  maxNotReadyWorkers: Maybe<number>;
  notReadyShare: Maybe<number>;
  /** Worker node-seconds NotReady, from the first phase to the end. */
  notReadyNodeSeconds: Maybe<number>;
  /** Most of this cluster's workers under any pressure condition at once, and the share. */
  maxPressureWorkers: Maybe<number>;
  pressureShare: Maybe<number>;
  podsEvicted: Maybe<number>;
  /** Replacement pods created in this cluster (pods moved). */
  podsRescheduled: Maybe<number>;
  /** Replacements per app pod of this cluster (the scenario's per-cluster replicas); Unknown without a scenario. */
  rescheduledShare: Maybe<number>;
  pool: ClusterPool;
  /** Probe p99 in the phase that holds the flood ('flood', or the first lasting phase after the restore). */
  consulP99Flood: Maybe<number>;
  vaultP99Flood: Maybe<number>;
  /** This cluster's own recovery (its nodes, its Consul and Vault, its pool), from the flood start. */
  timeToRecoverMs: Maybe<number | null>;
  /** After the cut, a node of this cluster went NotReady or under pressure, or a pod of it was evicted or moved. */
  reached: Maybe<boolean>;
  /** What reached it first, for the reader ("outage-lab-b-worker NotReady at T+4m10s"). */
  reachedBy: string | null;
}

export interface SplitMetrics {
  clusters: ClusterFigures[];
  /** How many clusters the failure reached (a lower bound where a cluster's watch was blind and nothing was seen). */
  reached: Maybe<number>;
  /** Every cluster reached: the failure crossed the split. */
  reachedAll: Maybe<boolean>;
}

export interface SplitOptions {
  /** App pods per cluster (scenario perCluster.replicas), for the rescheduled share. */
  replicasPerCluster?: number | null;
  coverage?: CoverageOptions;
  recovery?: RecoveryOptions;
}

/** kind names nodes `<cluster>-control-plane`, `<cluster>-worker`, `<cluster>-worker2`…; the lab's app pods run on workers only. */
export const isControlPlane = (node: string): boolean => node.endsWith('-control-plane');

/** The cluster indices a history holds: from the records, and from the meta record's cluster list. */
export function clusterIndices(sorted: readonly HistoryRecord[]): number[] {
  const seen = new Set<number>();
  for (const r of sorted) if (typeof r.cluster === 'number') seen.add(r.cluster);
  for (const c of metaClusters(sorted)) seen.add(c.index);
  return [...seen].sort((a, b) => a - b);
}

function metaClusters(sorted: readonly HistoryRecord[]): { index: number; name: string }[] {
  const meta = sorted.find((r): r is MetaRecord => r.type === 'meta');
  const list = meta?.details?.clusters;
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is { index: number; name: string } => typeof c?.index === 'number' && typeof c?.name === 'string');
}

/** One cluster's slice of a history: its own records and the whole lab's. */
export function clusterHistory(sorted: readonly HistoryRecord[], index: number): HistoryRecord[] {
  return sorted.filter((r) => r.cluster === undefined || r.cluster === index);
}

/** `max / of` keeping a bound: a lower-bounded count gives a lower-bounded share. */
export function share(v: Maybe<number>, of: number, what: string): Maybe<number> {
  if (of <= 0) return unknown(`no ${what}`);
  if (typeof v === 'number') return v / of;
  return v.observed !== undefined ? unknown(v.reason, v.observed / of, v.bound) : v;
}

/** Most intervals overlapping at once (each node once: intervals of one node do not overlap each other). */
export function maxOverlap(ivs: readonly { from: number; to: number }[]): number {
  const edges: [number, number][] = [];
  for (const iv of ivs) edges.push([iv.from, 1], [iv.to, -1]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let level = 0;
  let max = 0;
  for (const [, d] of edges) {
    level += d;
    max = Math.max(max, level);
  }
  return max;
}

/**
 * Share of a set of workers NotReady (or under pressure) at once, from a summary's intervals. Control planes
 * are left out: both arms of question 4 have the same workers, but the split one has two control planes,
 * and counting them would make the same cascade look smaller there. `whole` is the summary's own figure over
 * every node, whose Unknown (a blind watch) the share inherits as a lower bound.
 */
export function workerShare(nodes: readonly string[], intervals: readonly (NotReadyInterval & { condition?: string })[], whole: Maybe<number>, what: string): Maybe<number> {
  const workers = nodes.filter((n) => !isControlPlane(n));
  if (workers.length === 0) return unknown('no worker node records');
  // Per node, the union of its intervals (a node under memory and disk pressure is one node under pressure).
  const merged = unionPerNode(intervals.filter((iv) => workers.includes(iv.node)));
  const v = maxOverlap(merged) / workers.length;
  if (isUnknown(whole)) return whole.observed === undefined ? unknown(whole.reason) : unknown(`${what}: ${whole.reason}`, v, whole.bound);
  return v;
}

const rel = (ms: number) => {
  const s = Math.round(Math.abs(ms) / 1000);
  return `T${ms < 0 ? '-' : '+'}${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

/** The split section of a summary, or undefined for a history of one cluster. */
export function splitAnalysis(sorted: readonly HistoryRecord[], timeline: Timeline, opts: SplitOptions = {}): SplitMetrics | undefined {
  const indices = clusterIndices(sorted);
  if (indices.length < 2) return undefined;
  const names = new Map(metaClusters(sorted).map((c) => [c.index, c.name]));
  const clusters = indices.map((i) => clusterFigures(clusterHistory(sorted, i), i, names.get(i), timeline, opts));
  const known = clusters.filter((c) => typeof c.reached === 'boolean');
  const yes = clusters.filter((c) => c.reached === true).length;
  const blind = clusters.filter((c) => isUnknown(c.reached));
  const why = blind.map((c) => `${c.name}: ${(c.reached as { reason: string }).reason}`).join('; ');
  return {
    clusters,
    reached: blind.length ? unknown(why, yes, 'lower') : yes,
    reachedAll: known.some((c) => c.reached === false) ? false : blind.length ? unknown(why) : true,
  };
}

function clusterFigures(sub: HistoryRecord[], index: number, metaName: string | undefined, timeline: Timeline, opts: SplitOptions): ClusterFigures {
  const coverage = buildCoverage(sub, timeline.end, opts.coverage);
  const nodes = nodeMetrics(sub, timeline, coverage);
  const workerNodes = nodes.metrics.nodes.filter((n) => !isControlPlane(n));
  const cp = nodes.metrics.nodes.find(isControlPlane);
  const name = metaName ?? (cp ? cp.replace(/-control-plane$/, '') : `cluster ${index}`);
  // The workers alone: the same analysis over the history without the control plane's node records.
  const workers = nodeMetrics(
    sub.filter((r) => !(r.type === 'node' && isControlPlane(r.name))),
    timeline,
    coverage,
  ).metrics;
  const lives = podLives(sub);
  const pods = podMetrics(lives, timeline, coverage);
  const lineage = buildLineage(lives, nodes.metrics.notReadyIntervals, sub, nodes.metrics.pressureIntervals);
  const rescheduled = rescheduledOf(lives, lineage.metrics.replacements, coverage, timeline);
  const pool = poolAnalysis(sub, timeline, coverage, opts.recovery?.sustainMs ?? DEFAULT_SUSTAIN_MS).metrics;
  const flood = floodPhase(timeline.phases, timeline.floodAt);
  const p99 = (type: 'consul-latency' | 'vault-latency'): Maybe<number> => {
    if (!flood) return unknown('no flood phase in this run');
    return latencyAnalysis(sub, type, timeline, coverage).metrics.byPhase[flood]?.p99 ?? unknown(`no ${flood} phase in this run`);
  };
  const recovery = recoveryAnalysis(sub, timeline, coverage, nodes.segments, opts.recovery ?? {}, pressureSegments(sub, timeline, coverage));
  const reach = reachedBy(sub, timeline, coverage, nodes.metrics.notReadyIntervals, nodes.metrics.pressureIntervals, lives, lineage.metrics.links);
  const replicas = opts.replicasPerCluster ?? null;
  return {
    index,
    name,
    nodes: nodes.metrics.nodes,
    workers: workerNodes,
    maxNotReadyWorkers: workers.maxSimultaneousNotReady,
    notReadyShare: share(workers.maxSimultaneousNotReady, workerNodes.length, 'worker node records'),
    notReadyNodeSeconds: workers.notReadyNodeSeconds,
    maxPressureWorkers: workers.maxSimultaneousPressure,
    pressureShare: share(workers.maxSimultaneousPressure, workerNodes.length, 'worker node records'),
    podsEvicted: pods.podsEvicted,
    podsRescheduled: rescheduled,
    rescheduledShare: replicas ? share(rescheduled, replicas, 'replica count') : unknown('no scenario: replicas per cluster unknown'),
    pool: {
      observer: pool.observer,
      baselineTotal: pool.baselineTotal,
      peakTotal: pool.peakTotal,
      peakFailed: pool.peakFailed,
      failedAtEnd: isUnknown(pool.atEnd) ? pool.atEnd : pool.atEnd.failed,
    },
    consulP99Flood: p99('consul-latency'),
    vaultP99Flood: p99('vault-latency'),
    timeToRecoverMs: recovery.timeToRecoverMs,
    ...reach,
  };
}

/**
 * Did the failure reach this cluster? Only onsets at or after the cut count: a node still under pressure
 * from before the cut was not put there by it. Seen once is enough; not seen is "no" only if the node and
 * pod watches of this cluster saw the whole time since the cut.
 */
function reachedBy(
  sub: HistoryRecord[],
  timeline: Timeline,
  coverage: ReturnType<typeof buildCoverage>,
  notReady: readonly NotReadyInterval[],
  pressure: readonly (NotReadyInterval & { condition: string })[],
  lives: ReturnType<typeof podLives>,
  links: readonly { createdAt: number; name: string; node?: string }[],
): { reached: Maybe<boolean>; reachedBy: string | null } {
  const from = timeline.cutAt ?? timeline.phases[0]?.from ?? timeline.start;
  const signs: { at: number; what: string }[] = [
    ...notReady.filter((iv) => iv.from >= from).map((iv) => ({ at: iv.from, what: `${iv.node} NotReady` })),
    ...pressure.filter((iv) => iv.from >= from).map((iv) => ({ at: iv.from, what: `${iv.node} ${iv.condition}` })),
    ...[...lives.values()].filter((p) => p.evictedAt !== undefined && p.evictedAt >= from).map((p) => ({ at: p.evictedAt!, what: `pod ${p.name} evicted` })),
    ...links.filter((l) => l.createdAt >= from).map((l) => ({ at: l.createdAt, what: `pod ${l.name} created as a replacement` })),
  ].sort((a, b) => a.at - b.at);
  const first = signs[0];
  if (first) return { reached: true, reachedBy: `${first.what} at ${rel(first.at - timeline.t0)}` };
  if (!Number.isFinite(timeline.end) || !sub.some((r) => r.type === 'node')) return { reached: unknown('no node records for this cluster'), reachedBy: null };
  const blind = coverage.overlapping(['node', 'pod'], from, timeline.end);
  if (blind.length) return { reached: unknown(`nothing seen, but the node or pod watch was blind after the cut (${blind[0]!.source})`), reachedBy: null };
  return { reached: false, reachedBy: null };
}
