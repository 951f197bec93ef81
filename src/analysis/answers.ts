// The five questions of OUTAGE.md, answered from groups of runs. Every sentence cites the runs and the
// numbers behind it; every comparison shows the spread over repeats (min / median / max), and calls a
// difference only when the ranges do not overlap. A question (or an arm of it) without runs says
// "not measured" instead of guessing.
//
// Input (`AnswerGroups`): for each question, its arms, each a list of analysed runs:
//   q1 shipper behaviour   naive | backoff | ratelimited | drop-oldest | kubelet-api (naive, logs read through the kubelet)
//   q2 gossip remedies     baseline | gossip-encryption | leave-on-terminate | short-reconnect | encrypted-from-start
//   q3 DaemonSet vs sidecar sidecar | daemonset
//   q4 cluster size        one | two (same total capacity split in two clusters)
//   q5 runtime vs kubelet  all (any runs; their NotReady onsets are pooled)
// `groupRuns` builds these groups from run summaries by how each run's scenario differs from the 2019
// reference (sidecar, naive shipper reading files, one cluster, no gossip remedy).
import type { RunSummary, ScenarioKey } from './analyze.ts';
import { metricByKey, type MetricDef } from './catalog.ts';
import { PRESSURE_CONDITIONS, type PressureCondition } from './nodes.ts';
import { median, spread, type Spread } from './stats.ts';
import { fmtNumber } from './text.ts';
import { isUnknown, type Maybe, type Unknown } from './unknown.ts';

export interface RunRef {
  id: string;
  summary: RunSummary;
}

export const QUESTION_ARMS = {
  q1: ['naive', 'backoff', 'ratelimited', 'drop-oldest', 'kubelet-api'],
  q2: ['baseline', 'gossip-encryption', 'leave-on-terminate', 'short-reconnect', 'encrypted-from-start'],
  q3: ['sidecar', 'daemonset'],
  q4: ['one', 'two'],
  q5: ['all'],
} as const;

export type QuestionId = keyof typeof QUESTION_ARMS;
export type ArmOf<Q extends QuestionId> = (typeof QUESTION_ARMS)[Q][number];
export type AnswerGroups = { [Q in QuestionId]?: Partial<Record<ArmOf<Q>, RunRef[]>> };

const ARM_LABELS: Record<string, string> = {
  naive: 'naive shipper',
  backoff: 'jittered backoff',
  ratelimited: 'rate-limited',
  'drop-oldest': 'bounded, drop oldest',
  'kubelet-api': 'naive, via kubelet logs API',
  baseline: 'no remedy',
  'gossip-encryption': 'gossip encryption turned on after the flood',
  'leave-on-terminate': 'leave on terminate',
  'short-reconnect': 'short reconnect timeout',
  'encrypted-from-start': 'encrypted from the start',
  sidecar: 'sidecars',
  daemonset: 'DaemonSets',
  one: 'one cluster',
  two: 'two half-size clusters',
  all: 'all runs',
};

