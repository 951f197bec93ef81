// How the answers are worded (see answers.ts for the rules): each arm's spread over its runs, the
// comparison of two arms, and the findings some questions add beyond that comparison. Question
// definitions (questions/*.ts) call these; nothing here knows which questions exist.
import type { RunSummary, ScenarioKey } from './analyze.ts';
import { clustersReachedShare, metricByKey, type MetricDef } from './catalog.ts';
import { PRESSURE_CONDITIONS, type PressureCondition } from './nodes.ts';
import { median, spread, type Spread } from './stats.ts';
import { isNotBack } from './consul.ts';
import { fmtNumber } from './text.ts';
import type { ClusterFigures } from './split.ts';
import { isUnknown, unknown as unknownValue, type Maybe, type Unknown } from './unknown.ts';
import { isNoTraffic } from './users.ts';
import { describeDisturbance, floodDisturbance, HOST_DISTURBED_CORES } from './host.ts';

export interface RunRef {
  id: string;
  summary: RunSummary;
}

export interface MetricSpread {
  key: string;
  label: string;
  unit: MetricDef['unit'];
  better: MetricDef['better'];
  nullText?: string;
  values: { run: string; value: Maybe<number | null> }[];
  /** Over the known numbers only. */
  spread: Spread | null;
  /** Runs where the metric is null ("never", "not recovered"), and where it is unknown. */
  nulls: number;
  unknowns: number;
}

export interface ArmResult {
  arm: string;
  label: string;
  runs: string[];
  metrics: Record<string, MetricSpread>;
}

export interface Finding {
  kind: 'verdict' | 'comparison' | 'note';
  text: string;
  runs: string[];
}


/** A metric of what users felt in runs that sent no traffic through the LB. */
export const NOT_MEASURED_NO_TRAFFIC = 'not measured (no traffic through the LB)';

export function metricSpread(def: MetricDef, runs: readonly RunRef[]): MetricSpread {
  const values = runs.map((r) => ({ run: r.id, value: def.get(r.summary) }));
  const nums = values.map((v) => v.value).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return {
    key: def.key,
    label: def.label,
    unit: def.unit,
    better: def.better,
    ...(def.nullText ? { nullText: def.nullText } : {}),
    values,
    spread: spread(nums) ?? null,
    nulls: values.filter((v) => v.value === null).length,
    unknowns: values.filter((v) => v.value !== null && isUnknown(v.value)).length,
  };
}

/** "0.051–0.080 cores" rather than "0.051 cores–0.080 cores": a shared unit is written once. */
function fmtRange(lo: number, hi: number, unit: MetricDef['unit']): string {
  const a = fmtNumber(lo, unit);
  const b = fmtNumber(hi, unit);
  const shared = [' cores', ' %', ' ms', ' s', '/s'].find((u) => a.endsWith(u) && b.endsWith(u));
  return `${shared ? a.slice(0, -shared.length) : a}–${b}`;
}

/** A median of counts can fall between two: 9.5 pods, not a rounded 10 that no run had. */
const fmtMedian = (v: number, unit: MetricDef['unit']) => (unit === 'count' && !Number.isInteger(v) ? v.toLocaleString('en-US', { maximumFractionDigits: 1 }) : fmtNumber(v, unit));

/**
 * "unknown in 1 of 3 runs (at least 8m12s: not recovered when the history ends)": unknowns never enter a
 * median. The why is the runs' own reason, shortened to its first clause when every bounded run gives the
 * same one: a run that ended before recovering is not a blind recorder, and must not read like one.
 */
