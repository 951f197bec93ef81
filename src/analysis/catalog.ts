// The headline metrics of a run, named once: the comparison table, the answers page and the terminal
// all read runs through these, so "runtime CPU peak" means the same thing everywhere.
import type { RunSummary } from './analyze.ts';
import { HOST_NOT_RECORDED, hostFloodPhase, type HostPhase } from './host.ts';
import { PRESSURE_CONDITIONS } from './nodes.ts';
import { workerShare } from './split.ts';
import { floodPhase } from './timeline.ts';
import type { Unit } from './text.ts';
import { isUnknown, type Maybe, sumMaybe, unknown } from './unknown.ts';
import { ERROR_MINUTE_THRESHOLD, isNoTraffic, NO_TRAFFIC, type UsersMetrics } from './users.ts';

export type MetricUnit = Unit;

export interface MetricDef {
  key: string;
  label: string;
  unit: MetricUnit;
  /** Which direction is better for the platform; null when neither is. */
  better: 'lower' | 'higher' | null;
  /** What null means for this metric ("never", "not recovered"). */
  nullText?: string;
  get(s: RunSummary): Maybe<number | null>;
}

/** The highest per-node peak of a CPU component and where; unknown (with what was seen) if any node was blind. */
export function peakOverNodes(s: RunSummary, comp: string): { value: Maybe<number>; node?: string } {
  let best = -Infinity;
  let node: string | undefined;
  const blind: string[] = [];
  for (const [n, comps] of Object.entries(s.cpu.perNode)) {
    const p = comps[comp]?.peak;
    if (p === undefined) continue;
    const v = typeof p === 'number' ? p : p.observed;
    if (typeof p !== 'number') blind.push(`${n}: ${p.reason}`);
    if (v !== undefined && v > best) {
      best = v;
      node = n;
    }
  }
  if (node === undefined) return { value: unknown(`no ${comp} CPU samples`) };
  return { value: blind.length ? unknown(blind.join('; '), best, 'lower') : best, ...(node ? { node } : {}) };
}

/**
 * The label of the phase holding the flood: 'flood' when the scenario has one, else the first lasting
 * phase after the restore (short scenarios go straight from restore to observe).
 */
export function floodPhaseLabel(s: Pick<RunSummary, 'phases' | 'floodAt'>): string | undefined {
  return floodPhase(s.phases, s.floodAt);
}

function phaseLatency(s: RunSummary, svc: 'consulLatency' | 'vaultLatency', phase: string, field: 'p99' | 'p50' | 'errorRate'): Maybe<number> {
  // "flood" means the phase the flood happens in, whatever the scenario calls it.
  const label = phase === 'flood' ? floodPhaseLabel(s) ?? phase : phase;
  const st = s[svc].byPhase[label];
  return st ? st[field] : unknown(`no ${phase} phase in this run`);
}

function ratio(a: Maybe<number>, b: number, what: string): Maybe<number> {
  if (b <= 0) return unknown(`no ${what}`);
  if (typeof a === 'number') return a / b;
  return a.observed !== undefined ? unknown(a.reason, a.observed / b, a.bound) : a;
}

function gossipPeak(s: RunSummary): Maybe<number> {
  const names = Object.keys(s.gossip.counters);
  const name = names.find((n) => /udp\.sent|sent/.test(n)) ?? names[0];
  return name ? s.gossip.counters[name]!.peakPerSec : unknown('no gossip telemetry in the history');
}

/** Node-seconds under pressure summed over the conditions (a node under two pressures counts twice). */
export const pressureNodeSeconds = (s: RunSummary): Maybe<number> => sumMaybe(PRESSURE_CONDITIONS.map((c) => s.nodes.pressureNodeSeconds[c]));

const failedAtEnd = (s: RunSummary): Maybe<number> => (isUnknown(s.pool.atEnd) ? s.pool.atEnd : s.pool.atEnd.failed);

// ---- question 4: one cluster or two, figures that mean the same on both sides -------------------------
// A one-cluster summary has no split section: its one cluster is the whole run.

