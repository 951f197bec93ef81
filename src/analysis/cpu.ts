// CPU per node and per component. Node-level scopes (node, runtime, kubelet, shims, pods) come straight
// from the sampler; pod and container cgroups are summed per component (what runs in them: the app
// pods, the shipper DaemonSet, the Consul agents...), so a chart can say where the node's cores went.
import type { CpuRecord, HistoryRecord } from '../history/records.ts';
import { Coverage } from './coverage.ts';
import type { PodLife } from './pods.ts';
import { mean } from './stats.ts';
import { spanPhases, ts, type Timeline } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';

export const NODE_SCOPES = ['node', 'runtime', 'kubelet', 'shims', 'pods'] as const;

/**
 * CPU sources, best first: the Docker sampler (1 s, every process, shims apart from the runtime), then
 * the kubelet's summary API (about 10 s, cAdvisor's cgroups). Two sources of one node would interleave
 * in a series and double its sums, so each node's CPU comes from one: the best that wrote any for it.
 */
export const CPU_SOURCE_PREFERENCE: readonly string[] = ['sampler/cpu', 'sampler/kubelet-summary'];

/** node -> the source its CPU is read from. */
export function cpuSourceByNode(sorted: readonly HistoryRecord[]): Map<string, string> {
  const rank = (src: string) => {
    const i = CPU_SOURCE_PREFERENCE.indexOf(src);
    return i >= 0 ? i : CPU_SOURCE_PREFERENCE.length;
  };
  const best = new Map<string, string>();
  for (const r of sorted) {
    if (r.type !== 'cpu') continue;
    const cur = best.get(r.node);
    if (cur === undefined || rank(r.source) < rank(cur) || (rank(r.source) === rank(cur) && r.source < cur)) best.set(r.node, r.source);
  }
  return best;
}

/**
 * The blind spots that matter for CPU once each node's source is chosen: a silence of a source not read
 * for that node (the kubelet's while the Docker sampler saw the node) blinds nothing.
 */
export function cpuCoverage(coverage: Coverage, chosen: ReadonlyMap<string, string>): Coverage {
  const sources = new Set(chosen.values());
  const isCpuSource = (src: string) => CPU_SOURCE_PREFERENCE.includes(src) || [...chosen.values()].includes(src);
  return new Coverage(
    coverage.spots.filter((sp) => {
      if (!sp.affects.includes('cpu') || !isCpuSource(sp.source)) return true;
      return sp.node !== undefined ? chosen.get(sp.node) === sp.source : sources.has(sp.source);
    }),
  );
}

export interface CpuStat {
  peak: Maybe<number>;
  peakAt?: number;
  /** Mean cores per lasting phase, keyed by phase label. */
  meanByPhase: Record<string, Maybe<number>>;
  samples: number;
}

export interface CpuMetrics {
  /** docker --cpus of a node container, from the scenario; null when unlimited or unknown. */
  limitCores: number | null;
  /** Component keys seen: the node scopes, then 'pod/<workload>' and 'container/<name>'. */
  components: string[];
  /** node -> component -> stat. */
  perNode: Record<string, Record<string, CpuStat>>;
  /** component -> stat of the sum over all nodes. */
  cluster: Record<string, CpuStat>;
}

/** Time series: node -> component -> [t, cores][], plus 'all' for the sum over nodes. */
export type CpuSeries = Record<string, Record<string, [number, number][]>>;

/** 'devenv-7f9c8d6b5-x2x4q' -> 'devenv': a workload's name from a pod's owner or name. */
export function workloadName(p: Pick<PodLife, 'name' | 'ownerName' | 'ownerKind'>): string {
  if (p.ownerName) return p.ownerKind === 'ReplicaSet' ? p.ownerName.replace(/-[a-z0-9]{6,10}$/, '') : p.ownerName;
  return p.name.replace(/-[a-z0-9]{6,10}-[a-z0-9]{5}$/, '').replace(/-[a-z0-9]{5}$/, '');
}

