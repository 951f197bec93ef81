// When did the platform recover? After the flood starts, the first moment from which, for a sustained
// window, every node is Ready, Consul and Vault answer within tolerance of their baseline median, and
// the pool has as many alive members as at baseline. Recovery only counts after a disruption was seen;
// a run that was never disrupted says so instead of reporting a recovery time of zero.
import type { ConsulMembersRecord, HistoryRecord, LatencyBase, RecordType } from '../history/records.ts';
import { primary } from './consul.ts';
import type { Coverage } from './coverage.ts';
import type { NodeSegment, PressureSegment } from './nodes.ts';
import { anyNotReady } from './nodes.ts';
import { lowerBound, quantile, sortedNumbers } from './stats.ts';
import { searchSustained, sustainedVerdict, type Check, type SustainedSearch } from './sustained.ts';
import { baselineWindow, ts, type Timeline } from './timeline.ts';
import { type Maybe, unknown } from './unknown.ts';

export interface RecoveryOptions {
  /** Latency may be this fraction above the baseline p50 (0.2 = 20 %). */
  latencyTolerance?: number;
  /**
   * ...or this many milliseconds above it, whichever is larger: 20 % of a 3 ms baseline is scheduling
   * noise on a busy 2-core host, and read as "not recovered" 7 minutes after a run that never faltered.
   */
  latencySlackMs?: number;
  /** How long every criterion must hold. */
  sustainMs?: number;
  /** Give up this long after the flood starts. */
  timeoutMs?: number;
  /** Grid step of the search. */
  stepMs?: number;
  /** Error rate allowed above the baseline's (absolute fraction). */
  errorRateSlack?: number;
}

export type CriterionName = 'nodes' | 'consul' | 'vault' | 'poolAlive' | 'poolSize';

export interface CriterionResult {
  /** Part of the overall verdict ('poolSize' is reported, not required: see RecoveryMetrics). */
  required: boolean;
  /** Skipped for lack of data (the note says what was missing). */
  used: boolean;
  note?: string;
  /** From flood start until this criterion held for the sustain window after being broken; null: never. */
  recoveredAfterMs: Maybe<number | null>;
}

export interface RecoveryMetrics {
  status: 'recovered' | 'not-recovered' | 'never-disrupted' | 'unknown';
  /** From flood start; null when not recovered within the timeout; Unknown when the history could not say. */
  timeToRecoverMs: Maybe<number | null>;
  disruptedAt?: number;
  recoveredAt?: number;
  timeoutMs: number;
  sustainMs: number;
  latencyTolerance: number;
  latencySlackMs: number;
  baseline: { consulP50: Maybe<number>; vaultP50: Maybe<number>; consulErrorRate: Maybe<number>; vaultErrorRate: Maybe<number>; poolAlive: Maybe<number>; poolTotal: Maybe<number> };
  criteria: Record<CriterionName, CriterionResult>;
}

/** How long a criterion must hold before it counts as back (recovery, and the pool's settle time). */
export const DEFAULT_SUSTAIN_MS = 30_000;