function describeUnknowns(m: MetricSpread): string | null {
  if (!m.unknowns) return null;
  const all = m.values.map((v) => v.value).filter((v): v is Unknown => v !== null && isUnknown(v));
  // A pool that never settled is a finding, not a blind recorder: said in words, apart from the unknowns.
  const notBack = all.filter(isNotBack);
  // A run that sent no users' traffic did not measure what users felt: said so, never a blind recorder.
  const notMeasured = all.filter(isNoTraffic).length;
  const bounded = all.filter((u): boolean => !isNotBack(u) && !isNoTraffic(u));
  const ended = [
    notBack.length ? `not back by the end in ${notBack.length} of ${m.values.length} runs (at least ${fmtNumber(Math.min(...notBack.map((u) => u.observed ?? 0)), m.unit)})` : '',
    notMeasured ? (notMeasured === m.values.length ? NOT_MEASURED_NO_TRAFFIC : `not measured in ${notMeasured} of ${m.values.length} runs (no traffic through the LB)`) : '',
  ].filter(Boolean).join('; ') || null;
  if (bounded.length === 0) return ended;
  const why = [...new Set(bounded.filter((u) => u.bound && u.observed !== undefined).map((u) => u.reason.split(/[,(]/)[0]!.trim()))];
  const lower = bounded.filter((u) => u.bound === 'lower' && u.observed !== undefined).map((u) => u.observed!);
  const upper = bounded.filter((u) => u.bound === 'upper' && u.observed !== undefined).map((u) => u.observed!);
  const seen = [
    ...(lower.length ? [`at least ${fmtNumber(Math.min(...lower), m.unit)}${lower.length < bounded.length ? ` in ${lower.length}` : ''}`] : []),
    ...(upper.length ? [`at most ${fmtNumber(Math.max(...upper), m.unit)}${upper.length < bounded.length ? ` in ${upper.length}` : ''}`] : []),
  ];
  const because = why.length === 1 && why[0] ? `: ${why[0]}` : '';
  const rest = `unknown in ${bounded.length} of ${m.values.length} runs${seen.length ? ` (${seen.join(', ')}${because})` : ''}`;
  return ended ? `${ended}; ${rest}` : rest;
}

/**
 * One arm's value of a metric over its repeats. The known numbers give "median X (min–max A–B)" (a single
 * one is written alone); "never"-like nulls and unknowns are counted apart, never folded into the median.
 * `ranges: false` leaves out min–max, for sentences that state the ranges themselves.
 * Examples: "4", "median 0.070 cores (min–max 0.051–0.080 cores)", "not recovered in 1 of 3 runs",
 * "unknown in 1 of 1 runs (at least 8m12s: not recovered when the history ends)", "not measured".
 */
export function describeSpread(m: MetricSpread, opts: { ranges?: boolean } = {}): string {
  const n = m.values.length;
  if (n === 0) return 'not measured';
  const parts: string[] = [];
  const s = m.spread;
  if (s) {
    const over = s.n < n ? ` over ${s.n} of ${n} runs` : '';
    if (s.n === 1) parts.push(`${fmtNumber(s.median, m.unit)}${n > 1 ? ` in 1 of ${n} runs` : ''}`);
    else parts.push(`median ${fmtMedian(s.median, m.unit)}${opts.ranges === false ? '' : ` (min–max ${fmtRange(s.min, s.max, m.unit)})`}${over}`);
  }
  const never = m.nullText ?? 'none';
  if (m.nulls) parts.push(m.nulls === n ? (n === 1 ? never : `${never} in all ${n} runs`) : `${never} in ${m.nulls} of ${n} runs`);
  const unknowns = describeUnknowns(m);
  if (unknowns) parts.push(unknowns);
  return parts.join('; ');
}

/**
 * Each run's value as an interval: a number is a point, "never"/"not recovered" is +infinity, a bound
 * from a partly blind recorder is half open. A run the recorder did not see at all has no interval: it is
 * left out and counted (`unknown`), so it cannot make a difference look consistent or not.
 * An arm is the union of its runs' intervals; `known` is how many runs it is made of.
 */
interface Interval {
  lo: number;
  hi: number;
  known: number;
  unknown: number;
  nulls: number;
}

function interval(m: MetricSpread): Interval {
  const iv: Interval = { lo: Infinity, hi: -Infinity, known: 0, unknown: 0, nulls: 0 };
  for (const { value: v } of m.values) {
    let a: number;
    let b: number;
    if (typeof v === 'number') a = b = v;
    else if (v === null) {
      a = b = Infinity;
      iv.nulls++;
    } else if (v.bound === 'lower' && v.observed !== undefined) [a, b] = [v.observed, Infinity];
    else if (v.bound === 'upper' && v.observed !== undefined) [a, b] = [-Infinity, v.observed];
    else {
      iv.unknown++;
      continue;
    }
    iv.known++;
    iv.lo = Math.min(iv.lo, a);
    iv.hi = Math.max(iv.hi, b);
  }
  return iv;
}

/** "0–0", "9–12", "5m–not recovered", "≥ 8m12s", "never". */
function fmtInterval(iv: Interval, m: MetricSpread): string {
  const never = m.nullText ?? 'none';
  if (iv.lo === Infinity) return never;
  if (iv.hi === Infinity && iv.lo !== -Infinity) return iv.nulls ? `${fmtNumber(iv.lo, m.unit)}–${never}` : `≥ ${fmtNumber(iv.lo, m.unit)}`;
  if (iv.lo === -Infinity) return iv.hi === Infinity ? 'unbounded' : `≤ ${fmtNumber(iv.hi, m.unit)}`;
  return fmtRange(iv.lo, iv.hi, m.unit);
}

/** "n = 1 each", "n = 3 vs 1" (the other arm first, as in the sentence). */
const nPhrase = (other: number, base: number) => (other === base ? `n = ${base} each` : `n = ${other} vs ${base}`);

/**
 * What a comparison concluded, for the tally: a direction is called only with at least two runs on each
 * side and min–max ranges that do not overlap.
 */
export type Verdict = 'better' | 'worse' | 'differs' | 'same' | 'mixed' | 'no-spread' | 'unknown';

export interface Comparison {
  verdict: Verdict;
  finding: Finding;
}

export function compareArms(base: ArmResult, other: ArmResult, key: string): Comparison | null {
  const a = base.metrics[key];
  const b = other.metrics[key];
  if (!a || !b || a.values.length === 0 || b.values.length === 0) return null;
  // Nothing to compare where one side never measured it (no users' traffic): the table says "not measured".
  if ([a, b].some((m) => m.values.every((v) => isNoTraffic(v.value)))) return null;
  const runs = [...base.runs, ...other.runs];
  const na = a.values.length;
  const nb = b.values.length;
  const say = (verdict: Verdict, text: string): Comparison => ({ verdict, finding: { kind: 'comparison', text: `${a.label} (${nPhrase(nb, na)}): ${text}`, runs } });
  if (na === 1 && nb === 1) return say('no-spread', `in the one run each: ${other.label} ${describeSpread(b)} vs ${base.label} ${describeSpread(a)} (no spread yet)`);
  if (na === 1 || nb === 1) {
    const single = na === 1 ? base.label : other.label;
    return say('no-spread', `${other.label} ${describeSpread(b)} vs ${base.label} ${describeSpread(a)}: not called, ${single} has only one run (no spread yet)`);
  }
  const head = `${other.label} ${describeSpread(b, { ranges: false })} vs ${base.label} ${describeSpread(a, { ranges: false })}`;
  const ia = interval(a);
  const ib = interval(b);
  if (ia.known < 2 || ib.known < 2) {
    const short = [ib.known < 2 ? other.label : null, ia.known < 2 ? base.label : null].filter(Boolean).join(' and ');
    return say('unknown', `${head}: not called, fewer than 2 runs with a known value for ${short}`);
  }
  // "in all 3 runs" when every run on both sides counts; otherwise the counts that do.
  const all = ia.unknown || ib.unknown ? `all known runs (${ib.known} vs ${ia.known})` : ia.known === ib.known ? `all ${ia.known} runs` : `all runs (${ib.known} vs ${ia.known})`;
  const ranges = `ranges ${fmtInterval(ib, b)} vs ${fmtInterval(ia, a)}`;
  if (ia.lo === ia.hi && ib.lo === ib.hi && ia.lo === ib.lo) return say('same', `${head}: the same in ${all} (${Number.isFinite(ia.lo) ? fmtNumber(ia.lo, a.unit) : (a.nullText ?? 'none')})`);
  if (ib.hi < ia.lo || ib.lo > ia.hi) {
    const lower = ib.hi < ia.lo;
    const verdict: Verdict = a.better === null ? 'differs' : (a.better === 'lower') === lower ? 'better' : 'worse';
    return say(verdict, `${head}: ${lower ? 'lower' : 'higher'} in ${all}, ${ranges}${verdict === 'differs' ? '' : ` (${verdict})`}`);
  }
  return say('mixed', `${head}: mixed: ranges overlap (${fmtInterval(ib, b)} vs ${fmtInterval(ia, a)})`);
}


export const cite = (runs: readonly string[]) => (runs.length ? ` [runs: ${runs.join(', ')}]` : '');

/**
 * Question 4 beyond the arm comparison: how many clusters the failure reached in each arm, each cluster's
 * own figures in the split runs (described, never compared: the two clusters are one run's halves), and
 * what else differs between the arms' set-ups.
 */
export function splitFindings(one: readonly RunRef[], two: readonly RunRef[], labels: { one: string; two: string }): Finding[] {
  const out: Finding[] = [];
  const reach = (runs: readonly RunRef[], label: string, clusters: number) => {
    if (runs.length === 0) return;
    const ids = runs.map((r) => r.id);
    const phrase = (v: Maybe<number>): string => {
      if (typeof v !== 'number') return 'is unknown (a watch was blind and nothing was seen)';
      if (v === 1) return clusters === 1 ? 'reached the cluster' : clusters === 2 ? 'reached both clusters' : 'reached every cluster';
      if (v === 0) return clusters === 1 ? 'did not reach the cluster' : clusters === 2 ? 'reached neither cluster' : 'reached no cluster';
      return `reached ${Math.round(v * clusters)} of the ${clusters} clusters`;
    };
    const counts = new Map<string, number>();
    for (const r of runs) {
      const p = phrase(clustersReachedShare(r.summary));
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    const parts = [...counts].map(([p, n]) => `${p} in ${n} of ${runs.length} runs`);
    out.push({ kind: 'note', text: `${label} (n = ${runs.length}): after the cut, the failure ${parts.join('; ')} (a node NotReady or under pressure, or a pod evicted or moved).${cite(ids)}`, runs: ids });
  };
  reach(one, labels.one, 1);
  reach(two, labels.two, Math.max(2, ...two.map((r) => r.summary.split?.clusters.length ?? 0)));
  const split = two.filter((r) => r.summary.split);
  if (split.length) {
    const ids = split.map((r) => r.id);
    const count = Math.max(...split.map((r) => r.summary.split!.clusters.length));
    for (let i = 0; i < count; i++) {
      const name = split.map((r) => r.summary.split!.clusters[i]?.name).find(Boolean) ?? `cluster ${i}`;
      const fig = (label: string, unit: MetricDef['unit'], get: (c: ClusterFigures) => Maybe<number | null>, nullText?: string) =>
        `${label} ${describeSpread(metricSpread({ key: label, label, unit, better: null, ...(nullText ? { nullText } : {}), get: (s) => (s.split?.clusters[i] ? get(s.split.clusters[i]!) : unknownValue(`no cluster ${i} in this run`)) }, split))}`;
      const text = [
        fig('workers NotReady at once', 'ratio', (c) => c.notReadyShare),
        fig('under pressure at once', 'ratio', (c) => c.pressureShare),
        fig('pods moved', 'count', (c) => c.podsRescheduled),
        fig('pods evicted', 'count', (c) => c.podsEvicted),
        fig('pool peak', 'count', (c) => c.pool.peakTotal),
        fig('failed members peak', 'count', (c) => c.pool.peakFailed),
        fig('Consul p99 in flood', 'ms', (c) => c.consulP99Flood),
        fig('Vault p99 in flood', 'ms', (c) => c.vaultP99Flood),
        fig('time to recover', 'ms', (c) => c.timeToRecoverMs, 'not recovered'),
      ].join('; ');
      out.push({ kind: 'note', text: `Cluster ${name} in the split runs (n = ${split.length}): ${text}.${cite(ids)}`, runs: ids });
    }
    out.push({
      kind: 'note',
      text:
        `The split runs have the same workers as the one-cluster runs, but two control planes, each with its own API server, etcd, three Consul servers and Vault, on the same host: the host carries that much more, which the comparison above includes. ` +
        `Each pool holds only its own cluster\u2019s agents, so the largest pool starts at about half the size by construction; the failed members it gains in the flood are what the split changes.${cite(ids)}`,
      runs: ids,
    });
  }
  return out;
}

/**
 * One line per pair of arms: how many metrics differ, and which way. With one run on either side nothing
 * is called better or worse (one run has no spread to tell a difference from noise), and the line says
 * how to get the repeats.
 */
export function tally(base: ArmResult, other: ArmResult, cmp: Comparison[], matrixLabelOf: (arm: string) => string, scenarioArg = ''): Finding {
  const runs = [...base.runs, ...other.runs];
  const n = nPhrase(other.runs.length, base.runs.length);
  if (base.runs.length < 2 || other.runs.length < 2) {
    const single = [other, base].filter((x) => x.runs.length < 2).map((x) => x.label).join(' and ');
    const cmd = `npx lab matrix ${scenarioArg}--only ${[...new Set([base.arm, other.arm].map(matrixLabelOf))].join(',')}`;
    return {
      kind: 'verdict',
      text: `${other.label} compared with ${base.label} (${n}): not called better or worse on any of ${cmp.length} metrics, since ${single} ${single.includes(' and ') ? 'have' : 'has'} only one run (no spread yet); the one-run numbers are below. For repeats: \`${cmd}\` (3 runs an arm by default).${cite(runs)}`,
      runs,
    };
  }
  const count = (v: Verdict) => cmp.filter((c) => c.verdict === v).length;
  const rest = (
    [
      ['differs', 'different (no better direction)'],
      ['same', 'the same in every run'],
      ['mixed', 'mixed (ranges overlap)'],
      ['unknown', 'not comparable (unknown)'],
    ] as const
  )
    .filter(([v]) => count(v) > 0)
    .map(([v, what]) => `${what} on ${count(v)}`);
  return {
    kind: 'verdict',
    text: `${other.label} compared with ${base.label} (${n}): better on ${count('better')}, worse on ${count('worse')}${rest.length ? `, ${rest.join(', ')}` : ''} of ${cmp.length} metrics (a difference counts only when the min–max ranges over the repeats do not overlap).${cite(runs)}`,
    runs,
  };
}

/** What a run says about its nodes' health: NotReady (null: unknown) and which pressures were seen. */
interface NodeHealth {
  notReady: boolean | null;
  pressure: PressureCondition[];
  /** Every pressure condition observed throughout (no node-watch gap, every condition reported). */
  pressureSeen: boolean;
}

function nodeHealth(s: RunSummary): NodeHealth {
  const nr = s.nodes.maxSimultaneousNotReady;
  const notReady = typeof nr === 'number' ? nr > 0 : (nr.observed ?? 0) > 0 ? true : null;
  const secs = s.nodes.pressureNodeSeconds;
  const pressure = PRESSURE_CONDITIONS.filter((c) => {
    const v = secs[c];
    return (isUnknown(v) ? (v.observed ?? 0) : v) > 0;
  });
  return { notReady, pressure, pressureSeen: PRESSURE_CONDITIONS.every((c) => !isUnknown(secs[c])) };
}

/** "MemoryPressure in 3 of 3 runs, DiskPressure in 1 of 3 runs" (empty when none was seen). */
function pressureCounts(runs: readonly RunRef[]): string {
  const health = runs.map((r) => nodeHealth(r.summary));
  return PRESSURE_CONDITIONS.map((c) => [c, health.filter((h) => h.pressure.includes(c)).length] as const)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${c} in ${n} of ${runs.length} runs`)
    .join(', ');
}

/**
 * Which arms kept every node healthy. NotReady and pressure are told apart: an arm whose nodes only came
 * under pressure is not said to have gone NotReady, and pressure that was not observed is not called absent.
 */
export function preventionFindings(arms: ArmResult[], refs: (arm: string) => RunRef[]): Finding[] {
  const buckets = { healthy: [] as string[], pressureOnly: [] as string[], pressureUnseen: [] as string[], notReady: [] as string[] };
  for (const a of arms.filter((x) => x.runs.length)) {
    const m = a.metrics.maxNotReady!;
    const zero = m.values.filter((v) => v.value === 0).length;
    const known = m.values.filter((v) => typeof v.value === 'number').length;
    if (known === 0) continue;
    const runs = refs(a.arm);
    const pressure = pressureCounts(runs);
    const unseen = runs.filter((r) => {
      const h = nodeHealth(r.summary);
      return h.pressure.length === 0 && !h.pressureSeen;
    }).length;
    const base = `no NotReady node in ${zero} of ${m.values.length} runs`;
    const ids = a.runs.join(', ');
    if (zero !== m.values.length) buckets.notReady.push(`${a.label} (${base}${pressure ? `; ${pressure}` : ''}: ${ids})`);
    else if (pressure) buckets.pressureOnly.push(`${a.label} (${pressure}; ${base}: ${ids})`);
    else if (unseen) buckets.pressureUnseen.push(`${a.label} (${base}: ${ids}; node pressure not observed throughout in ${unseen} of ${runs.length} runs)`);
    else buckets.healthy.push(`${a.label} (${base} and no node pressure: ${ids})`);
  }
  const all = arms.flatMap((a) => a.runs);
  const texts: [string[], string][] = [
    [buckets.healthy, 'No node went NotReady or came under pressure with'],
    [buckets.pressureUnseen, 'No node went NotReady with'],
    [buckets.pressureOnly, 'No node went NotReady, but nodes came under pressure (the kubelet evicting pods while Ready) with'],
    [buckets.notReady, 'Nodes still went NotReady with'],
  ];
  return texts.filter(([b]) => b.length).map(([b, head]) => ({ kind: 'verdict', text: `${head}: ${b.join('; ')}.`, runs: all }));
}

/**
 * Pressure in these runs: which conditions, how many nodes, whether nodes stayed Ready, and whether the
 * pressure was already there before the flood (then the flood did not start it).
 */
export function pressureFindings(runs: readonly RunRef[], what: string): Finding[] {
  const hit = runs.filter((r) => nodeHealth(r.summary).pressure.length > 0);
  const ids = runs.map((r) => r.id);
  if (hit.length === 0) {
    const unseen = runs.filter((r) => !nodeHealth(r.summary).pressureSeen).length;
    if (runs.length === 0 || unseen === 0) return runs.length ? [{ kind: 'note', text: `No node came under memory, disk or PID pressure in the ${what}.${cite(ids)}`, runs: ids }] : [];
    return [{ kind: 'note', text: `No node pressure was seen in the ${what}, but pressure was not observed throughout in ${unseen} of ${runs.length} (conditions not recorded, Unknown, or node watch blind).${cite(ids)}`, runs: ids }];
  }
  const hitIds = hit.map((r) => r.id);
  const ready = hit.filter((r) => nodeHealth(r.summary).notReady === false).length;
  const started = (r: RunRef) => r.summary.nodes.firstPressure?.at;
  const early = hit.filter((r) => r.summary.floodAt !== null && started(r) !== undefined && started(r)! < r.summary.floodAt);
  const beforeCut = early.filter((r) => r.summary.cutAt !== null && started(r)! < r.summary.cutAt).length;
  const most = describeSpread(metricSpread(metricByKey('maxPressure'), hit));
  const text =
    `Nodes came under pressure in ${hit.length} of ${runs.length} ${what}: ${pressureCounts(runs)}; most nodes under pressure at once: ${most}` +
    (ready ? `; in ${ready} of them no node went NotReady (the kubelets kept posting status and evicted pods)` : '') +
    (early.length ? `; in ${early.length} the pressure was already there when the flood started${beforeCut ? ` (in ${beforeCut} since before the cut)` : ''}, so the flood did not start it` : '') +
    `.${cite(hitIds)}`;
  return [{ kind: 'note', text, runs: hitIds }];
}

export function saturationFindings(runs: RunRef[]): Finding[] {
  if (runs.length === 0) return [];
  const ids = runs.map((r) => r.id);
  const onsets = runs.flatMap((r) => r.summary.runtime.onsets.map((o) => ({ run: r.id, o, limit: r.summary.cpu.limitCores })));
  const out: Finding[] = [];
  const buffered = metricSpread(metricByKey('peakBuffered'), runs);
  const rate = metricSpread(metricByKey('peakDeliveredRate'), runs);
  const sc = runs[0]!.summary.scenario;
  out.push({
    kind: 'note',
    text: `Flood size in the naive runs (n = ${runs.length}${sc ? `, ${sc.replicas} app pods, scenario ${sc.name}` : ''}): lines held by the shippers at the peak ${describeSpread(buffered)}; peak delivery rate into Kafka ${describeSpread(rate)}.${cite(ids)}`,
    runs: ids,
  });
  if (onsets.length === 0) {
    out.push({ kind: 'verdict', text: `No node went NotReady after the flood in the naive runs, so no part can be named as the one that saturated.${cite(ids)}`, runs: ids });
    return out;
  }
  const parts = ['runtime', 'kubelet', 'shims', 'pods'] as const;
  const med = Object.fromEntries(
    parts.map((p) => {
      const vs = onsets.map(({ o }) => o.before[p]).filter((v): v is number => typeof v === 'number');
      const base = onsets.map(({ o }) => o.baseline[p]).filter((v): v is number => typeof v === 'number');
      return [p, { before: vs.length ? median(vs) : NaN, base: base.length ? median(base) : NaN, n: vs.length }];
    }),
  ) as Record<(typeof parts)[number], { before: number; base: number; n: number }>;
  const known = parts.filter((p) => Number.isFinite(med[p].before));
  if (known.length === 0) {
    out.push({ kind: 'verdict', text: `CPU of the node\u2019s parts before the NotReady onsets is unknown (sampler blind or not recorded).${cite(ids)}`, runs: ids });
    return out;
  }
  const growth = (p: (typeof parts)[number]) => (med[p].base > 0 ? med[p].before / med[p].base : NaN);
  const top = [...known].sort((a, b) => med[b].before - med[a].before)[0]!;
  const limit = onsets.find((x) => x.limit !== null)?.limit ?? null;
  const shares = known.map((p) => `${p} ${fmtNumber(med[p].before, 'cores')}${Number.isFinite(growth(p)) ? ` (${growth(p).toFixed(1)}× baseline)` : ''}`).join(', ');
  out.push({
    kind: 'verdict',
    text: `In the 30 s before ${onsets.length} NotReady onset(s), the median load was: ${shares}${limit !== null ? `, against a node limit of ${limit} cores` : ''}. The largest consumer was the ${top}${limit !== null ? `, at ${Math.round((med[top].before / limit) * 100)} % of the node` : ''}.${cite(ids)}`,
    runs: ids,
  });
  return out;
}

export function lingerFindings(arms: ArmResult[]): Finding[] {
  const out: Finding[] = [];
  for (const a of arms.filter((x) => x.runs.length)) {
    const end = a.metrics.failedAtEnd!;
    const settle = a.metrics.failedSettleMs!;
    out.push({
      kind: 'verdict',
      text: `${a.label} (n = ${a.runs.length}): failed members at the peak ${describeSpread(a.metrics.poolPeakFailed!)}; still failed at the end ${describeSpread(end)}; failed count back to baseline for good after the restore: ${describeSpread(settle)}.${cite(a.runs)}`,
      runs: a.runs,
    });
  }
  return out;
}

export function runtimeFindings(runs: RunRef[]): Finding[] {
  const ids = runs.map((r) => r.id);
  if (runs.length === 0) return [{ kind: 'verdict', text: 'Not measured: no runs.', runs: [] }];
  const onsets = runs.flatMap((r) => r.summary.runtime.onsets.map((o) => ({ run: r.id, o, limit: r.summary.cpu.limitCores })));
  const nodes = runs.flatMap((r) => r.summary.runtime.nodes.map((n) => ({ run: r.id, n })));
  const byId = new Map(runs.map((r) => [r.id, r.summary]));
  const pressuredAfterFlood = (run: string, node: string) => {
    const s = byId.get(run)!;
    return s.nodes.pressureIntervals.some((iv) => iv.node === node && (s.floodAt === null || iv.to > s.floodAt));
  };
  const peaks = (went: boolean, pressuredOnly = false) =>
    nodes
      .filter((x) => x.n.wentNotReady === went && (!pressuredOnly || pressuredAfterFlood(x.run, x.n.node)))
      .map((x) => x.n.peak.runtime)
      .filter((v): v is number => typeof v === 'number');
  const out: Finding[] = [];
  const down = peaks(true);
  const up = peaks(false);
  const fmt = (xs: number[]) => (xs.length ? `median ${fmtNumber(median(xs), 'cores')} (min–max ${fmtRange(Math.min(...xs), Math.max(...xs), 'cores')}, ${xs.length} nodes)` : 'no nodes');
  const pressured = peaks(false, true);
  out.push({
    kind: 'comparison',
    text: `Runtime CPU peak after the flood: nodes that went NotReady ${fmt(down)}; nodes that stayed Ready ${fmt(up)}${pressured.length ? `, of which under pressure after the flood ${fmt(pressured)}` : ''}.${cite(ids)}`,
    runs: ids,
  });
  if (onsets.length === 0) {
    const pressure = pressureCounts(runs);
    const also = pressure ? ` Nodes did come under pressure (${pressure}): their kubelets posted it and evicted pods, so they were not starved; that is the node running short of memory, disk or PIDs, which this CPU comparison does not address.` : '';
    out.push({ kind: 'verdict', text: `No node went NotReady after the flood in these runs: no evidence the runtime took the kubelet down here.${also}${cite(ids)}`, runs: ids });
    return out;
  }
  const val = (pick: (o: (typeof onsets)[number]['o']) => Maybe<number>) => onsets.map(({ o }) => pick(o)).filter((v): v is number => typeof v === 'number');
  const rt = val((o) => o.before.runtime!);
  const rtBase = val((o) => o.baseline.runtime!);
  const kl = val((o) => o.before.kubelet!);
  const limit = onsets.find((x) => x.limit !== null)?.limit ?? null;
  if (rt.length === 0) {
    out.push({ kind: 'verdict', text: `Runtime CPU before the ${onsets.length} NotReady onset(s) is unknown.${cite(ids)}`, runs: ids });
    return out;
  }
  const rtM = median(rt);
  const ratio = rtBase.length && median(rtBase) > 0 ? rtM / median(rtBase) : NaN;
  const klM = kl.length ? median(kl) : NaN;
  const consistent = Number.isFinite(ratio) && ratio >= 2 && (!Number.isFinite(klM) || rtM > klM);
  out.push({
    kind: 'verdict',
    text:
      `Before ${onsets.length} NotReady onset(s), the runtime used a median ${fmtNumber(rtM, 'cores')}` +
      `${limit !== null ? ` (${Math.round((rtM / limit) * 100)} % of the ${limit}-core node)` : ''}` +
      `${Number.isFinite(ratio) ? `, ${ratio.toFixed(1)}× its baseline` : ''}` +
      `${Number.isFinite(klM) ? `, while the kubelet used ${fmtNumber(klM, 'cores')}` : ''}. ` +
      (consistent
        ? 'This is consistent with the shared runtime crowding out the kubelet on the same node; it shows coincidence in time, not the mechanism.'
        : 'This does not single out the runtime: its load before the onsets was not clearly above its baseline or above the kubelet\u2019s.') +
      cite(ids),
    runs: ids,
  });
  return out;
}

/**
 * What users felt, per arm with its n: user-facing error minutes, the worst minute, and when users' traffic
 * was back beside when the platform was. Runs that sent no traffic say "not measured", never 0.
 */
export function usersFindings(arms: readonly ArmResult[], refs: (arm: string) => RunRef[]): Finding[] {
  const measured = arms.filter((a) => a.runs.length);
  const all = measured.flatMap((a) => a.runs);
  const withTraffic = measured.flatMap((a) => refs(a.arm)).filter((r) => r.summary.users);
  if (withTraffic.length === 0) {
    return [{ kind: 'note', text: `What users felt: ${NOT_MEASURED_NO_TRAFFIC.replace(/^not measured /, 'not measured in these runs ')}; a replay with \`--variant users\` sends it.${cite(all)}`, runs: all }];
  }
  return measured.map((a) => {
    const runs = refs(a.arm);
    const m = (key: string) => a.metrics[key] ?? metricSpread(metricByKey(key), runs);
    const say = (key: string) => describeSpread(m(key));
    if (!runs.some((r) => r.summary.users)) return { kind: 'note', text: `What users felt, ${a.label} (n = ${a.runs.length}): ${NOT_MEASURED_NO_TRAFFIC}.${cite(a.runs)}`, runs: a.runs };
    return {
      kind: 'note',
      text:
        `What users felt, ${a.label} (n = ${a.runs.length}): ${metricByKey('userErrorMinutes').label}: ${say('userErrorMinutes')}. ` +
        `Share of requests failed in the worst minute: ${say('userWorstMinuteShare')}. Users\u2019 traffic back after the restore: ${say('userRecoveryMs')} ` +
        `(the platform: ${say('timeToRecoverMs')}). Longest stale LB config: ${say('lbLongestStaleMs')}.${cite(a.runs)}`,
      runs: a.runs,
    };
  });
}

