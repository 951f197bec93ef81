// The LB generated from Consul against what Kubernetes runs: how long its config was stale. Each LB look
// (an `lb` record, one per sample period) is compared with the app pods Running at that moment (from the
// pod records): a server for a pod that is not running ("gone") or a running pod with no server
// ("missing") makes the look stale. A stale stretch runs from the first stale look to the next look that
// matches; its length is good to one sample period. A look that failed, or a blind pod watch, says
// nothing: the longest stretch is then given as a bound.
import type { HistoryRecord, LbRecord, PodRecord } from '../history/records.ts';
import { serverNode } from '../lb/read.ts';
import { Coverage } from './coverage.ts';
import { ts } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';

/**
 * The dev-env pods' namespace (src/workload/render.ts WORKLOAD_NS; a unit test holds the two together).
 * Its DaemonSet pods are the per-node agents, which register no app.
 */
export const APP_NAMESPACE = 'devenv';

export interface StaleStretch {
  from: number;
  /** The first look that matched again; when `open`, the last stale look of the window. */
  to: number;
  open: boolean;
  /** Most servers for pods not running, and most running pods without a server, in one look. */
  maxGone: number;
  maxMissing: number;
  /** New configs rendered during the stretch (the LB's rendered time moved on), the one that ended it included. */
  renders: number;
  /** Longest part of the stretch with no new render: the stale config not regenerated at all. */
  frozenMs: number;
  /** Failed looks (and silences of the looks) inside the stretch. */
  blindLooks: number;
}

export interface LbMetrics {
  looks: number;
  failedLooks: number;
  /** Longest run of consecutive failed looks, first failure to the next answered look. */
  longestFailedMs: number;
  stale: StaleStretch[];
  longestStaleMs: Maybe<number>;
  longestFrozenMs: Maybe<number>;
}

export interface LbSeries {
  /** [t, servers listed] of each answered look. */
  servers: [number, number][];
  gone: [number, number][];
  missing: [number, number][];
  /** Times of failed looks. */
  failed: number[];
}

interface Look {
  t: number;
  /** null: the look failed or could not be judged (pod watch blind). */
  stale: boolean | null;
  failed: boolean;
  /** Stands for a silence of the LB looks (no record at all), not a look that was made. */
  silence?: true;
  gone: number;
  missing: number;
  rendered?: number;
}

export function lbAnalysis(
  sorted: readonly HistoryRecord[],
  window: { from: number; to: number },
  coverage: Coverage,
  t0: number,
  appNamespace = APP_NAMESPACE,
): { metrics: LbMetrics; series: LbSeries } | null {
  if (!sorted.some((r) => r.type === 'lb')) return null;
  const pods = new Map<string, AppPod>();
  const looks: Look[] = [];
  const series: LbSeries = { servers: [], gone: [], missing: [], failed: [] };
  for (const r of sorted) {
    if (r.type === 'pod' && r.ns === appNamespace && r.ownerKind !== 'DaemonSet') foldPod(pods, r);
    if (r.type !== 'lb') continue;
    const t = ts(r);
    if (t < window.from || t >= window.to) continue;
    looks.push(look(r, t, pods, coverage, series));
  }
  const blindSpots = coverage.overlapping(['lb', 'pod'], window.from, window.to);
  // A silence of the LB looks (no record at all) is a failed look in its middle: something may have happened there.
  for (const s of blindSpots.filter((b) => b.affects.includes('lb'))) looks.push({ t: (s.from + s.to) / 2, stale: null, failed: true, silence: true, gone: 0, missing: 0 });
  looks.sort((a, b) => a.t - b.t);

  const failed = looks.filter((l) => l.failed && !l.silence);
  const stale = staleStretches(looks, (l) => l.stale);
  // The truth lies between reading every unjudged look as matching and reading it as stale.
  const low = longest(staleStretches(looks, (l) => l.stale ?? false));
  const high = longest(staleStretches(looks, (l) => l.stale ?? true));
  const max = stale.reduce<StaleStretch | undefined>((a, b) => (!a || b.to - b.from > a.to - a.from ? b : a), undefined);
  const answered = looks.filter((l) => !l.failed);
  const why = [failed.length ? `${failed.length} LB look(s) failed` : '', blindSpots.length ? Coverage.describe(blindSpots, t0) : ''].filter(Boolean).join('; ');
  let longestStaleMs: Maybe<number>;
  if (answered.length === 0) longestStaleMs = unknown('every LB look failed');
  else if (low !== high) longestStaleMs = unknown(`${why}: stale for at least ${Math.round(low / 1000)} s and at most ${Math.round(high / 1000)} s at once`, low, 'lower');
  else if (max?.open && max.to - max.from === low) longestStaleMs = unknown('still stale when the run ended', low, 'lower');
  else longestStaleMs = low;
  const rendersKnown = answered.some((l) => l.rendered !== undefined);
  const frozen = stale.reduce((a, s) => Math.max(a, s.frozenMs), 0);
  const longestFrozenMs: Maybe<number> = !rendersKnown
    ? unknown('the LB looks carry no render time')
    : typeof longestStaleMs === 'number'
      ? frozen
      : unknown(`${longestStaleMs.reason} (longest without a new render among the stretches seen: ${Math.round(frozen / 1000)} s)`, frozen);
  return {
    metrics: { looks: looks.filter((l) => !l.silence).length, failedLooks: failed.length, longestFailedMs: longestFailed(looks.filter((l) => !l.silence)), stale, longestStaleMs, longestFrozenMs },
    series,
  };
}

