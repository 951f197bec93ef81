// `lab report` and the end of `lab replay`: analyse a run folder and write summary.json and report.html
// beside its history.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeRun, summaryToJson, type RunAnalysis } from '../analysis/analyze.ts';
import { loadRunFolder, REPORT_FILE, SUMMARY_FILE, type RunFolder } from './run-folder.ts';
import { renderRunReport } from './run-page.ts';

export interface AnalysedRun {
  folder: RunFolder;
  analysis: RunAnalysis;
}

export async function analyseRunFolder(dir: string): Promise<AnalysedRun> {
  const folder = await loadRunFolder(dir);
  const analysis = analyzeRun({
    records: folder.history.records,
    warnings: [...folder.history.warnings, ...folder.notes.map((message) => ({ kind: 'bad-line' as const, message }))],
    scenario: folder.scenario,
    versions: folder.versions,
    runId: folder.id,
  });
  return { folder, analysis };
}

export interface BuiltReport extends AnalysedRun {
  summaryPath: string;
  reportPath: string;
}

/** Write summary.json and report.html into the run folder; returns their paths and the analysis. */
export async function buildRunReport(dir: string, now: number = Date.now()): Promise<BuiltReport> {
  const run = await analyseRunFolder(dir);
  const summaryPath = path.join(dir, SUMMARY_FILE);
  const reportPath = path.join(dir, REPORT_FILE);
  writeAtomic(summaryPath, summaryToJson(run.analysis.summary));
  writeAtomic(
    reportPath,
    renderRunReport({
      analysis: run.analysis,
      scenario: run.folder.scenario,
      versions: run.analysis.summary.versions,
      runId: run.folder.id,
      synthetic: run.folder.synthetic,
      generatedAt: now,
    }),
  );
  return { ...run, summaryPath, reportPath };
}

/** Readers (a browser reloading the report) never see half a file. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
