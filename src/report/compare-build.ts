// Files for `lab compare` and `lab matrix`: the comparison page and the answers page, from run folders.
import * as path from 'node:path';
import { buildAnswers, groupRuns, type AnswerGroups, type Answers, type Grouping, type RunRef } from '../analysis/answers.ts';
import { fileStamp } from '../util/time.ts';
import { runsDir, ensureDir } from '../util/paths.ts';
import { renderAnswersPage } from './answers-page.ts';
import { analyseRunFolder, writeAtomic, type AnalysedRun } from './build.ts';
import { renderComparePage, type CompareRun } from './compare-page.ts';
import { REPORT_FILE } from './run-folder.ts';

export async function analyseRuns(dirs: readonly string[]): Promise<AnalysedRun[]> {
  const out: AnalysedRun[] = [];
  // One at a time: histories of long runs are large, and this keeps memory to one at once plus summaries.
  for (const d of dirs) out.push(await analyseRunFolder(d));
  return out;
}

const linkFrom = (page: string, run: AnalysedRun) => path.relative(path.dirname(page), path.join(run.folder.dir, REPORT_FILE));

export async function buildComparison(dirs: readonly string[], opts: { out?: string; now?: number } = {}): Promise<{ path: string; runs: CompareRun[] }> {
  const now = opts.now ?? Date.now();
  const out = opts.out ?? path.join(ensureDir(runsDir), `compare-${fileStamp(now)}.html`);
  const analysed = await analyseRuns(dirs);
  const runs: CompareRun[] = analysed.map((r) => ({ id: r.folder.id, analysis: r.analysis, scenario: r.folder.scenario, link: linkFrom(out, r) }));
  writeAtomic(out, renderComparePage(runs, now));
  return { path: out, runs };
}

export interface AnswersReport {
  path: string;
  answers: Answers;
  /** How the runs were sorted into arms (absent when the caller gave the groups). */
  grouping?: Grouping;
}

/**
 * The answers page for `lab matrix`: from run folders (grouped automatically by how their scenario
 * differs from the 2019 reference) or from groups the caller built (`groups`, see analysis/answers.ts).
 */
export async function buildAnswersReport(
  input: { dirs: readonly string[] } | { groups: AnswerGroups; dirsById?: Record<string, string> },
  opts: { out?: string; now?: number; title?: string; unmeasurable?: Record<string, string> } = {},
): Promise<AnswersReport> {
  const now = opts.now ?? Date.now();
  const out = opts.out ?? path.join(ensureDir(runsDir), `answers-${fileStamp(now)}.html`);
  let answers: Answers;
  let grouping: Grouping | undefined;
  const dirOf = new Map<string, string>();
  if ('dirs' in input) {
    const analysed = await analyseRuns(input.dirs);
    for (const a of analysed) dirOf.set(a.folder.id, a.folder.dir);
    const refs: RunRef[] = analysed.map((a) => ({ id: a.folder.id, summary: a.analysis.summary }));
    grouping = groupRuns(refs);
    answers = buildAnswers(grouping.groups, { unmeasurable: opts.unmeasurable ?? {} });
  } else {
    for (const [id, d] of Object.entries(input.dirsById ?? {})) dirOf.set(id, d);
    answers = buildAnswers(input.groups, { unmeasurable: opts.unmeasurable ?? {} });
  }
  writeAtomic(
    out,
    renderAnswersPage(answers, {
      generatedAt: now,
      ...(opts.title ? { title: opts.title } : {}),
      runLink: (id) => (dirOf.has(id) ? path.relative(path.dirname(out), path.join(dirOf.get(id)!, REPORT_FILE)) : undefined),
      ...(grouping ? { unused: grouping.unused } : {}),
    }),
  );
  return { path: out, answers, ...(grouping ? { grouping } : {}) };
}