interface AppPod {
  name: string;
  running: boolean;
  phase?: string;
  /** Evicted, being deleted or deleted: a later record without those marks does not bring it back. */
  ended: boolean;
}

function foldPod(pods: Map<string, AppPod>, r: PodRecord): void {
  const prev = pods.get(r.uid);
  const phase = r.phase ?? prev?.phase;
  const ended = (prev?.ended ?? false) || r.event === 'deleted' || !!r.deletionTimestamp || r.evicted === true;
  pods.set(r.uid, { name: r.name, running: !ended && phase === 'Running', ended, ...(phase ? { phase } : {}) });
}

function look(r: LbRecord, t: number, pods: Map<string, AppPod>, coverage: Coverage, series: LbSeries): Look {
  if (r.error !== undefined || !r.servers) {
    series.failed.push(t);
    return { t, stale: null, failed: true, gone: 0, missing: 0 };
  }
  const listed = new Set(r.servers.map((s) => serverNode(s.name)));
  const running = new Set([...pods.values()].filter((p) => p.running).map((p) => p.name));
  const gone = [...listed].filter((n) => !running.has(n)).length;
  const missing = [...running].filter((n) => !listed.has(n)).length;
  series.servers.push([t, listed.size]);
  series.gone.push([t, gone]);
  series.missing.push([t, missing]);
  const rendered = r.rendered ? Date.parse(r.rendered) : NaN;
  // Kubernetes' side is unknown while the pod watch is blind.
  const podBlind = coverage.overlapping(['pod'], t - 1, t + 1).length > 0;
  return { t, stale: podBlind ? null : gone + missing > 0, failed: false, gone, missing, ...(Number.isFinite(rendered) ? { rendered } : {}) };
}

/** Stretches from a stale look to the next matching one; looks judged null neither start nor end one. */
function staleStretches(looks: readonly Look[], judge: (l: Look) => boolean | null): StaleStretch[] {
  const out: StaleStretch[] = [];
  let cur: (StaleStretch & { renderTimes: number[] }) | undefined;
  let lastRendered: number | undefined;
  const close = (to: number, open: boolean) => {
    if (!cur) return;
    const marks = [cur.from, ...cur.renderTimes.filter((x) => x > cur!.from && x < to), to];
    let frozen = 0;
    for (let i = 1; i < marks.length; i++) frozen = Math.max(frozen, marks[i]! - marks[i - 1]!);
    const { renderTimes: _r, ...s } = cur;
    out.push({ ...s, to, open, frozenMs: frozen });
    cur = undefined;
  };
  for (const l of looks) {
    const v = judge(l);
    const rendered = l.rendered;
    if (rendered !== undefined) {
      if (cur && lastRendered !== undefined && rendered !== lastRendered) {
        cur.renders++;
        cur.renderTimes.push(rendered);
      }
      lastRendered = rendered;
    }
    if (v === null) {
      if (cur && l.failed) cur.blindLooks++;
      continue;
    }
    if (v) {
      cur ??= { from: l.t, to: l.t, open: true, maxGone: 0, maxMissing: 0, renders: 0, frozenMs: 0, blindLooks: 0, renderTimes: [] };
      cur.maxGone = Math.max(cur.maxGone, l.gone);
      cur.maxMissing = Math.max(cur.maxMissing, l.missing);
      cur.to = l.t;
    } else close(l.t, false);
  }
  if (cur) close(cur.to, true);
  return out;
}

const longest = (ss: readonly StaleStretch[]) => ss.reduce((a, s) => Math.max(a, s.to - s.from), 0);

function longestFailed(looks: readonly Look[]): number {
  let best = 0;
  let since: number | undefined;
  for (const l of looks) {
    if (l.failed) since ??= l.t;
    else if (since !== undefined) {
      best = Math.max(best, l.t - since);
      since = undefined;
    }
  }
  return best;
}