const QUESTIONS: Record<QuestionId, { title: string; question: string; baseArm: string; metrics: string[] }> = {
  q1: {
    title: 'Why could log shippers overload the node?',
    question: 'Which part saturates (runtime, kubelet, shims, the shipper), at what flood rate and buffer size, and which shipper behaviour keeps nodes healthy (no NotReady, no memory, disk or PID pressure)?',
    baseArm: 'naive',
    metrics: ['maxNotReady', 'notReadyNodeSeconds', 'maxPressure', 'pressureNodeSeconds', 'runtimeCpuPeak', 'kubeletCpuPeak', 'shimsCpuPeak', 'nodeCpuPeak', 'peakBuffered', 'peakDeliveredRate', 'deliveredRatio', 'dropped', 'lostWithPods', 'timeToRecoverMs'],
  },
  q2: {
    title: 'Why did the gossip not calm down?',
    question: 'After Kubernetes settled, do failed members linger, and do reconnect timeouts, leave-on-terminate or gossip encryption clear them?',
    baseArm: 'baseline',
    metrics: ['poolPeakFailed', 'failedAtEnd', 'failedSettleMs', 'poolSizeBackMs', 'gossipPeak', 'consulP99Observe', 'vaultP99Observe', 'timeToRecoverMs'],
  },
  q3: {
    title: 'Are DaemonSets better than sidecars?',
    question: 'One shipper and one Consul agent per node instead of per pod: CPU peak, NotReady nodes, nodes under pressure, pods moved, pool size, time to recover.',
    baseArm: 'sidecar',
    metrics: ['runtimeCpuPeak', 'nodeCpuPeak', 'maxNotReady', 'notReadyNodeSeconds', 'maxPressure', 'pressureNodeSeconds', 'podsRescheduled', 'poolPeak', 'consulP99Flood', 'deliveredRatio', 'timeToRecoverMs'],
  },
  q4: {
    title: 'Several small clusters or one large?',
    question: 'Same total capacity, split in two or not: how far does the failure reach (blast radius)?',
    baseArm: 'one',
    metrics: ['notReadyFraction', 'maxNotReady', 'rescheduledFraction', 'podsRescheduled', 'poolPeak', 'consulP99Flood', 'vaultP99Flood', 'timeToRecoverMs'],
  },
  q5: {
    title: 'Is the shared runtime daemon the single point of failure?',
    question: 'The runtime\u2019s own CPU during the flood and its relation to kubelet health.',
    baseArm: 'all',
    metrics: ['runtimeCpuPeak', 'kubeletCpuPeak', 'shimsCpuPeak', 'maxNotReady', 'maxPressure'],
  },
};

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

export interface Answer {
  id: QuestionId;
  number: number;
  title: string;
  question: string;
  measured: boolean;
  metrics: string[];
  arms: ArmResult[];
  findings: Finding[];
  notMeasured: string[];
}

export interface Answers {
  questions: Answer[];
  runs: { id: string; scenario: ScenarioKey | null }[];
}

