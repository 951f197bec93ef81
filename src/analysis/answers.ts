// The five questions of OUTAGE.md, answered from groups of runs. Every sentence cites the runs and the
// numbers behind it and says how many runs each arm has ("n = 1 each", "n = 3 vs 2"):
// - one run on either side has no spread, so nothing is called better or worse: "in the one run each:
//   X vs Y (no spread yet)";
// - with repeats, each arm shows its median and min–max, and a difference is called only when the ranges
//   do not overlap ("lower in all 3 runs, ranges 0–0 vs 9–12"); otherwise "mixed: ranges overlap";
// - a value the recorder did not see is "unknown in k of n runs", never a number in a median;
// - an arm without completed runs is "not measured", with the command that would measure it.
//
// The questions and their arms are data (questions/*.ts, listed in questions/index.ts): an arm is a
// scenario delta against the 2019 reference (sidecar, naive shipper reading files, one cluster, no gossip
// remedy), a question names its arms, its metrics, its base arm and the findings it adds. Input
// (`AnswerGroups`): for each question, its arms, each a list of analysed runs; `groupRuns` builds these
// groups from run summaries by how each run's scenario differs from the reference.
import type { ScenarioKey } from './analyze.ts';
import { metricByKey, USER_METRICS } from './catalog.ts';
import { cite, compareArms, describeSpread, hostFindings, metricSpread, tally, usersFindings, type ArmResult, type Comparison, type Finding, type RunRef } from './answer-findings.ts';
import { QUESTIONS, type ArmDef, type QuestionDef } from './questions/index.ts';
import { DEFAULT_RUNTIME } from '../runtime/index.ts';

export { describeSpread } from './answer-findings.ts';
export type { ArmResult, Finding, MetricSpread, RunRef } from './answer-findings.ts';

export type QuestionId = string;
/** For each question id, its arms' runs by arm id. */
export type AnswerGroups = Record<QuestionId, Partial<Record<string, RunRef[]>> | undefined>;

/** Each question's arm ids, in order (from the definitions). */
export const QUESTION_ARMS: Record<QuestionId, readonly string[]> = Object.fromEntries(QUESTIONS.map((q) => [q.id, q.arms.map((a) => a.id)]));

const ARMS = new Map<string, ArmDef>(QUESTIONS.flatMap((q) => q.arms.map((a) => [a.id, a] as const)));

/** The `lab matrix` arm (src/controller/matrix-plan.ts) that measures each answer arm. */
export const MATRIX_LABEL_OF_ARM: Record<string, string> = Object.fromEntries([...ARMS].flatMap(([id, a]) => ('matrix' in a.measure ? [[id, a.measure.matrix]] : [])));

const matrixLabelOf = (arm: string) => MATRIX_LABEL_OF_ARM[arm] ?? arm;

/** The command that would measure an arm, for "not measured" lines: the reader should not have to guess it. */
/** `scenario`: the scenario the answers' runs come from, named in the command unless it is the default. */
export function measureCommand(arm: string, scenario?: string): string {
  const m = ARMS.get(arm)?.measure;
  if (m && 'command' in m) return m.command;
  return `\`npx lab matrix ${scenarioArg(scenario)}--only ${matrixLabelOf(arm)}\``;
}

