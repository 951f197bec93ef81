import { q1 } from './q1-shippers.ts';
import { q2 } from './q2-gossip.ts';
import { q3 } from './q3-daemonsets.ts';
import { q4 } from './q4-cluster-size.ts';
import { q5 } from './q5-runtime.ts';
import type { QuestionDef } from './types.ts';

export type { ArmDef, QuestionContext, QuestionDef } from './types.ts';

/** The questions of the answers page, in its order; the matrix runs their arms. A new question is one entry here. */
export const QUESTIONS: readonly QuestionDef[] = [q1, q2, q3, q4, q5];