function metricSpread(def: MetricDef, runs: readonly RunRef[]): MetricSpread {
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

/** "0.38 cores (0.31–0.44, n=3)", "never in 3/3", "≥ 0.40 cores in 1/3" or "not measured". */
export function describeSpread(m: MetricSpread): string {
  const n = m.values.length;
  const parts: string[] = [];
  if (m.spread) {
    const s = m.spread;
    parts.push(s.n === 1 ? fmtNumber(s.median, m.unit) : `${fmtNumber(s.median, m.unit)} (${fmtNumber(s.min, m.unit)}–${fmtNumber(s.max, m.unit)}, n=${s.n})`);
  }
  if (m.nulls) parts.push(`${m.nullText ?? 'none'} in ${m.nulls}/${n}`);
  const bounded = m.values.map((v) => v.value).filter((v): v is Unknown => v !== null && isUnknown(v));
  const lower = bounded.filter((u) => u.bound === 'lower' && u.observed !== undefined).map((u) => u.observed!);
  const upper = bounded.filter((u) => u.bound === 'upper' && u.observed !== undefined).map((u) => u.observed!);
  if (lower.length) parts.push(`≥ ${fmtNumber(Math.min(...lower), m.unit)} in ${lower.length}/${n} (recorder partly blind)`);
  if (upper.length) parts.push(`≤ ${fmtNumber(Math.max(...upper), m.unit)} in ${upper.length}/${n} (recorder partly blind)`);
  const blind = bounded.length - lower.length - upper.length;
  if (blind) parts.push(`unknown in ${blind}/${n}`);
  return parts.join('; ') || 'not measured';
}

/**
 * Each run's value as an interval: a number is a point, "never"/"not recovered" is +infinity, a bound
 * from a partly blind recorder is half open, an unknown is everything. An arm is the union of its runs.
 */
function interval(m: MetricSpread): { lo: number; hi: number; unknown: number } {
  let lo = Infinity;
  let hi = -Infinity;
  let unknowns = 0;
  for (const { value: v } of m.values) {
    let a: number;
    let b: number;
    if (typeof v === 'number') a = b = v;
    else if (v === null) a = b = Infinity;
    else if (v.bound === 'lower' && v.observed !== undefined) [a, b] = [v.observed, Infinity];
    else if (v.bound === 'upper' && v.observed !== undefined) [a, b] = [-Infinity, v.observed];
    else {
      [a, b] = [-Infinity, Infinity];
      unknowns++;
    }
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  }
  return { lo, hi, unknown: unknowns };
}

function compareArms(base: ArmResult, other: ArmResult, key: string): Finding | null {
  const a = base.metrics[key];
  const b = other.metrics[key];
  if (!a || !b || a.values.length === 0 || b.values.length === 0) return null;
  const runs = [...base.runs, ...other.runs];
  const head = `${a.label}: ${other.label} ${describeSpread(b)} vs ${base.label} ${describeSpread(a)}`;
  const ia = interval(a);
  const ib = interval(b);
  if (ia.unknown || ib.unknown) return { kind: 'comparison', text: `${head}: cannot compare (unknown in ${ia.unknown + ib.unknown} run(s))`, runs };
  let verdict: string;
  if (ia.lo === ia.hi && ib.lo === ib.hi && ia.lo === ib.lo) verdict = 'the same';
  else if (ib.hi < ia.lo || ib.lo > ia.hi) {
    const lower = ib.hi < ia.lo;
    const good = a.better === null ? '' : (a.better === 'lower') === lower ? ' (better)' : ' (worse)';
    verdict = `${lower ? 'lower' : 'higher'} in every run${good}`;
  } else verdict = 'ranges overlap: no clear difference';
  return { kind: 'comparison', text: `${head}: ${verdict}`, runs };
}

const cite = (runs: readonly string[]) => (runs.length ? ` [runs: ${runs.join(', ')}]` : '');

export function buildAnswers(groups: AnswerGroups): Answers {
  const all = new Map<string, RunRef>();
  for (const q of Object.values(groups)) for (const refs of Object.values(q ?? {}) as (RunRef[] | undefined)[]) for (const r of refs ?? []) all.set(r.id, r);
  const questions = (Object.keys(QUESTIONS) as QuestionId[]).map((id, i) => answer(id, i + 1, groups));
  return { questions, runs: [...all.values()].map((r) => ({ id: r.id, scenario: r.summary.scenario })) };
}

function answer(id: QuestionId, number: number, groups: AnswerGroups): Answer {
  const q = QUESTIONS[id];
  const arms = (QUESTION_ARMS[id] as readonly string[]).map((arm): ArmResult => {
    const runs = ((groups[id] as Record<string, RunRef[] | undefined> | undefined)?.[arm] ?? []) as RunRef[];
    return {
      arm,
      label: ARM_LABELS[arm] ?? arm,
      runs: runs.map((r) => r.id),
      metrics: Object.fromEntries(q.metrics.map((k) => [k, metricSpread(metricByKey(k), runs)])),
    };
  });
  const measuredArms = arms.filter((a) => a.runs.length > 0);
  const notMeasured = arms.filter((a) => a.runs.length === 0).map((a) => `${a.label}: not measured (no runs)`);
  const base = arms.find((a) => a.arm === q.baseArm)!;
  const findings: Finding[] = [];
  const refs = (arm: string) => ((groups[id] as Record<string, RunRef[] | undefined> | undefined)?.[arm] ?? []) as RunRef[];

  if (measuredArms.length === 0) {
    return { id, number, ...q, measured: false, arms, findings: [{ kind: 'verdict', text: 'Not measured: no runs for this question.', runs: [] }], notMeasured };
  }
  if (id === 'q5') findings.push(...runtimeFindings(refs('all')), ...pressureFindings(refs('all'), 'runs'));
  else if (base.runs.length === 0) {
    findings.push({ kind: 'note', text: `Not measured: the reference arm (${base.label}) has no runs, so nothing can be compared against it.`, runs: [] });
  } else {
    if (id === 'q1') {
      const naive = refs('naive').concat(refs('kubelet-api'));
      findings.push(...saturationFindings(naive), ...pressureFindings(naive, 'naive runs'), ...preventionFindings(arms, refs));
    }
    if (id === 'q2') findings.push(...lingerFindings(arms));
    const others = measuredArms.filter((a) => a !== base);
    if (others.length === 0) findings.push({ kind: 'note', text: `Only ${base.label} was measured; the other arms are not measured.`, runs: base.runs });
    for (const o of others) {
      const cmp = q.metrics.map((k) => compareArms(base, o, k)).filter((f): f is Finding => f !== null);
      if (id === 'q3' || id === 'q4') findings.push(tally(base, o, cmp));
      findings.push(...cmp);
    }
    if (id === 'q3') findings.push(...preventionFindings(arms, refs).map((f): Finding => ({ ...f, kind: 'note' })));
  }
  return { id, number, ...q, measured: true, arms, findings, notMeasured };
}

/** "DaemonSets vs sidecars: better on 4, worse on 1, no clear difference on 3 of 8 metrics." */
function tally(base: ArmResult, other: ArmResult, cmp: Finding[]): Finding {
  const count = (re: RegExp) => cmp.filter((f) => re.test(f.text)).length;
  const better = count(/\(better\)$/);
  const worse = count(/\(worse\)$/);
  const unclear = cmp.length - better - worse;
  return {
    kind: 'verdict',
    text: `${other.label} compared with ${base.label}: better on ${better}, worse on ${worse}, no clear difference or not comparable on ${unclear} of ${cmp.length} metrics (a difference counts only when the min–max ranges over repeats do not overlap).${cite([...base.runs, ...other.runs])}`,
    runs: [...base.runs, ...other.runs],
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
function preventionFindings(arms: ArmResult[], refs: (arm: string) => RunRef[]): Finding[] {
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
function pressureFindings(runs: readonly RunRef[], what: string): Finding[] {
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
    `Nodes came under pressure in ${hit.length} of ${runs.length} ${what}: ${pressureCounts(runs)}; at most ${most} node(s) at once` +
    (ready ? `; in ${ready} of them no node went NotReady (the kubelets kept posting status and evicted pods)` : '') +
    (early.length ? `; in ${early.length} the pressure was already there when the flood started${beforeCut ? ` (in ${beforeCut} since before the cut)` : ''}, so the flood did not start it` : '') +
    `.${cite(hitIds)}`;
  return [{ kind: 'note', text, runs: hitIds }];
}

function saturationFindings(runs: RunRef[]): Finding[] {
  if (runs.length === 0) return [];
  const ids = runs.map((r) => r.id);
  const onsets = runs.flatMap((r) => r.summary.runtime.onsets.map((o) => ({ run: r.id, o, limit: r.summary.cpu.limitCores })));
  const out: Finding[] = [];
  const buffered = metricSpread(metricByKey('peakBuffered'), runs);
  const rate = metricSpread(metricByKey('peakDeliveredRate'), runs);
  const sc = runs[0]!.summary.scenario;
  out.push({
    kind: 'note',
    text: `Flood size in the naive runs: shippers held ${describeSpread(buffered)} lines at the peak and Kafka received up to ${describeSpread(rate)}${sc ? ` (${sc.replicas} app pods, scenario ${sc.name})` : ''}.${cite(ids)}`,
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

function lingerFindings(arms: ArmResult[]): Finding[] {
  const out: Finding[] = [];
  for (const a of arms.filter((x) => x.runs.length)) {
    const end = a.metrics.failedAtEnd!;
    const settle = a.metrics.failedSettleMs!;
    out.push({
      kind: 'verdict',
      text: `${a.label}: failed members peaked at ${describeSpread(a.metrics.poolPeakFailed!)}, ${describeSpread(end)} still failed at the end; failed count back to baseline after ${describeSpread(settle)}.${cite(a.runs)}`,
      runs: a.runs,
    });
  }
  return out;
}

function runtimeFindings(runs: RunRef[]): Finding[] {
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
  const fmt = (xs: number[]) => (xs.length ? `${fmtNumber(median(xs), 'cores')} (${fmtNumber(Math.min(...xs), 'cores')}–${fmtNumber(Math.max(...xs), 'cores')}, ${xs.length} nodes)` : 'no nodes');
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

const REFERENCE: Partial<ScenarioKey> = {
  variant: 'sidecar',
  shipperMode: 'naive',
  shipperSource: 'file',
  clusters: 1,
  faultMode: 'cut',
  leaveOnTerminate: false,
  advertiseReconnectTimeoutMs: null,
  gossipEncryption: 'off',
  remedy: null,
};

export interface Grouping {
  groups: AnswerGroups;
  /** The scenario the runs were grouped under (the most common one). */
  scenario: string | null;
  /** Runs that fit no arm (another scenario, or more than one change from the reference). */
  unused: { id: string; why: string }[];
}

/** Sort runs into the arms of the five questions by how their scenario differs from the 2019 reference. */
export function groupRuns(runs: readonly RunRef[], scenarioName?: string): Grouping {
  const names = runs.map((r) => r.summary.scenario?.name).filter((n): n is string => !!n);
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  const name = scenarioName ?? [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const groups: AnswerGroups = {};
  const unused: Grouping['unused'] = [];
  const put = <Q extends QuestionId>(q: Q, arm: ArmOf<Q>, r: RunRef) => {
    const g = (groups[q] ??= {}) as Partial<Record<ArmOf<Q>, RunRef[]>>;
    (g[arm] ??= []).push(r);
  };
  for (const r of runs) {
    const k = r.summary.scenario;
    if (!k) {
      unused.push({ id: r.id, why: 'no scenario.json' });
      continue;
    }
    if (k.name !== name) {
      unused.push({ id: r.id, why: `scenario ${k.name}, not ${name}` });
      continue;
    }
    const diff = (Object.keys(REFERENCE) as (keyof ScenarioKey)[]).filter((f) => k[f] !== REFERENCE[f]);
    put('q5', 'all', r);
    if (diff.length === 0) {
      put('q1', 'naive', r);
      put('q2', 'baseline', r);
      put('q3', 'sidecar', r);
      put('q4', 'one', r);
    } else if (diff.length > 1) unused.push({ id: r.id, why: `differs from the reference in ${diff.join(', ')}` });
    else if (diff[0] === 'shipperMode') put('q1', k.shipperMode as ArmOf<'q1'>, r);
    else if (diff[0] === 'shipperSource') put('q1', 'kubelet-api', r);
    else if (diff[0] === 'variant') put('q3', 'daemonset', r);
    else if (diff[0] === 'clusters') put('q4', 'two', r);
    else if (diff[0] === 'remedy') put('q2', 'gossip-encryption', r);
    else if (diff[0] === 'leaveOnTerminate') put('q2', 'leave-on-terminate', r);
    else if (diff[0] === 'advertiseReconnectTimeoutMs') put('q2', 'short-reconnect', r);
    else if (diff[0] === 'gossipEncryption') put('q2', 'encrypted-from-start', r);
    else unused.push({ id: r.id, why: `changes ${diff[0]}, which no question compares` });
  }
  return { groups, scenario: name, unused };
}

/** The answers as Markdown, for notes and terminals: each question's findings with their citations. */
export function answersMarkdown(a: Answers): string {
  const lines: string[] = [];
  for (const q of a.questions) {
    lines.push(`### ${q.number}. ${q.title}`, '', `_${q.question}_`, '');
    for (const f of q.findings) lines.push(`- ${f.text}`);
    for (const n of q.notMeasured) lines.push(`- ${n}`);
    lines.push('');
    const measured = q.arms.filter((x) => x.runs.length);
    if (measured.length) {
      lines.push(`| metric | ${measured.map((x) => x.label).join(' | ')} |`, `|---|${measured.map(() => '---').join('|')}|`);
      for (const k of q.metrics) lines.push(`| ${metricByKey(k).label} | ${measured.map((x) => describeSpread(x.metrics[k]!)).join(' | ')} |`);
      lines.push('');
    }
  }
  return lines.join('\n');
}