/** Worst over a split run's clusters (or the whole run, for one cluster); unknowns keep what was seen as a bound. */
function worstCluster(s: RunSummary, ofCluster: (c: NonNullable<RunSummary['split']>['clusters'][number]) => Maybe<number>, whole: Maybe<number>): Maybe<number> {
  if (!s.split) return whole;
  const vs = s.split.clusters.map(ofCluster);
  const seen = vs.map((v) => (isUnknown(v) ? v.observed : v)).filter((v): v is number => v !== undefined);
  const unknowns = vs.filter(isUnknown);
  if (!unknowns.length) return Math.max(...(vs as number[]));
  const reason = [...new Set(unknowns.map((u) => u.reason))].join('; ');
  // The worst is at least the worst seen; it is bounded only if every unknown is a lower bound.
  return unknowns.every((u) => u.bound === 'lower' && u.observed !== undefined) && seen.length ? unknown(reason, Math.max(...seen), 'lower') : unknown(reason);
}

const workersNotReadyShare = (s: RunSummary) => workerShare(s.nodes.nodes, s.nodes.notReadyIntervals, s.nodes.maxSimultaneousNotReady, 'node watch');
const workersPressureShare = (s: RunSummary) => workerShare(s.nodes.nodes, s.nodes.pressureIntervals, s.nodes.maxSimultaneousPressure, 'node watch');

/** Share of the clusters the failure reached: 1 or 0 for one cluster, 0, ½ or 1 for two. */
export function clustersReachedShare(s: RunSummary): Maybe<number> {
  if (s.split) return mapShare(s.split.reached, s.split.clusters.length);
  // One cluster: reached when a node went NotReady or under pressure, or a pod was evicted or moved, after the cut.
  const cut = s.cutAt ?? s.phases[0]?.from ?? s.history.start;
  // (A one-cluster summary lists no evicted pods one by one: an eviction shows through its replacement.)
  const seen =
    s.nodes.notReadyIntervals.some((iv) => iv.from >= cut) ||
    s.nodes.pressureIntervals.some((iv) => iv.from >= cut) ||
    s.lineage.links.some((l) => l.createdAt >= cut || (l.replaced.how === 'evicted' && (l.replaced.endedAt ?? -Infinity) >= cut));
  if (seen) return 1;
  const blind = [s.nodes.maxSimultaneousNotReady, s.pods.rescheduled].find(isUnknown);
  return blind ? unknown(blind.reason) : 0;
}

function mapShare(v: Maybe<number>, of: number): Maybe<number> {
  if (typeof v === 'number') return v / of;
  return v.observed !== undefined ? unknown(v.reason, v.observed / of, v.bound) : v;
}

const largestPoolPeak = (s: RunSummary) => worstCluster(s, (c) => c.pool.peakTotal, s.pool.peakTotal);
const poolPeakFailedAll = (s: RunSummary): Maybe<number> => (s.split ? sumMaybe(s.split.clusters.map((c) => c.pool.peakFailed)) : s.pool.peakFailed);

// ---- what users felt (runs with traffic through the LB; every other run: not measured, never 0) -------
const users = (s: RunSummary, f: (u: UsersMetrics) => Maybe<number | null>): Maybe<number | null> => (s.users ? f(s.users) : unknown(NO_TRAFFIC));
const lbOf = (u: UsersMetrics): Maybe<number> => u.lb?.longestStaleMs ?? unknown('no LB looks in the history');

/**
 * How a table cell says a figure the run never set out to measure: "not measured" (no users' traffic, or a
 * host sampler that could not run), "not recorded" (a run from before the host sampler); null for every
 * other value, unknowns from a blind recorder included.
 */
export function notMeasuredText(v: Maybe<number | null>): 'not measured' | 'not recorded' | null {
  if (v === null || !isUnknown(v)) return null;
  if (isNoTraffic(v) || v.reason.startsWith('not measured:')) return 'not measured';
  return v.reason === HOST_NOT_RECORDED ? 'not recorded' : null;
}