export function componentOf(r: CpuRecord, lives: Map<string, PodLife>): string {
  if (r.scope === 'pod') {
    if (r.component) return `pod/${r.component}`;
    const p = r.id ? lives.get(r.id) : undefined;
    return p ? `pod/${workloadName(p)}` : 'pod/unknown';
  }
  if (r.scope === 'container') return `container/${r.component ?? r.id ?? 'unknown'}`;
  return r.scope;
}

export function cpuAnalysis(
  sorted: readonly HistoryRecord[],
  lives: Map<string, PodLife>,
  timeline: Timeline,
  coverage: Coverage,
  limitCores: number | null,
): { metrics: CpuMetrics; series: CpuSeries; coverage: Coverage } {
  const chosen = cpuSourceByNode(sorted);
  coverage = cpuCoverage(coverage, chosen);
  // Sum per (node, component, tick): several pods of one workload share a tick's timestamp.
  const acc = new Map<string, Map<string, Map<number, number>>>();
  const add = (node: string, comp: string, t: number, v: number) => {
    let byComp = acc.get(node);
    if (!byComp) acc.set(node, (byComp = new Map()));
    let byT = byComp.get(comp);
    if (!byT) byComp.set(comp, (byT = new Map()));
    byT.set(t, (byT.get(t) ?? 0) + v);
  };
  for (const r of sorted) {
    if (r.type !== 'cpu' || !Number.isFinite(r.cores) || chosen.get(r.node) !== r.source) continue;
    const t = ts(r);
    const comp = componentOf(r, lives);
    add(r.node, comp, t, r.cores);
    add('all', comp, t, r.cores);
  }
  const order = (c: string) => {
    const i = (NODE_SCOPES as readonly string[]).indexOf(c);
    return i >= 0 ? `0${i}` : `1${c}`;
  };
  const series: CpuSeries = {};
  const perNode: CpuMetrics['perNode'] = {};
  const cluster: CpuMetrics['cluster'] = {};
  const components = new Set<string>();
  for (const [node, byComp] of [...acc].sort(([a], [b]) => a.localeCompare(b))) {
    series[node] = {};
    const stats: Record<string, CpuStat> = {};
    for (const [comp, byT] of [...byComp].sort(([a], [b]) => order(a).localeCompare(order(b)))) {
      components.add(comp);
      const pts = [...byT].sort((a, b) => a[0] - b[0]);
      series[node]![comp] = pts;
      stats[comp] = stat(pts, timeline, coverage, node === 'all' ? undefined : node);
    }
    if (node === 'all') Object.assign(cluster, stats);
    else perNode[node] = stats;
  }
  return {
    metrics: { limitCores, components: [...components].sort((a, b) => order(a).localeCompare(order(b))), perNode, cluster },
    series,
    coverage,
  };
}

function stat(pts: [number, number][], timeline: Timeline, coverage: Coverage, node: string | undefined): CpuStat {
  const from = timeline.phases[0]?.from ?? timeline.start;
  const to = timeline.end;
  let peak = -Infinity;
  let peakAt: number | undefined;
  for (const [t, v] of pts) {
    if (t >= from && t <= to && v > peak) {
      peak = v;
      peakAt = t;
    }
  }
  const blind = coverage.overlapping(['cpu'], from, to, node);
  const peakM: Maybe<number> =
    peakAt === undefined
      ? unknown('no CPU samples in the run')
      : blind.length
        ? unknown(`CPU sampler blind: ${Coverage.describe(blind, timeline.t0)}`, peak, 'lower')
        : peak;
  const meanByPhase: Record<string, Maybe<number>> = {};
  for (const p of spanPhases(timeline)) {
    const vs = pts.filter(([t]) => t >= p.from && t < p.to).map(([, v]) => v);
    const b = coverage.overlapping(['cpu'], p.from, p.to, node);
    meanByPhase[p.label] =
      vs.length === 0
        ? unknown(`no CPU samples in ${p.label}`)
        : b.length
          ? unknown(`CPU sampler blind in ${p.label}: ${Coverage.describe(b, timeline.t0)}`, mean(vs))
          : mean(vs);
  }
  return { peak: peakM, ...(peakAt !== undefined ? { peakAt } : {}), meanByPhase, samples: pts.length };
}
