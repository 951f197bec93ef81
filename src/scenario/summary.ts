// One-line descriptions of a resolved scenario for the terminal and the report header.
import { formatDuration } from '../util/duration.ts';
import type { ResolvedPhase, ResolvedScenario } from './types.ts';

/** "target-2019 · variant sidecar · shipper naive/file · fault cut · 1 cluster × 4 workers · 30 pods" */
export function describeScenario(s: ResolvedScenario): string {
  const parts = [
    s.name,
    `variant ${s.variant}`,
    `shipper ${s.shipper.mode}/${s.shipper.source}`,
    `fault ${s.fault.mode}${s.fault.via === 'agent' ? ` via agent (dead-man ${s.fault.agentDeadlineMs / 1000} s)` : ''}`,
    s.clusters === 1 ? `1 cluster × ${s.cluster.workers} workers` : `${s.clusters} clusters × ${s.perCluster.workers} workers`,
    `${s.workload.replicas} pods`,
  ];
  if (s.remedy) parts.push(`remedy ${s.remedy.kind}`);
  if (s.variants.length) parts.push(`+${s.variants.join('+')}`);
  return parts.join(' · ');
}

/** "baseline 1m30s ▸ CUT ▸ hold 3m00s ▸ RESTORE ▸ flood 2m00s ▸ observe 6m00s" */
export function phaseLine(s: ResolvedScenario): string {
  return s.phases
    .map((p) => (p.durationMs === 0 ? p.name.toUpperCase() : `${p.name} ${formatDuration(p.durationMs)}`))
    .join(' ▸ ');
}

/** The phase running `elapsedMs` after the start, or undefined past the end. */
export function phaseAt(s: ResolvedScenario, elapsedMs: number): ResolvedPhase | undefined {
  if (elapsedMs < 0) return undefined;
  return s.phases.find((p) => elapsedMs >= p.startMs && elapsedMs < p.startMs + p.durationMs);
}
