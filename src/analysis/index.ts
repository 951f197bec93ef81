// Analysis: pure functions from a run's history to metrics, lineage, comparisons and answers.
export { analyzeRun, summaryToJson, scenarioKey, SUMMARY_SCHEMA } from './analyze.ts';
export type { AnalyzeInput, RunAnalysis, RunSummary, RunSeries, ScenarioKey, FaultMark } from './analyze.ts';
export { isKnown, isUnknown, known, unknown } from './unknown.ts';
export type { Maybe, Unknown } from './unknown.ts';
export type { BlindSpot } from './coverage.ts';
export type { LineageLink, LineageTreeNode } from './lineage.ts';