/** The figures of what users felt, in the order every answer lists them. */
export const USER_METRICS = ['userErrorMinutes', 'userWorstMinuteShare', 'userRecoveryMs', 'lbLongestStaleMs'] as const;
// ---- question 5: the runtime's health as the kubelet and the control plane saw it (runtime-health.ts) ----
// A run recorded before these streams existed has no runtimeHealth section: unknown, never zero.
const notRecorded = (what: string) => unknown(`${what} not recorded in this run`);
const runtimeProbeP99Flood = (s: RunSummary): Maybe<number> => s.runtimeHealth?.flood.probeP99Ms ?? notRecorded('runtime probe');
const plegRelistP99Flood = (s: RunSummary): Maybe<number> => s.runtimeHealth?.flood.plegRelistP99Ms ?? notRecorded('PLEG metrics');
const plegLongestIntervalFlood = (s: RunSummary): Maybe<number> => s.runtimeHealth?.flood.plegLongestIntervalMs ?? notRecorded('PLEG metrics');
const leaseGapMax = (s: RunSummary): Maybe<number> => s.runtimeHealth?.leaseGapMaxMs ?? notRecorded('Lease renewals');

// ---- what else ran on the machine in the flood (host.ts): context for the figures, not an outcome -------
const hostFlood = (s: RunSummary, pick: (p: HostPhase) => Maybe<number>): Maybe<number> => {
  const flood = hostFloodPhase(s.host);
  return isUnknown(flood) ? flood : pick(flood.figures);
};

/** The host figures, in the order the comparison lists them. */
export const HOST_METRICS = ['hostLoadFloodMax', 'hostOtherCoresFloodP50', 'hostOtherCoresFloodMax'] as const;

