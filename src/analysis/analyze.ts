// One run's history in, every metric (the summary) and every time series (for the charts) out. Pure:
// no clock, no files; `lab report` and the tests call it the same way.
import type { HistoryRecord, MetaRecord } from '../history/records.ts';
import type { ReadWarning } from '../history/reader.ts';
import type { ResolvedScenario } from '../scenario/types.ts';
import { buildCoverage, type BlindSpot, type CoverageOptions } from './coverage.ts';
import { cpuAnalysis, type CpuMetrics, type CpuSeries } from './cpu.ts';
import { gossipAnalysis, poolAnalysis, type GossipMetrics, type GossipSeries, type PoolMetrics, type PoolSeries } from './consul.ts';
import { deliveryAnalysis, type DeliveryMetrics, type DeliverySeries } from './delivery.ts';
import { latencyAnalysis, vaultSeal, type LatencyMetrics, type LatencySeries, type VaultSealMetrics } from './latency.ts';
import { buildLineage, type LineageMetrics, type LineageTreeNode } from './lineage.ts';
import { nodeMetrics, type NodeMetrics, type NodeSegment } from './nodes.ts';
import { podLives, podMetrics, podsPerNode, type PodMetrics } from './pods.ts';
import { recoveryAnalysis, type RecoveryMetrics, type RecoveryOptions } from './recovery.ts';
import { runtimeAnalysis, type RuntimeMetrics } from './runtime.ts';
import { buildTimeline, sortHistory, ts, type PhaseWindow } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';

export const SUMMARY_SCHEMA = 'outage-lab/summary@1';

export interface AnalyzeInput {
  /** The history's records (sorted or not). */
  records: readonly HistoryRecord[];
  /** The reader's warnings: a torn last line means the history was cut short. */
  warnings?: readonly ReadWarning[];
  scenario?: ResolvedScenario | null;
  versions?: Record<string, string>;
  runId?: string;
  recovery?: RecoveryOptions;
  coverage?: CoverageOptions;
}

/** The scenario values comparisons group by, flattened from the resolved scenario. */
export interface ScenarioKey {
  name: string;
  variant: string;
  shipperMode: string;
  shipperSource: string;
  clusters: number;
  workers: number;
  replicas: number;
  nodeCpus: number | 'none';
  faultMode: string;
  leaveOnTerminate: boolean;
  reconnectTimeoutMs: number;
  advertiseReconnectTimeoutMs: number | null;
  gossipEncryption: string;
  remedy: string | null;
  variants: string[];
  hash: string;
}

export interface RunSummary {
  schema: typeof SUMMARY_SCHEMA;
  runId: string | null;
  scenario: ScenarioKey | null;
  versions: Record<string, string>;
  history: {
    records: number;
    start: number;
    end: number;
    durationMs: number;
    /** The file ended in a torn line: the run was cut short (crash, kill -9). */
    truncated: boolean;
    outOfOrder: number;
    warnings: string[];
  };
  t0: number;
  cutAt: number | null;
  floodAt: number | null;
  phases: PhaseWindow[];
  /** Every blind spot, recorded or inferred: listed first in the report. */
  gaps: BlindSpot[];
  nodes: NodeMetrics;
  pods: PodMetrics & { rescheduled: Maybe<number> };
  lineage: LineageMetrics;
  cpu: CpuMetrics;
  pool: PoolMetrics;
  gossip: GossipMetrics;
  consulLatency: LatencyMetrics;
  vaultLatency: LatencyMetrics;
  vaultSeal: VaultSealMetrics;
  delivery: DeliveryMetrics;
  runtime: RuntimeMetrics;
  recovery: RecoveryMetrics;
}

export interface FaultMark {
  at: number;
  f: string;
  kind: string;
  op?: string;
  error?: string;
}

export interface RunSeries {
  faults: FaultMark[];
  nodeSegments: NodeSegment[];
  notReadyCount: [number, number][];
  podsPerNode: Record<string, [number, number][]>;
  /** Cumulative replacement pods created. */
  replacements: [number, number][];
  cpu: CpuSeries;
  pool: PoolSeries;
  gossip: GossipSeries;
  consulLatency: LatencySeries;
  vaultLatency: LatencySeries;
  delivery: DeliverySeries;
  lineageTree: LineageTreeNode[];
}

export interface RunAnalysis {
  summary: RunSummary;
  series: RunSeries;
}

export function scenarioKey(s: ResolvedScenario): ScenarioKey {
  return {
    name: s.name,
    variant: s.variant,
    shipperMode: s.shipper.mode,
    shipperSource: s.shipper.source,
    clusters: s.clusters,
    workers: s.cluster.workers,
    replicas: s.workload.replicas,
    nodeCpus: s.cluster.nodeCpus,
    faultMode: s.fault.mode,
    leaveOnTerminate: s.consul.leaveOnTerminate,
    reconnectTimeoutMs: s.consul.reconnectTimeoutMs,
    advertiseReconnectTimeoutMs: s.consul.advertiseReconnectTimeoutMs,
    gossipEncryption: s.consul.gossipEncryption,
    remedy: s.remedy?.kind ?? null,
    variants: [...s.variants],
    hash: s.hash,
  };
}

