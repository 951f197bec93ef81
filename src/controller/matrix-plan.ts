import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateScenario } from '../scenario/validate.ts';
import { runsDir } from '../util/paths.ts';

/** One arm of the matrix: a scenario with variants, to be run `repeat` times. */
export interface MatrixArm {
  question: string;
  label: string;
  variants: string[];
}

/** The runs that answer the incident's questions (OUTAGE.md); the first arm of each is its reference. */
export const MATRIX: MatrixArm[] = [
  { question: 'q3', label: 'sidecar', variants: ['sidecar'] },
  { question: 'q3', label: 'daemonset', variants: ['daemonset'] },
  { question: 'q1', label: 'backoff', variants: ['shipper-backoff'] },
  { question: 'q1', label: 'ratelimited', variants: ['shipper-ratelimited'] },
  { question: 'q1', label: 'drop-oldest', variants: ['shipper-drop-oldest'] },
  { question: 'q1', label: 'kubelet-api', variants: ['kubelet-api'] },
  { question: 'q2', label: 'gossip-encryption', variants: ['gossip-encryption'] },
  { question: 'q2', label: 'leave-on-terminate', variants: ['leave-on-terminate'] },
  { question: 'q2', label: 'short-reconnect', variants: ['short-reconnect'] },
  // Labelled like its variant so `--only split-clusters` works unquoted (the answers page prints that command).
  { question: 'q4', label: 'split-clusters', variants: ['split-clusters'] },
];

export interface PlannedArm extends MatrixArm {
  /** Empty when the arm does not validate (see `unsupported`). */
  hash: string;
  /** Completed runs already in runs/ with exactly this resolved scenario. */
  done: string[];
  /** Why the arm cannot run here, if it cannot. */
  unsupported?: string;
}

/** A run counts once it completed: its history ends with the controller's "run completed" note. */
function completedRunsByHash(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!existsSync(runsDir)) return out;
  for (const id of readdirSync(runsDir).sort()) {
    const dir = join(runsDir, id);
    const scen = join(dir, 'scenario.json');
    const hist = join(dir, 'history.jsonl');
    if (!existsSync(scen) || !existsSync(hist)) continue;
    try {
      const hash = (JSON.parse(readFileSync(scen, 'utf8')) as { hash?: string }).hash;
      if (!hash || !readFileSync(hist, 'utf8').includes('"text":"run completed"')) continue;
      out.set(hash, [...(out.get(hash) ?? []), dir]);
    } catch {
      continue;
    }
  }
  return out;
}

/**
 * The matrix for a scenario file: each arm's resolved hash and the completed runs that can be reused.
 * Each arm is validated on its own, without Docker (`lab validate`'s checks): an arm that does not
 * validate is marked unsupported with its own problem, and the other arms still plan.
 */
export function planMatrix(scenarioFile: string, only?: string[]): PlannedArm[] {
  const done = completedRunsByHash();
  return MATRIX.filter((a) => !only?.length || only.includes(a.question) || only.includes(a.label)).map((arm) => {
    const v = validateScenario(scenarioFile, { variants: arm.variants });
    const hash = v.scenario?.hash ?? '';
    return { ...arm, hash, done: hash ? (done.get(hash) ?? []) : [], ...(v.ok ? {} : { unsupported: v.problems.join('; ') }) };
  });
}

/** What `lab matrix` does with a plan: the completed runs it reuses, and the runs it still has to make. */
export interface MatrixWork {
  /** Run folders that go into the answers page, at most `repeat` an arm. */
  reuse: string[];
  /** Replays to start, in order: the arm and which repeat (1-based) it is. */
  toRun: { arm: PlannedArm; repeat: number }[];
}

/**
 * `reportOnly` (--report-only) rebuilds the answers from what is on disk and starts no replay at all, so
 * the page can be regenerated while the machine measures something else.
 */
export function matrixWork(plan: readonly PlannedArm[], repeat: number, reportOnly: boolean): MatrixWork {
  const reuse = plan.flatMap((a) => a.done.slice(0, repeat));
  if (reportOnly) return { reuse, toRun: [] };
  const toRun = plan.flatMap((arm) => (arm.unsupported ? [] : Array.from({ length: Math.max(0, repeat - arm.done.length) }, (_, i) => ({ arm, repeat: arm.done.length + i + 1 }))));
  return { reuse, toRun };
}
