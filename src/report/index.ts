// Reports: one page per run, a comparison page, the answers page; all self-contained HTML.
export { buildRunReport, analyseRunFolder, writeAtomic } from './build.ts';
export type { AnalysedRun, BuiltReport } from './build.ts';
export { buildComparison, buildAnswersReport, analyseRuns } from './compare-build.ts';
export type { AnswersReport } from './compare-build.ts';
export { renderRunReport } from './run-page.ts';
export { renderComparePage, compareTable } from './compare-page.ts';
export type { CompareRun } from './compare-page.ts';
export { renderAnswersPage } from './answers-page.ts';
export { resolveRunDir, loadRunFolder, HISTORY_FILE, SCENARIO_FILE, VERSIONS_FILE, SUMMARY_FILE, REPORT_FILE } from './run-folder.ts';
export type { RunFolder } from './run-folder.ts';