export function analyzeRun(input: AnalyzeInput): RunAnalysis {
  const sorted = sortHistory(input.records);
  const timeline = buildTimeline(sorted);
  const coverage = buildCoverage(sorted, timeline.end, input.coverage);
  const meta = sorted.find((r): r is MetaRecord => r.type === 'meta');
  const scenario = input.scenario ?? null;

  const nodes = nodeMetrics(sorted, timeline, coverage);
  const lives = podLives(sorted);
  const pods = podMetrics(lives, timeline, coverage);
  const lineage = buildLineage(lives, nodes.metrics.notReadyIntervals, sorted);
  const podBlind = coverage.overlapping(['pod'], timeline.phases[0]?.from ?? timeline.start, timeline.end);
  const rescheduled: Maybe<number> =
    lives.size === 0
      ? unknown('no pod records in the history')
      : podBlind.length
        ? unknown('pod watch blind part of the run: replacements created then may be missing', lineage.metrics.replacements, 'lower')
        : lineage.metrics.replacements;
  const limit = scenario && typeof scenario.cluster.nodeCpus === 'number' ? scenario.cluster.nodeCpus : null;
  const cpu = cpuAnalysis(sorted, lives, timeline, coverage, limit);
  const pool = poolAnalysis(sorted, timeline, coverage);
  const gossip = gossipAnalysis(sorted, timeline, coverage);
  const consul = latencyAnalysis(sorted, 'consul-latency', timeline, coverage);
  const vault = latencyAnalysis(sorted, 'vault-latency', timeline, coverage);
  const delivery = deliveryAnalysis(sorted, lives, timeline, coverage);
  const recovery = recoveryAnalysis(sorted, timeline, coverage, nodes.segments, {
    ...(scenario ? { latencyTolerance: scenario.recovery.latencyTolerance, timeoutMs: scenario.recovery.timeoutMs } : {}),
    ...input.recovery,
  });
  const runtime = runtimeAnalysis(cpu.series, nodes.metrics.notReadyIntervals, timeline, coverage);

  const warnings = input.warnings ?? [];
  const faults: FaultMark[] = sorted
    .filter((r) => r.type === 'fault')
    .map((r) => (r.type === 'fault' ? { at: ts(r), f: r.f, kind: r.kind, ...(r.op ? { op: r.op } : {}), ...(r.error ? { error: r.error } : {}) } : (null as never)));
  let n = 0;
  const replacements: [number, number][] = lineage.metrics.links.map((l) => [l.createdAt, ++n]);

  const summary: RunSummary = {
    schema: SUMMARY_SCHEMA,
    runId: input.runId ?? meta?.runId ?? null,
    scenario: scenario ? scenarioKey(scenario) : null,
    versions: { ...(meta?.versions ?? {}), ...(input.versions ?? {}) },
    history: {
      records: sorted.length,
      start: timeline.start,
      end: timeline.end,
      durationMs: Number.isFinite(timeline.end - timeline.start) ? timeline.end - timeline.start : 0,
      truncated: warnings.some((w) => w.kind === 'truncated-last-line'),
      outOfOrder: warnings.filter((w) => w.kind === 'out-of-order').length,
      warnings: warnings.map((w) => w.message),
    },
    t0: timeline.t0,
    cutAt: timeline.cutAt ?? null,
    floodAt: timeline.floodAt ?? null,
    phases: timeline.phases,
    gaps: [...coverage.spots],
    nodes: nodes.metrics,
    pods: { ...pods, rescheduled },
    lineage: lineage.metrics,
    cpu: cpu.metrics,
    pool: pool.metrics,
    gossip: gossip.metrics,
    consulLatency: consul.metrics,
    vaultLatency: vault.metrics,
    vaultSeal: vaultSeal(sorted, timeline, coverage),
    delivery: delivery.metrics,
    runtime,
    recovery,
  };
  return {
    summary,
    series: {
      faults,
      nodeSegments: nodes.segments,
      notReadyCount: nodes.notReadyCount,
      podsPerNode: podsPerNode(lives, timeline),
      replacements,
      cpu: cpu.series,
      pool: pool.series,
      gossip: gossip.series,
      consulLatency: consul.series,
      vaultLatency: vault.series,
      delivery: delivery.series,
      lineageTree: lineage.tree,
    },
  };
}

const TIME_KEYS = new Set([
  'from', 'to', 'start', 'end', 'at', 't0', 'cutAt', 'floodAt', 'peakAt', 'peakFailedAt', 'createdAt', 'endedAt',
  'injectedAt', 'healedAt', 'disruptedAt', 'recoveredAt', 'firstSeen',
]);

/** summary.json text: instants as ISO-8601 UTC strings (people and other tools read it), the rest as is. */
export function summaryToJson(summary: RunSummary): string {
  return `${JSON.stringify(
    summary,
    (key, value) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) return value;
      if (TIME_KEYS.has(key)) return new Date(value).toISOString();
      // Float noise (0.30000000000000004) helps nobody reading or diffing summaries.
      return Number.isInteger(value) ? value : Number(value.toPrecision(6));
    },
    2,
  )}\n`;
}
