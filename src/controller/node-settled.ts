import type { V1Node } from '@kubernetes/client-node';

/** Ready, schedulable and without a pressure condition: a node the scheduler treats like any other. */
export function nodeSettled(n: V1Node): boolean {
  const conds = n.status?.conditions ?? [];
  const ready = conds.some((c) => c.type === 'Ready' && c.status === 'True');
  const pressure = conds.some((c) => c.type.endsWith('Pressure') && c.status === 'True');
  return ready && !pressure && !n.spec?.unschedulable;
}