/**
 * Question 5's lead: per arm, in how many runs a node went NotReady after the cut, and the condition
 * messages those stretches carried, as the runs that named each cause ("PLEG is not healthy" in 2 of 3
 * runs). Said per arm, never compared: comparisons are the metric lines below, under their spread rules.
 */
export function notReadyCauseFindings(arms: readonly ArmResult[], refs: (arm: string) => RunRef[]): Finding[] {
  const out: Finding[] = [];
  for (const a of arms.filter((x) => x.runs.length)) {
    const runs = refs(a.arm);
    const ids = runs.map((r) => r.id);
    let emerged = 0;
    let unseen = 0;
    let noMessage = 0;
    const byCause = new Map<string, number>();
    for (const r of runs) {
      const s = r.summary;
      const after = s.cutAt ?? -Infinity;
      const stretches = s.nodes.notReadyIntervals.filter((iv) => iv.to > after);
      if (stretches.length === 0) {
        if (isUnknown(s.nodes.maxSimultaneousNotReady)) unseen++;
        continue;
      }
      emerged++;
      const causes = new Set((s.runtimeHealth?.notReady ?? []).filter((iv) => iv.to > after).flatMap((iv) => iv.causes));
      if (causes.size === 0) noMessage++;
      for (const c of causes) byCause.set(c, (byCause.get(c) ?? 0) + 1);
    }
    const n = runs.length;
    const causes = [...byCause].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([c, k]) => `\u201c${c}\u201d in ${k} of ${n} runs`);
    const text =
      `${a.label} (n = ${n}): a node went NotReady after the cut in ${emerged} of ${n} runs` +
      (unseen ? `; not seen throughout in ${unseen} more (node watch blind)` : '') +
      (causes.length ? `; condition messages: ${causes.join(', ')}` : '') +
      (noMessage ? `; ${noMessage} of them recorded no message (recorded before messages were kept, or the node gave none)` : '') +
      `.${cite(ids)}`;
    out.push({ kind: 'verdict', text, runs: ids });
  }
  return out;
}

