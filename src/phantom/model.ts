// A power law, cost = a * members^b, fitted per version by least squares on log-log axes, with the
// residuals of every point and a 95 % prediction interval for a pool the lab cannot hold (41,000
// members). Pure: the sweep's results in, numbers out.

export interface Point {
  x: number;
  y: number;
}

export interface PowerFit {
  n: number;
  /** ln(cost) = lnA + b * ln(members) */
  lnA: number;
  b: number;
  r2: number | null;
  /** Residual standard deviation in ln units (n - 2 degrees of freedom); null with fewer than 3 points. */
  s: number | null;
  /** Per point: observed / fitted, as a ratio (1 = on the line). */
  residuals: Array<{ x: number; y: number; fitted: number; ratio: number }>;
  meanLnX: number;
  sxx: number;
}

export interface Prediction {
  x: number;
  mid: number;
  /** 95 % prediction interval; null when the fit has too few points to have one. */
  lo: number | null;
  hi: number | null;
}

// Two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom.
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function t975(df: number): number {
  if (df < 1) return Number.NaN;
  return df <= 30 ? T975[df - 1]! : 1.96;
}

/** Fits y = a * x^b; points with x or y not above 0 cannot be on log axes and are left out. */
export function fitPower(points: Point[]): PowerFit | null {
  const usable = points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.x) && Number.isFinite(p.y));
  const n = usable.length;
  if (n < 2) return null;
  const lx = usable.map((p) => Math.log(p.x));
  const ly = usable.map((p) => Math.log(p.y));
  const mx = lx.reduce((a, b) => a + b, 0) / n;
  const my = ly.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (lx[i]! - mx) ** 2;
    sxy += (lx[i]! - mx) * (ly[i]! - my);
    syy += (ly[i]! - my) ** 2;
  }
  if (sxx === 0) return null; // every point at one size: no slope to fit
  const b = sxy / sxx;
  const lnA = my - b * mx;
  let sse = 0;
  const residuals = usable.map((p, i) => {
    const fl = lnA + b * lx[i]!;
    sse += (ly[i]! - fl) ** 2;
    return { x: p.x, y: p.y, fitted: Math.exp(fl), ratio: Math.exp(ly[i]! - fl) };
  });
  return {
    n,
    lnA,
    b,
    r2: syy > 0 ? 1 - sse / syy : null,
    s: n > 2 ? Math.sqrt(sse / (n - 2)) : null,
    residuals,
    meanLnX: mx,
    sxx,
  };
}

/** The fitted cost at x, with the 95 % prediction interval of one new observation there. */
export function predict(f: PowerFit, x: number): Prediction {
  const lx = Math.log(x);
  const mid = f.lnA + f.b * lx;
  if (f.s === null) return { x, mid: Math.exp(mid), lo: null, hi: null };
  const half = t975(f.n - 2) * f.s * Math.sqrt(1 + 1 / f.n + (lx - f.meanLnX) ** 2 / f.sxx);
  return { x, mid: Math.exp(mid), lo: Math.exp(mid - half), hi: Math.exp(mid + half) };
}

export const INCIDENT_MEMBERS = 41_000;

export interface SeriesModel {
  metric: string;
  group: string;
  fit: PowerFit | null;
  at41k: Prediction | null;
}

export interface ModelInput {
  group: string;
  members: number;
  values: Record<string, number | null>;
}

/** One fit per (group, metric): group is "version encryption", metric one of the cell's figures. */
export function modelSweep(rows: ModelInput[], metrics: string[], target = INCIDENT_MEMBERS): SeriesModel[] {
  const out: SeriesModel[] = [];
  const groups = [...new Set(rows.map((r) => r.group))].sort();
  for (const group of groups) {
    for (const metric of metrics) {
      const pts = rows
        .filter((r) => r.group === group)
        .map((r) => ({ x: r.members, y: r.values[metric] ?? Number.NaN }))
        .filter((p) => Number.isFinite(p.y));
      const fit = fitPower(pts);
      out.push({ metric, group, fit, at41k: fit ? predict(fit, target) : null });
    }
  }
  return out;
}