export const METRICS: readonly MetricDef[] = [
  { key: 'firstNotReadyMs', label: 'flood start to first NotReady', unit: 'ms', better: 'higher', nullText: 'never', get: (s) => s.nodes.timeToFirstNotReadyMs },
  { key: 'notReadyNodeSeconds', label: 'NotReady node-time', unit: 'seconds', better: 'lower', get: (s) => s.nodes.notReadyNodeSeconds },
  { key: 'maxNotReady', label: 'most nodes NotReady at once', unit: 'count', better: 'lower', get: (s) => s.nodes.maxSimultaneousNotReady },
  { key: 'notReadyFraction', label: 'share of nodes NotReady at once', unit: 'ratio', better: 'lower', get: (s) => ratio(s.nodes.maxSimultaneousNotReady, s.nodes.nodes.length, 'nodes') },
  { key: 'firstPressureMs', label: 'flood start to first node pressure', unit: 'ms', better: 'higher', nullText: 'never', get: (s) => s.nodes.timeToFirstPressureMs },
  { key: 'pressureNodeSeconds', label: 'pressure node-time (Memory+Disk+PID)', unit: 'seconds', better: 'lower', get: pressureNodeSeconds },
  { key: 'memoryPressureNodeSeconds', label: 'MemoryPressure node-time', unit: 'seconds', better: 'lower', get: (s) => s.nodes.pressureNodeSeconds.MemoryPressure },
  { key: 'diskPressureNodeSeconds', label: 'DiskPressure node-time', unit: 'seconds', better: 'lower', get: (s) => s.nodes.pressureNodeSeconds.DiskPressure },
  { key: 'pidPressureNodeSeconds', label: 'PIDPressure node-time', unit: 'seconds', better: 'lower', get: (s) => s.nodes.pressureNodeSeconds.PIDPressure },
  { key: 'maxPressure', label: 'most nodes under pressure at once', unit: 'count', better: 'lower', get: (s) => s.nodes.maxSimultaneousPressure },
  { key: 'podsEvicted', label: 'pods evicted', unit: 'count', better: 'lower', get: (s) => s.pods.podsEvicted },
  { key: 'podsRescheduled', label: 'pods rescheduled', unit: 'count', better: 'lower', get: (s) => s.pods.rescheduled },
  { key: 'rescheduledFraction', label: 'pods rescheduled per app pod', unit: 'ratio', better: 'lower', get: (s) => ratio(s.pods.rescheduled, s.scenario?.replicas ?? 0, 'replica count') },
  { key: 'lineageDepth', label: 'deepest rescheduling chain', unit: 'count', better: 'lower', get: (s) => s.lineage.maxDepth },
  { key: 'nodeCpuPeak', label: 'node CPU peak (one node)', unit: 'cores', better: 'lower', get: (s) => peakOverNodes(s, 'node').value },
  { key: 'runtimeCpuPeak', label: 'runtime CPU peak (one node)', unit: 'cores', better: 'lower', get: (s) => peakOverNodes(s, 'runtime').value },
  { key: 'kubeletCpuPeak', label: 'kubelet CPU peak (one node)', unit: 'cores', better: 'lower', get: (s) => peakOverNodes(s, 'kubelet').value },
  { key: 'shimsCpuPeak', label: 'shims CPU peak (one node)', unit: 'cores', better: 'lower', get: (s) => peakOverNodes(s, 'shims').value },
  { key: 'poolPeak', label: 'Consul pool peak size', unit: 'count', better: 'lower', get: (s) => s.pool.peakTotal },
  { key: 'poolPeakFailed', label: 'failed members peak', unit: 'count', better: 'lower', get: (s) => s.pool.peakFailed },
  { key: 'failedAtEnd', label: 'failed members at the end', unit: 'count', better: 'lower', get: failedAtEnd },
  { key: 'failedSettleMs', label: 'failed count back to baseline for good after the restore', unit: 'ms', better: 'lower', get: (s) => s.pool.failedSettleMs },
  { key: 'gossipPeak', label: 'gossip traffic peak (per s)', unit: 'rate', better: 'lower', get: gossipPeak },
  { key: 'consulP99Flood', label: 'Consul p99 in flood', unit: 'ms', better: 'lower', get: (s) => phaseLatency(s, 'consulLatency', 'flood', 'p99') },
  { key: 'consulP99Observe', label: 'Consul p99 in observe', unit: 'ms', better: 'lower', get: (s) => phaseLatency(s, 'consulLatency', 'observe', 'p99') },
  { key: 'consulErrorsFlood', label: 'Consul errors in flood', unit: 'ratio', better: 'lower', get: (s) => phaseLatency(s, 'consulLatency', 'flood', 'errorRate') },
  { key: 'vaultP99Flood', label: 'Vault p99 in flood', unit: 'ms', better: 'lower', get: (s) => phaseLatency(s, 'vaultLatency', 'flood', 'p99') },
  { key: 'vaultP99Observe', label: 'Vault p99 in observe', unit: 'ms', better: 'lower', get: (s) => phaseLatency(s, 'vaultLatency', 'observe', 'p99') },
  { key: 'vaultSealedMs', label: 'Vault sealed for', unit: 'ms', better: 'lower', get: (s) => s.vaultSeal.sealedMs },
  { key: 'peakBuffered', label: 'lines buffered at peak', unit: 'count', better: null, get: (s) => s.delivery.peakBuffered },
  { key: 'peakDeliveredRate', label: 'peak delivery rate', unit: 'rate', better: null, get: (s) => s.delivery.peakDeliveredRate },
  { key: 'deliveredRatio', label: 'log lines delivered', unit: 'ratio', better: 'higher', get: (s) => s.delivery.deliveredRatio },
  { key: 'duplicates', label: 'duplicate lines received (not counted as delivered)', unit: 'count', better: null, get: (s) => s.delivery.duplicates },
  { key: 'dropped', label: 'lines dropped by shippers', unit: 'count', better: 'lower', get: (s) => s.delivery.dropped },
  { key: 'lostWithPods', label: 'lines lost with deleted pods', unit: 'count', better: 'lower', get: (s) => s.delivery.lostWithPods },
  { key: 'timeToRecoverMs', label: 'time to recover', unit: 'ms', better: 'lower', nullText: 'not recovered', get: (s) => s.recovery.timeToRecoverMs },
  { key: 'workersNotReadyShare', label: 'share of all workers NotReady at once', unit: 'ratio', better: 'lower', get: workersNotReadyShare },
  { key: 'worstClusterNotReadyShare', label: 'share of one cluster\u2019s workers NotReady at once (worst cluster)', unit: 'ratio', better: 'lower', get: (s) => worstCluster(s, (c) => c.notReadyShare, workersNotReadyShare(s)) },
  { key: 'workersPressureShare', label: 'share of all workers under pressure at once', unit: 'ratio', better: 'lower', get: workersPressureShare },
  { key: 'worstClusterPressureShare', label: 'share of one cluster\u2019s workers under pressure at once (worst cluster)', unit: 'ratio', better: 'lower', get: (s) => worstCluster(s, (c) => c.pressureShare, workersPressureShare(s)) },
  { key: 'clustersReachedShare', label: 'share of clusters the failure reached', unit: 'ratio', better: 'lower', get: clustersReachedShare },
  { key: 'largestPoolPeak', label: 'largest Consul pool at its peak (one pool)', unit: 'count', better: 'lower', get: largestPoolPeak },
  { key: 'poolPeakFailedAll', label: 'failed members at the peak, summed over pools', unit: 'count', better: 'lower', get: poolPeakFailedAll },
  { key: 'worstConsulP99Flood', label: 'Consul p99 in flood (worst cluster)', unit: 'ms', better: 'lower', get: (s) => worstCluster(s, (c) => c.consulP99Flood, phaseLatency(s, 'consulLatency', 'flood', 'p99')) },
  { key: 'worstVaultP99Flood', label: 'Vault p99 in flood (worst cluster)', unit: 'ms', better: 'lower', get: (s) => worstCluster(s, (c) => c.vaultP99Flood, phaseLatency(s, 'vaultLatency', 'flood', 'p99')) },
  { key: 'userRequests', label: 'users\u2019 requests through the LB over the phases (n)', unit: 'count', better: null, get: (s) => users(s, (u) => u.total.sent) },
  { key: 'userErrorMinutes', label: `user-facing error minutes (more than ${Math.round(ERROR_MINUTE_THRESHOLD * 100)} % of requests failed)`, unit: 'count', better: 'lower', get: (s) => users(s, (u) => u.errorMinutes) },
  { key: 'userWorstMinuteShare', label: 'worst minute: share of users\u2019 requests failed', unit: 'ratio', better: 'lower', get: (s) => users(s, (u) => u.worstMinute?.errorShare ?? unknown('no request recorded in the window')) },
  { key: 'userRecoveryMs', label: 'users\u2019 traffic back to baseline after the restore', unit: 'ms', better: 'lower', nullText: 'not recovered', get: (s) => users(s, (u) => u.recovery.timeToRecoverMs) },
  { key: 'lbLongestStaleMs', label: 'longest time the LB config was stale', unit: 'ms', better: 'lower', get: (s) => users(s, lbOf) },
  { key: 'runtimeProbeP99Flood', label: 'runtime probe p99 in flood (worst node)', unit: 'ms', better: 'lower', get: runtimeProbeP99Flood },
  { key: 'plegRelistP99Flood', label: 'PLEG relist p99 in flood (worst node)', unit: 'ms', better: 'lower', get: plegRelistP99Flood },
  { key: 'plegLongestIntervalFlood', label: 'longest time without a PLEG relist in flood (worst node; NotReady at 3m)', unit: 'ms', better: 'lower', get: plegLongestIntervalFlood },
  { key: 'leaseGapMax', label: 'longest node Lease renewal gap (worst node)', unit: 'ms', better: 'lower', get: leaseGapMax },
  { key: 'hostLoadFloodMax', label: 'host load average (1 min) in flood, max', unit: 'plain', better: null, get: (s) => hostFlood(s, (p) => p.load1.max) },
  { key: 'hostOtherCoresFloodP50', label: 'other processes on the host in flood, p50 (outside the containers and the lab)', unit: 'cores', better: null, get: (s) => hostFlood(s, (p) => p.otherCores.p50) },
  { key: 'hostOtherCoresFloodMax', label: 'other processes on the host in flood, max (outside the containers and the lab)', unit: 'cores', better: null, get: (s) => hostFlood(s, (p) => p.otherCores.max) },
  { key: 'poolSizeBackMs', label: 'pool size back to baseline after', unit: 'ms', better: 'lower', nullText: 'never', get: (s) => s.recovery.criteria.poolSize?.recoveredAfterMs ?? unknown('not evaluated') },
];

export const metricByKey = (key: string): MetricDef => {
  const m = METRICS.find((x) => x.key === key);
  if (!m) throw new Error(`no metric ${key}`);
  return m;
};
