import type { FaultContext } from './driver.ts';

/**
 * Is a fault in effect? Three answers, never two: `unknown` (a node could not be asked, the API failed, a
 * probe could not run) is not `clear`, and a heal is recorded as healed only on `clear`.
 */
export type Presence = 'active' | 'clear' | 'unknown';

export interface Verdict {
  presence: Presence;
  /** What was seen, one line: goes to the journal and, when not clear, to the user. */
  detail: string;
}

/** One small protocol per fault (Jepsen's nemesis): apply it, undo it, say whether it is in effect. */
export interface Fault<P> {
  /** The journal's params checked for this fault; undefined when they are missing or damaged. */
  params(raw: Record<string, unknown>): P | undefined;
  inject(p: P, ctx: FaultContext): Promise<void>;
  heal(p: P, ctx: FaultContext): Promise<void>;
  verify(p: P, ctx: FaultContext): Promise<Verdict>;
  /**
   * Undo without the journal's params (its `applying` line was lost or damaged), by what marks the
   * lab's changes (a rule comment, known object names) on every node of the lab's clusters, then verify.
   */
  healWithoutParams(ctx: FaultContext): Promise<Verdict>;
}

/** The worst of several verdicts: any active wins, then any unknown; clear only when all are. */
export function combine(verdicts: Verdict[], emptyDetail = 'nothing to check'): Verdict {
  if (verdicts.length === 0) return { presence: 'clear', detail: emptyDetail };
  const worst = verdicts.find((v) => v.presence === 'active') ?? verdicts.find((v) => v.presence === 'unknown');
  if (worst) return { presence: worst.presence, detail: verdicts.filter((v) => v.presence !== 'clear').map((v) => v.detail).join('; ') };
  return { presence: 'clear', detail: verdicts.map((v) => v.detail).join('; ') };
}