export function recoveryAnalysis(
  sorted: readonly HistoryRecord[],
  timeline: Timeline,
  coverage: Coverage,
  segments: readonly NodeSegment[],
  opts: RecoveryOptions = {},
  pressure: readonly PressureSegment[] = [],
): RecoveryMetrics {
  const tol = opts.latencyTolerance ?? 0.2;
  const slackMs = opts.latencySlackMs ?? 5;
  const sustainMs = opts.sustainMs ?? DEFAULT_SUSTAIN_MS;
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const step = opts.stepMs ?? 1_000;
  const errSlack = opts.errorRateSlack ?? 0.01;
  const base = baselineWindow(timeline);

  // Split-cluster runs: each cluster's Consul and Vault are judged against their own baseline and each
  // pool by its own observer, and the platform is recovered only when every cluster is. A one-cluster
  // history is a single group, judged exactly as before.
  const groups = clusterGroups(sorted);
  const latencyOf = (type: 'consul-latency' | 'vault-latency') => {
    const parts = groups.map((g) => latencyGroup(sorted.filter((r) => r.type === type && (r.cluster ?? NO_CLUSTER) === g) as (LatencyBase & { type: RecordType })[], type, g));
    return {
      p50: combine(parts.map((p) => p.p50), Math.max),
      err: combine(parts.map((p) => p.err), Math.max),
      check: parts.every((p) => p.check) ? all(parts.map((p) => p.check!)) : null,
      present: parts.some((p) => p.present),
    };
  };
  // A blind spot of one cluster's prober blinds that cluster's checks only.
  const blind = (types: RecordType[], from: number, to: number, g: number) =>
    coverage.overlapping(types, from, to).some((s) => g === NO_CLUSTER || s.cluster === undefined || s.cluster === g);
  const latencyGroup = (recs: (LatencyBase & { type: RecordType })[], type: 'consul-latency' | 'vault-latency', g: number) => {
    const times = recs.map(ts);
    const inBase = base ? recs.filter((r) => ts(r) >= base.from && ts(r) < base.to) : [];
    const okBase = sortedNumbers(inBase.filter((r) => r.error === undefined && typeof r.ms === 'number').map((r) => r.ms!));
    const p50: Maybe<number> = !base ? unknown('no baseline phase') : okBase.length ? quantile(okBase, 0.5) : unknown(`no successful ${type} probes in the baseline`);
    const err: Maybe<number> = inBase.length ? inBase.filter((r) => r.error !== undefined || typeof r.ms !== 'number').length / inBase.length : unknown(`no ${type} probes in the baseline`);
    const check: Check | null =
      typeof p50 === 'number' && typeof err === 'number'
        ? (from, to) => {
            if (blind([type], from, to, g)) return 'blind';
            const win = recs.slice(lowerBound(times, from, (x) => x), lowerBound(times, to, (x) => x));
            if (win.length === 0) return 'blind';
            const ok = sortedNumbers(win.filter((r) => r.error === undefined && typeof r.ms === 'number').map((r) => r.ms!));
            const e = (win.length - ok.length) / win.length;
            return ok.length > 0 && quantile(ok, 0.5) <= Math.max(p50 * (1 + tol), p50 + slackMs) && e <= err + errSlack;
          }
        : null;
    return { p50, err, check, present: recs.length > 0 };
  };
  const consul = latencyOf('consul-latency');
  const vault = latencyOf('vault-latency');

  const poolGroup = (members: ConsulMembersRecord[], g: number) => {
    const { mine } = primary(members);
    const mtimes = mine.map(ts);
    const baseMembers = base ? mine.filter((r) => ts(r) >= base.from && ts(r) < base.to) : [];
    const alive: Maybe<number> = baseMembers.length ? quantile(sortedNumbers(baseMembers.map((r) => r.counts.alive ?? 0)), 0.5) : unknown('no member samples in the baseline');
    const total: Maybe<number> = baseMembers.length ? quantile(sortedNumbers(baseMembers.map((r) => r.total)), 0.5) : unknown('no member samples in the baseline');
    const check = (pred: (r: ConsulMembersRecord) => boolean): Check => (from, to) => {
      if (blind(['consul-members'], from, to, g)) return 'blind';
      // The pool is sampled: its state at `from` is the last sample at or before it.
      let first = lowerBound(mtimes, from, (x) => x);
      if (first > 0 && mtimes[first] !== from) first--;
      const win = mine.slice(first, lowerBound(mtimes, to, (x) => x));
      return win.length === 0 ? 'blind' : win.every(pred);
    };
    return { alive, total, check };
  };
  const members = sorted.filter((r): r is ConsulMembersRecord => r.type === 'consul-members');
  const pools = groups.map((g) => poolGroup(members.filter((r) => (r.cluster ?? NO_CLUSTER) === g), g));
  // Several pools: the lab's members are the sum of its pools.
  const poolAlive = combine(pools.map((p) => p.alive), (...xs) => xs.reduce((a, b) => a + b, 0));
  const poolTotal = combine(pools.map((p) => p.total), (...xs) => xs.reduce((a, b) => a + b, 0));
  const poolCheck = (pred: (r: ConsulMembersRecord, pool: number) => boolean): Check =>
    all(pools.map((p, i) => p.check((r) => pred(r, i))));

  const nodesPresent = segments.length > 0;
  const checks: Record<CriterionName, { check: Check | null; required: boolean; note?: string }> = {
    nodes: {
      // A node under pressure is evicting pods: not recovered, even while it reports Ready.
      check: nodesPresent ? (from, to) => (coverage.overlapping(['node'], from, to).length ? 'blind' : !anyNotReady(segments, from, to) && !anyPressure(pressure, from, to)) : null,
      required: true,
      ...(nodesPresent ? {} : { note: 'no node records' }),
    },
    consul: { check: consul.check, required: true, ...(consul.check ? {} : { note: reasonOf(consul.p50, consul.err) }) },
    vault: { check: vault.check, required: true, ...(vault.check ? {} : { note: reasonOf(vault.p50, vault.err) }) },
    poolAlive: {
      check: typeof poolAlive === 'number' ? poolCheck((r, i) => (r.counts.alive ?? 0) >= (pools[i]!.alive as number)) : null,
      required: true,
      ...(typeof poolAlive === 'number' ? {} : { note: poolAlive.reason }),
    },
    // Failed members that linger keep the pool large long after every alive member is back: reported
    // on its own because it is question 2's subject, not part of "the platform works again". No
    // tolerance: it is a count, and 6 phantoms in a pool of 34 are within 20 % yet are the whole story.
    poolSize: {
      check: typeof poolTotal === 'number' ? poolCheck((r, i) => r.total <= (pools[i]!.total as number)) : null,
      required: false,
      ...(typeof poolTotal === 'number' ? {} : { note: poolTotal.reason }),
    },
  };

  const result: RecoveryMetrics = {
    status: 'unknown',
    timeToRecoverMs: unknown('not evaluated'),
    timeoutMs,
    sustainMs,
    latencyTolerance: tol,
    latencySlackMs: slackMs,
    baseline: { consulP50: consul.p50, vaultP50: vault.p50, consulErrorRate: consul.err, vaultErrorRate: vault.err, poolAlive, poolTotal },
    criteria: {} as Record<CriterionName, CriterionResult>,
  };
  const flood = timeline.floodAt;
  if (flood === undefined || !Number.isFinite(timeline.end)) {
    for (const [name, c] of Object.entries(checks) as [CriterionName, (typeof checks)[CriterionName]][]) {
      result.criteria[name] = { required: c.required, used: false, note: 'no flood start in the history', recoveredAfterMs: unknown('no flood start') };
    }
    result.timeToRecoverMs = unknown('no restore/flood phase in the history');
    return result;
  }
  const lastStart = Math.min(timeline.end - sustainMs, flood + timeoutMs);
  const search = (fns: Check[]) => searchSustained(fns, { from: flood, lastStart, stepMs: step, sustainMs });
  const verdict = (r: SustainedSearch) => sustainedVerdict(r, { flood, end: timeline.end, timeoutMs, sustainMs });
  for (const [name, c] of Object.entries(checks) as [CriterionName, (typeof checks)[CriterionName]][]) {
    result.criteria[name] = c.check
      ? { required: c.required, used: true, recoveredAfterMs: verdict(search([c.check])) }
      : { required: c.required, used: false, note: c.note ?? 'no data', recoveredAfterMs: unknown(c.note ?? 'no data') };
  }
  const required = (Object.values(checks) as (typeof checks)[CriterionName][]).filter((c) => c.required && c.check).map((c) => c.check!);
  if (!checks.nodes.check) {
    result.timeToRecoverMs = unknown('no node records: node health unknown');
    return result;
  }
  const r = search(required);
  const v = verdict(r);
  result.timeToRecoverMs = v;
  if (r.disruptedAt !== undefined) result.disruptedAt = r.disruptedAt;
  if (r.recoveredAt !== undefined) result.recoveredAt = r.recoveredAt;
  result.status = r.disruptedAt === undefined && v === 0 ? 'never-disrupted' : typeof v === 'number' ? 'recovered' : v === null ? 'not-recovered' : 'unknown';
  return result;
}