/** The matrix's scenario argument for a command the answers suggest: empty for the default, target-2019. */
export function scenarioArg(scenario: string | undefined): string {
  return scenario && scenario !== 'target-2019' ? `${scenario} ` : '';
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

/**
 * `unmeasurable`: arms (by matrix label) this lab cannot run, with why, e.g. a setting its Consul refuses;
 * they are said as such instead of "not measured" with a command that would only fail.
 */
export function buildAnswers(groups: AnswerGroups, opts: { unmeasurable?: Record<string, string> } = {}): Answers {
  const all = new Map<string, RunRef>();
  for (const q of Object.values(groups)) for (const refs of Object.values(q ?? {})) for (const r of refs ?? []) all.set(r.id, r);
  // Commands the page suggests name the scenario when every run came from one other than the default.
  const names = new Set([...all.values()].map((r) => r.summary.scenario?.name));
  const scenario = names.size === 1 ? [...names][0] : undefined;
  const questions = QUESTIONS.map((q, i) => answer(q, i + 1, groups, opts.unmeasurable ?? {}, scenario));
  return { questions, runs: [...all.values()].map((r) => ({ id: r.id, scenario: r.summary.scenario })) };
}

function answer(q: QuestionDef, number: number, groups: AnswerGroups, unmeasurable: Record<string, string>, scenario: string | undefined): Answer {
  const { id, title, question, baseArm, metrics } = q;
  const head = { id, number, title, question, baseArm, metrics };
  const refs = (arm: string) => groups[id]?.[arm] ?? [];
  const arms = q.arms.map((arm): ArmResult => {
    const runs = refs(arm.id);
    return { arm: arm.id, label: arm.label, runs: runs.map((r) => r.id), metrics: Object.fromEntries(metrics.map((k) => [k, metricSpread(metricByKey(k), runs)])) };
  });
  const measuredArms = arms.filter((a) => a.runs.length > 0);
  const notMeasured = arms
    .filter((a) => a.runs.length === 0)
    .map((a) => {
      const why = unmeasurable[matrixLabelOf(a.arm)];
      return why ? `${a.label}: cannot be measured with this lab: ${why}` : `${a.label}: not measured (no completed runs); to measure it: ${measureCommand(a.arm, scenario)}`;
    });
  const base = arms.find((a) => a.arm === baseArm)!;
  const ctx = { arms, refs, label: (arm: string) => arms.find((a) => a.arm === arm)?.label ?? arm };
  const findings: Finding[] = [];

  if (measuredArms.length === 0) {
    return { ...head, measured: false, arms, findings: [{ kind: 'verdict', text: 'Not measured: no runs for this question.', runs: [] }], notMeasured };
  }
  if (q.compare === false) findings.push(...(q.lead?.(ctx) ?? []));
  else if (q.pairs) {
    findings.push(...(q.lead?.(ctx) ?? []));
    const byId = (id: string) => arms.find((a) => a.arm === id)!;
    const ready = q.pairs.map(([b, o]) => [byId(b), byId(o)] as const).filter(([b, o]) => b.runs.length > 0 && o.runs.length > 0);
    if (ready.length === 0) {
      const wanted = q.pairs.map(([b, o]) => `${byId(o).label} vs ${byId(b).label}`).join('; ');
      findings.push({ kind: 'note', text: `Nothing compared yet: each comparison (${wanted}) needs runs on both sides.`, runs: measuredArms.flatMap((a) => a.runs) });
    }
    for (const [b, o] of ready) compareInto(findings, q, b, o, metrics, scenario);
    findings.push(...(q.trail?.(ctx) ?? []));
  } else if (base.runs.length === 0) {
    findings.push({ kind: 'note', text: `Not measured: the reference arm (${base.label}) has no runs, so nothing can be compared against it; to measure it: ${measureCommand(base.arm, scenario)}.`, runs: [] });
  } else {
    findings.push(...(q.lead?.(ctx) ?? []));
    const others = measuredArms.filter((a) => a !== base);
    if (others.length === 0) findings.push({ kind: 'note', text: `Only ${base.label} was measured; the other arms are not measured.`, runs: base.runs });
    for (const o of others) compareInto(findings, q, base, o, metrics, scenario);
    findings.push(...(q.trail?.(ctx) ?? []));
  }
  // Every question that lists what users felt says it per arm, with n, whether or not its arms compare.
  if (metrics.some((k) => (USER_METRICS as readonly string[]).includes(k))) findings.push(...usersFindings(arms, refs));
  // Every question says which of its runs were measured beside other work on the machine.
  findings.push(...hostFindings(arms, refs));
  return { ...head, measured: true, arms, findings, notMeasured };
}

/** One arm against another on every metric (existing helpers word it: no call without spread and without overlap). */
function compareInto(findings: Finding[], q: QuestionDef, base: ArmResult, other: ArmResult, metrics: readonly string[], scenario: string | undefined): void {
  const cmp = metrics.map((k) => compareArms(base, other, k)).filter((c): c is Comparison => c !== null);
  if (q.tally) findings.push(tally(base, other, cmp, matrixLabelOf, scenarioArg(scenario)));
  findings.push(...cmp.map((c) => c.finding));
}

/** Deltas of runs made with a setting since withdrawn, and why they answer nothing. */
const WITHDRAWN: Partial<Record<keyof ScenarioKey, string>> = {
  // Runs made before the setting was withdrawn: it created no key, so they were never encrypted.
  gossipEncryption: 'consul.gossipEncryption on-from-start created no gossip key (withdrawn): not an encrypted run',
};

/** Whether a run whose scenario differs from the reference in exactly the fields `diff` belongs to this arm. */
function armTakes(a: ArmDef, diff: readonly (keyof ScenarioKey)[], k: ScenarioKey): boolean {
  if (typeof a.runs !== 'object') return false;
  const { field, value, with: also = {} } = a.runs;
  const wanted = new Set<keyof ScenarioKey>([field, ...(Object.keys(also) as (keyof ScenarioKey)[])]);
  if (wanted.size !== diff.length || !diff.every((f) => wanted.has(f))) return false;
  if (value !== undefined && value !== k[field]) return false;
  return (Object.entries(also) as [keyof ScenarioKey, unknown][]).every(([f, v]) => k[f] === v);
}
const REFERENCE: Partial<ScenarioKey> = {
  runtime: DEFAULT_RUNTIME,
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

/** Sort runs into the questions' arms by how their scenario differs from the 2019 reference (each arm's `runs`). */
export function groupRuns(runs: readonly RunRef[], scenarioName?: string): Grouping {
  const names = runs.map((r) => r.summary.scenario?.name).filter((n): n is string => !!n);
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  const name = scenarioName ?? [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const groups: AnswerGroups = {};
  const unused: Grouping['unused'] = [];
  const put = (q: QuestionId, arm: string, r: RunRef) => {
    const g = (groups[q] ??= {});
    (g[arm] ??= []).push(r);
  };
  const armsWhere = (take: (a: ArmDef) => boolean) => QUESTIONS.flatMap((q) => q.arms.filter(take).map((a) => [q.id, a.id] as const));
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
    // Summaries before `runtime` existed, and every containerd run, carry none: they ran containerd.
    const key: ScenarioKey = { ...k, runtime: k.runtime ?? DEFAULT_RUNTIME };
    const diff = (Object.keys(REFERENCE) as (keyof ScenarioKey)[]).filter((f) => key[f] !== REFERENCE[f]);
    for (const [q, arm] of armsWhere((a) => a.runs === 'all')) put(q, arm, r);
    if (diff.length === 0) {
      for (const [q, arm] of armsWhere((a) => a.runs === 'reference')) put(q, arm, r);
      continue;
    }
    const takers = armsWhere((a) => armTakes(a, diff, key));
    if (takers.length === 0) {
      unused.push({ id: r.id, why: diff.length > 1 ? `differs from the reference in ${diff.join(', ')}` : (WITHDRAWN[diff[0]!] ?? `changes ${diff[0]}, which no question compares`) });
    }
    for (const [q, arm] of takers) put(q, arm, r);
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
      lines.push(`| metric | ${measured.map((x) => `${x.label} (n = ${x.runs.length})`).join(' | ')} |`, `|---|${measured.map(() => '---').join('|')}|`);
      for (const k of q.metrics) lines.push(`| ${metricByKey(k).label} | ${measured.map((x) => describeSpread(x.metrics[k]!)).join(' | ')} |`);
      lines.push('');
    }
  }
  return lines.join('\n');
}
