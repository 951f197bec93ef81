// Analysis: pure functions from a run's history to metrics, lineage, comparisons and answers.
export { analyzeRun, summaryToJson, scenarioKey, SUMMARY_SCHEMA } from './analyze.ts';
export type { AnalyzeInput, RunAnalysis, RunSummary, RunSeries, ScenarioKey, FaultMark } from './analyze.ts';
export { isKnown, isUnknown, known, unknown } from './unknown.ts';
export type { Maybe, Unknown } from './unknown.ts';
export type { BlindSpot } from './coverage.ts';
export type { LineageLink, LineageTreeNode } from './lineage.ts';
export { buildAnswers, groupRuns, answersMarkdown, describeSpread, QUESTION_ARMS } from './answers.ts';
export type { AnswerGroups, Answers, Answer, ArmResult, Finding, Grouping, QuestionId, RunRef } from './answers.ts';
export { METRICS, metricByKey, peakOverNodes, floodPhaseLabel } from './catalog.ts';
export type { MetricDef } from './catalog.ts';
export { splitAnalysis, clusterHistory, clusterIndices } from './split.ts';
export type { SplitMetrics, ClusterFigures } from './split.ts';
export { usersAnalysis, ERROR_MINUTE_THRESHOLD, NO_TRAFFIC } from './users.ts';
export type { UsersMetrics, UsersSeries, UsersRecovery } from './users.ts';