/** The group of records without a cluster: every record of a one-cluster history. */
const NO_CLUSTER = -1;

/** The clusters a history's records name, or the one group of a history that names none. */
function clusterGroups(sorted: readonly HistoryRecord[]): number[] {
  const seen = new Set<number>();
  for (const r of sorted) if (typeof r.cluster === 'number') seen.add(r.cluster);
  return seen.size ? [...seen].sort((a, b) => a - b) : [NO_CLUSTER];
}

/** One value from a group's values: the group's own when there is one; otherwise `f` of all, or the first Unknown. */
function combine(vs: Maybe<number>[], f: (...xs: number[]) => number): Maybe<number> {
  if (vs.length === 1) return vs[0]!;
  const bad = vs.find((v): v is Exclude<Maybe<number>, number> => typeof v !== 'number');
  return bad ?? f(...(vs as number[]));
}

/** Every check's verdict at once: broken if one is, blind if one is and none is broken. */
function all(checks: Check[]): Check {
  if (checks.length === 1) return checks[0]!;
  return (from, to) => {
    const vs = checks.map((c) => c(from, to));
    return vs.includes(false) ? false : vs.includes('blind') ? 'blind' : true;
  };
}

function reasonOf(a: Maybe<number>, b: Maybe<number>): string {
  return [a, b].map((x) => (typeof x === 'number' ? '' : x.reason)).filter(Boolean)[0] ?? 'no data';
}

function anyPressure(segments: readonly PressureSegment[], from: number, to: number): boolean {
  return segments.some((s) => s.from < to && s.to > from && s.state === 'True');
}