/**
 * Which runs were measured on a busy machine: per arm, the runs whose flood had processes outside the
 * containers and the lab above HOST_DISTURBED_CORES in some sample, named with what ran, so a reader knows
 * which numbers were disturbed. Said only where some run was; runs that could not tell are counted in it.
 */
export function hostFindings(arms: readonly ArmResult[], refs: (arm: string) => RunRef[]): Finding[] {
  const out: Finding[] = [];
  for (const a of arms.filter((x) => x.runs.length)) {
    const runs = refs(a.arm).map((r) => ({ id: r.id, d: floodDisturbance(r.summary.host) }));
    const hit = runs.filter((r) => r.d.status === 'disturbed');
    if (hit.length === 0) continue;
    const unseen = runs.filter((r) => r.d.status === 'unknown').map((r) => r.id);
    const each = hit.map((r) => `${r.id}: ${r.d.status === 'disturbed' ? describeDisturbance(r.d) : ''}`);
    const ids = hit.map((r) => r.id);
    out.push({
      kind: 'note',
      text:
        `Other work on the machine, ${a.label} (n = ${runs.length}): in ${hit.length} of ${runs.length} runs processes outside the containers and the lab used more than ${HOST_DISTURBED_CORES} cores during the flood, so their figures may be disturbed: ${each.join('; ')}` +
        `${unseen.length ? `. Not known for ${unseen.length} more (${unseen.join(', ')}: not measured or not recorded)` : ''}.${cite(ids)}`,
      runs: ids,
    });
  }
  return out;
}
