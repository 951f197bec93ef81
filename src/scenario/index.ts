export { loadScenario, resolveLayers, listVariants, parseSetArgs, contentHash, canonicalJson, DEFAULT_VARIANTS_DIR, DEFAULT_SCENARIOS_DIR, OVERRIDES_SOURCE } from './load.ts';
export type { LoadOptions, VariantInfo } from './load.ts';
export { ScenarioError, formatIssue } from './errors.ts';
export type { ScenarioIssue } from './errors.ts';
export { describeScenario, phaseLine, phaseAt } from './summary.ts';
export * from './types.ts';
