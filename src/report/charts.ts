// Chart specifications: what the server decides (data, phases, marks, axes) as plain JSON; the page's
// client script turns each into an ECharts option. x values are seconds relative to the run's origin
// (the cut), so runs line up in comparisons and the axis reads "T+3:00".
import type { PhaseWindow } from '../analysis/timeline.ts';
import type { FaultMark } from '../analysis/analyze.ts';

export type Point = [number, number];

export interface TimeSeriesSpec {
  name: string;
  data: Point[];
  type?: 'line' | 'scatter';
  step?: boolean;
  area?: boolean;
  stack?: string;
  yAxis?: number;
  color?: string;
  dashed?: boolean;
  symbolSize?: number;
  /** Epoch ms of x = 0 for this series, when it differs from the chart's (comparisons). */
  t0?: number;
}

export interface Band {
  from: number;
  to: number;
  label: string;
  color?: string;
}

export interface Mark {
  at: number;
  label: string;
  color?: string;
}

interface ChartBase {
  id: string;
  title: string;
  /** One line under the title: what to look for. */
  hint?: string;
  height?: number;
}

export interface TimeChartSpec extends ChartBase {
  kind: 'time';
  /** Epoch ms of x = 0; tooltips show absolute UTC and local times from it. */
  t0?: number;
  yAxes: { name: string; log?: boolean; min?: number; max?: number; unit?: string; /** Counts: no 0.5 ticks. */ integer?: boolean }[];
  series: TimeSeriesSpec[];
  bands?: Band[];
  marks?: Mark[];
  xMin?: number;
  xMax?: number;
}

export interface SwimlaneSpec extends ChartBase {
  kind: 'swimlane';
  t0?: number;
  lanes: string[];
  segments: { lane: number; from: number; to: number; state: string }[];
  colors: Record<string, string>;
  bands?: Band[];
  marks?: Mark[];
  xMin?: number;
  xMax?: number;
}

export interface BarChartSpec extends ChartBase {
  kind: 'bar';
  categories: string[];
  bars: { name: string; values: (number | null)[]; color?: string }[];
  yName?: string;
  horizontal?: boolean;
}

/** Repeats of each arm side by side: a bar at the median, one dot per run, a whisker from min to max. */
export interface SpreadChartSpec extends ChartBase {
  kind: 'spread';
  categories: string[];
  /** Per category, each run's value (null where the run has no number for it). */
  points: { run: string; value: number | null }[][];
  yName?: string;
}

export type ChartSpec = TimeChartSpec | SwimlaneSpec | BarChartSpec | SpreadChartSpec;

export const PHASE_COLORS: Record<string, string> = {
  baseline: 'rgba(120,160,120,0.10)',
  cut: 'rgba(200,60,60,0.25)',
  hold: 'rgba(230,150,40,0.12)',
  restore: 'rgba(60,120,200,0.25)',
  flood: 'rgba(220,70,50,0.14)',
  observe: 'rgba(90,110,200,0.09)',
  remedy: 'rgba(60,170,160,0.14)',
};

export const STATE_COLORS: Record<string, string> = {
  Ready: '#3aa76d',
  NotReady: '#d9483b',
  Unknown: '#f08c2e',
  blind: '#9aa3ad',
  absent: '#e7e9ec',
};

/** Pressure lanes: one colour per condition; a lane holding several at once gets PRESSURE_SEVERAL. */
export const PRESSURE_COLORS: Record<string, string> = {
  'no pressure': '#cfe8d8',
  MemoryPressure: '#8e5cd9',
  DiskPressure: '#b59b00',
  PIDPressure: '#1aa3b8',
  'pressure unknown': '#f0c489',
  blind: '#9aa3ad',
  absent: '#e7e9ec',
};
export const PRESSURE_SEVERAL = '#c2417f';

export const rel = (t: number, t0: number): number => Math.round((t - t0) / 10) / 100;

export function bandsOf(phases: readonly PhaseWindow[], t0: number): Band[] {
  return phases
    .filter((p) => p.to > p.from)
    .map((p) => ({ from: rel(p.from, t0), to: rel(p.to, t0), label: p.label, ...(PHASE_COLORS[p.name] ? { color: PHASE_COLORS[p.name] } : {}) }));
}

/** Fault journal events worth a vertical line: what was done (ok) or attempted and unresolved (info/fail). */
export function marksOf(faults: readonly FaultMark[], t0: number): Mark[] {
  return faults
    .filter((f) => f.kind !== 'invoke')
    .map((f) => ({
      at: rel(f.at, t0),
      label: `${f.f} ${f.op ?? ''}${f.kind === 'ok' ? '' : ` (${f.kind})`}`.trim(),
      color: f.kind === 'fail' ? '#b00020' : f.op === 'heal' ? '#2a6fdb' : '#c0392b',
    }));
}

export function relSeries(points: readonly [number, number][], t0: number, maxPoints = 4000): Point[] {
  const pts = points.map(([t, v]): Point => [rel(t, t0), v]);
  if (pts.length <= maxPoints) return pts;
  // Keep each bucket's extreme values: a peak must survive the thinning, it is what readers look for.
  const size = Math.ceil(pts.length / (maxPoints / 2));
  const out: Point[] = [];
  for (let i = 0; i < pts.length; i += size) {
    const bucket = pts.slice(i, i + size);
    let lo = bucket[0]!;
    let hi = bucket[0]!;
    for (const p of bucket) {
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
    }
    out.push(...(lo[0] <= hi[0] ? [lo, hi] : [hi, lo]).filter((p, j, a) => j === 0 || p !== a[0]));
  }
  return out;
}

/** A cumulative or step series drawn over the whole run: from zero at `from`, held flat to `to`. */
export function stepSpan(pts: readonly [number, number][], from: number | undefined, to: number | undefined): [number, number][] {
  const out = [...pts];
  if (from !== undefined && (out.length === 0 || out[0]![0] > from)) out.unshift([from, 0]);
  if (to !== undefined && out.length && out[out.length - 1]![0] < to) out.push([to, out[out.length - 1]![1]]);
  return out;
}
