// Consent to act on a cluster that is not the lab's: the context named with --context and its name typed
// a second time (flag, or a prompt on a terminal). Every refusal is one line and comes before the first
// request to that cluster.
import { createInterface } from 'node:readline/promises';
import * as k8s from '@kubernetes/client-node';
import { LabError } from '../../util/errors.ts';
import { userKubeConfig } from '../kube.ts';
import { identify, identityChange, useForeign, type ForeignTarget } from './target.ts';

export const CONSENT_FLAG = 'i-understand-this-cuts';

/** The options every command that may act on a foreign cluster takes. */
export const FOREIGN_OPTIONS = {
  context: { type: 'string' },
  [CONSENT_FLAG]: { type: 'string' },
} as const;

export const FOREIGN_USAGE = `  --context NAME                 act on kube context NAME instead of the lab's kind cluster (see README,
                                 "Run it on your own cluster"): no kind, no Docker, faults through the agent
  --${CONSENT_FLAG} NAME   NAME again: consent to cut that cluster's traffic to Kafka (prompted on a terminal)`;

export interface ConsentDeps {
  /** The kubeconfig as the user has it (KUBECONFIG or ~/.kube/config). */
  kubeconfig(): k8s.KubeConfig;
  /** The identity recorded when the lab was put on this context (its state), if it was. */
  recorded(): ForeignTarget | undefined;
  /** Asks for the name on a terminal; undefined when there is none to ask on. */
  ask?(question: string): Promise<string | undefined>;
}

const refuse = (context: string, why: string) => new LabError(`refusing kube context "${context}": ${why}`);

/**
 * The foreign cluster the command may act on, or undefined without --context (the lab's kind cluster).
 * Throws a one-line LabError: no confirmation, a confirmation naming anything but the exact context, a
 * context the kubeconfig lacks or cannot identify by CA, or one whose server or CA changed since the lab
 * was put on it.
 */
export async function foreignConsent(v: Record<string, unknown>, deps: ConsentDeps): Promise<ForeignTarget | undefined> {
  const context = v.context as string | undefined;
  const confirm = v[CONSENT_FLAG] as string | undefined;
  if (context === undefined) {
    if (confirm !== undefined) throw new LabError(`--${CONSENT_FLAG} confirms a --context; there is none`);
    return undefined;
  }
  if (context.trim() === '') throw new LabError('--context needs the name of a kube context');
  const now = identify(deps.kubeconfig(), context);
  const typed = confirm ?? (await deps.ask?.(`This cuts Kafka for every node of "${context}" (${now.server}). Type the context's name to go on: `));
  if (typed === undefined) throw refuse(context, `no consent: repeat its name with --${CONSENT_FLAG} ${context}`);
  if (typed !== context) throw refuse(context, `the confirmation says "${typed}", not "${context}"`);
  const recorded = deps.recorded();
  const changed = recorded && identityChange(recorded, now);
  if (changed) throw refuse(context, `${changed}; if it is really the same cluster, \`lab down --context\` it under the old identity or remove the lab's state for it`);
  return now;
}

/** A prompt on the terminal, or nothing when stdin is not one (a script must pass the flag). */
export async function askOnTerminal(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** For a command: consent checked against the user's kubeconfig and the lab's state, then made the process's only cluster. */
export async function enterForeign(v: Record<string, unknown>, recorded: () => ForeignTarget | undefined): Promise<ForeignTarget | undefined> {
  const t = await foreignConsent(v, {
    kubeconfig: userKubeConfig,
    recorded,
    ask: askOnTerminal,
  });
  useForeign(t);
  return t;
}
