import type { ScenarioKey } from '../analyze.ts';
import type { ArmResult, Finding, RunRef } from '../answer-findings.ts';

/** The run every question compares against: the 2019 reference as a matrix arm. */
export const REFERENCE_RUN = { matrix: 'sidecar', variants: ['sidecar'] } as const;

/**
 * One arm of a question: a scenario delta against the 2019 reference (groupRuns sorts runs by it) and how
 * to measure it. `runs`: the reference itself, every run of the scenario (pooled), or the reference with
 * one field changed, to `value` or to any other value.
 */
export interface ArmDef {
  id: string;
  label: string;
  runs: 'reference' | 'all' | ArmDelta;
  /** The `lab matrix` arm that measures it (label and variants against the reference scenario), or the command when it is not one. */
  measure: { matrix: string; variants: readonly string[] } | { command: string };
}

/**
 * The reference with `field` changed (to `value`, or to anything else when absent), and with each field of
 * `with` changed to exactly that value too: a run belongs to the arm when these are all its differences.
 */
export interface ArmDelta {
  field: keyof ScenarioKey;
  value?: ScenarioKey[keyof ScenarioKey];
  with?: Partial<ScenarioKey>;
}

/** What a question's own findings see: its arms with their spreads, and the runs of each arm. */
export interface QuestionContext {
  arms: ArmResult[];
  refs(arm: string): RunRef[];
  label(arm: string): string;
}

/**
 * One question of the answers page: its arms, the metrics compared, the arm everything is compared with,
 * and the findings it adds to the comparison. Adding a question is one file and one entry in index.ts.
 */
export interface QuestionDef {
  id: string;
  title: string;
  question: string;
  baseArm: string;
  metrics: string[];
  arms: ArmDef[];
  /** false: the arms are not compared with the base (pooled runs); only `lead` speaks. */
  compare?: false;
  /**
   * Which arms are compared, each pair [base, other]; default: the base arm with every other. Pairs let one
   * question hold two comparisons of one change each (DaemonSet vs sidecar on each runtime) without
   * comparing arms that differ in two things.
   */
  pairs?: readonly (readonly [string, string])[];
  /** A line per arm pair counting better/worse metrics before the metric comparisons. */
  tally?: boolean;
  /** Findings before the comparisons. */
  lead?(c: QuestionContext): Finding[];
  /** Findings after the comparisons. */
  trail?(c: QuestionContext): Finding[];
}
