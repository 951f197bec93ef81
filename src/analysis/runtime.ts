// Question 5's raw material: what each node's shared parts (container runtime, kubelet, shims) were
// doing just before the node went NotReady, against what they did at baseline and on nodes that held.
import { Coverage } from './coverage.ts';
import { NODE_SCOPES, type CpuSeries } from './cpu.ts';
import type { NotReadyInterval } from './nodes.ts';
import { mean } from './stats.ts';
import { baselineWindow, type Timeline } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';

/** How far before a NotReady onset the load is averaged: about the node-monitor grace period's order. */
export const LEAD_MS = 30_000;

export interface OnsetLoad {
  node: string;
  at: number;
  /** Mean cores per node scope in the LEAD_MS before the onset. */
  before: Record<string, Maybe<number>>;
  baseline: Record<string, Maybe<number>>;
}

export interface NodeFloodLoad {
  node: string;
  wentNotReady: boolean;
  /** Peak cores per node scope from the flood start to the end of the history. */
  peak: Record<string, Maybe<number>>;
}

export interface RuntimeMetrics {
  leadMs: number;
  onsets: OnsetLoad[];
  nodes: NodeFloodLoad[];
}

export function runtimeAnalysis(series: CpuSeries, intervals: readonly NotReadyInterval[], timeline: Timeline, coverage: Coverage): RuntimeMetrics {
  const base = baselineWindow(timeline);
  const meanIn = (node: string, scope: string, from: number, to: number): Maybe<number> => {
    const pts = (series[node]?.[scope] ?? []).filter(([t]) => t >= from && t < to).map(([, v]) => v);
    const blind = coverage.overlapping(['cpu'], from, to, node);
    if (pts.length === 0) return unknown(`no ${scope} CPU samples for ${node}`);
    return blind.length ? unknown(`CPU sampler blind: ${Coverage.describe(blind, timeline.t0)}`, mean(pts)) : mean(pts);
  };
  const onsets: OnsetLoad[] = intervals
    .filter((iv) => timeline.floodAt === undefined || iv.from >= timeline.floodAt)
    .map((iv) => ({
      node: iv.node,
      at: iv.from,
      before: Object.fromEntries(NODE_SCOPES.map((s) => [s, meanIn(iv.node, s, iv.from - LEAD_MS, iv.from)])),
      baseline: Object.fromEntries(NODE_SCOPES.map((s) => [s, base ? meanIn(iv.node, s, base.from, base.to) : unknown('no baseline phase')])),
    }));
  const nodes: NodeFloodLoad[] = Object.keys(series)
    .filter((n) => n !== 'all')
    .sort()
    .map((node) => {
      const from = timeline.floodAt ?? timeline.start;
      const peak: Record<string, Maybe<number>> = {};
      for (const s of NODE_SCOPES) {
        const pts = (series[node]?.[s] ?? []).filter(([t]) => t >= from).map(([, v]) => v);
        const blind = coverage.overlapping(['cpu'], from, timeline.end, node);
        const m = pts.length ? Math.max(...pts) : NaN;
        peak[s] = !pts.length ? unknown(`no ${s} CPU samples after the flood`) : blind.length ? unknown(`CPU sampler blind: ${Coverage.describe(blind, timeline.t0)}`, m, 'lower') : m;
      }
      return { node, wentNotReady: intervals.some((iv) => iv.node === node && (timeline.floodAt === undefined || iv.to > timeline.floodAt)), peak };
    });
  return { leadMs: LEAD_MS, onsets, nodes };
}
