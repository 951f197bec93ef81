// Putting the fault agent on the cluster and taking it off again. The agent is the lab's own tool in the
// lab's namespace: nothing here touches a workload object.
import type * as k8s from '@kubernetes/client-node';
import type { Clients } from '../cluster/kube.ts';
import { applyAll, loadManifest, resolveImages, type Obj } from '../cluster/manifests.ts';
import { waitFor } from '../util/wait.ts';
import { AGENT_LEASE, AGENT_NAME, AGENT_NAMESPACE } from './agent-protocol.ts';
import { bounded, kubeAgentApi } from './agent-api.ts';
import type { FaultJournal } from './journal.ts';

/** The manifest with the lab's apps image and the dead-man bound the agents assume until they read the Lease. */
export function renderAgent(appsImage: string, deadlineMs: number): Obj[] {
  const objs = resolveImages(loadManifest('fault-agent/agent.yaml'), { apps: appsImage });
  const ds = objs.find((o) => o.kind === 'DaemonSet');
  const env = ds?.spec?.template?.spec?.containers?.[0]?.env as { name: string; value?: string }[] | undefined;
  const deadline = env?.find((e) => e.name === 'DEADLINE_MS');
  if (!deadline) throw new Error('manifests/fault-agent/agent.yaml: the agent container has no DEADLINE_MS');
  deadline.value = String(deadlineMs);
  return objs;
}

/** Applies the agent and waits until a ready agent runs on every one of `nodes`. */
export async function deployAgent(c: Clients, appsImage: string, deadlineMs: number, nodes: readonly string[], step?: (s: string) => void): Promise<void> {
  await applyAll(c.objects, renderAgent(appsImage, deadlineMs));
  const api = kubeAgentApi(c.kc);
  await waitFor(
    async () => {
      const ready = new Set((await api.agentPods()).filter((p) => p.ready).map((p) => p.node));
      const missing = nodes.filter((n) => !ready.has(n));
      step?.(`${nodes.length - missing.length}/${nodes.length} agents ready`);
      return missing.length === 0;
    },
    { timeoutMs: 3 * 60_000, intervalMs: 1000, what: `a ready fault agent on each of ${nodes.join(', ')}`, hint: `kubectl -n ${AGENT_NAMESPACE} get pods -l app=${AGENT_NAME} -o wide` },
  );
}

/** Whether any fault the journal holds unhealed was applied through the agent: it is still needed then. */
export function agentStillNeeded(journal: FaultJournal): boolean {
  return journal.unhealed().some((e) => e.params.via === 'agent');
}

const gone = (err: unknown) => (err as { code?: number }).code === 404;

/**
 * Deletes the DaemonSet, its RBAC and the Lease, and waits until no agent pod is left (each removes its
 * node's lab rules on SIGTERM). Resolves with whether there was anything to remove.
 */
export async function removeAgent(c: Clients): Promise<boolean> {
  const meta = (apiVersion: string, kind: string, name: string): k8s.KubernetesObject => ({ apiVersion, kind, metadata: { name, namespace: AGENT_NAMESPACE } });
  const objs = [
    meta('apps/v1', 'DaemonSet', AGENT_NAME),
    meta('coordination.k8s.io/v1', 'Lease', AGENT_LEASE),
    meta('rbac.authorization.k8s.io/v1', 'RoleBinding', AGENT_NAME),
    meta('rbac.authorization.k8s.io/v1', 'Role', AGENT_NAME),
    meta('v1', 'ServiceAccount', AGENT_NAME),
  ];
  let found = false;
  for (const o of objs) {
    await c.objects.delete(o).then(
      () => (found = true),
      (err: unknown) => {
        if (!gone(err)) throw err;
      },
    );
  }
  await waitFor(async () => (await c.core.listNamespacedPod({ namespace: AGENT_NAMESPACE, labelSelector: `app=${AGENT_NAME}` })).items.length === 0 || undefined, {
    timeoutMs: 2 * 60_000,
    intervalMs: 1000,
    what: 'the fault agent pods to stop',
    hint: `kubectl -n ${AGENT_NAMESPACE} get pods -l app=${AGENT_NAME}`,
  });
  return found;
}

/**
 * After a verified heal: the agent goes, unless a fault applied through it is still unhealed (it is
 * needed to heal that one). Resolves with a line for the user, or undefined when there was nothing to say.
 */
export async function removeAgentAfterHeal(journal: FaultJournal, c: Clients | undefined): Promise<string | undefined> {
  if (!c) return undefined;
  journal.reload();
  if (agentStillNeeded(journal)) return `fault agent kept: a fault applied through it is not healed yet`;
  // A cluster that cannot be asked (stopped nodes after a reboot) has no agent renewing anything: a
  // heal that needed nothing from it must not fail for it. One that is there and cannot be removed does.
  const there = await bounded(c.objects.read({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: AGENT_NAME, namespace: AGENT_NAMESPACE } }), 15_000, 'reading the fault agent').then(
    () => true,
    (err: unknown) => (gone(err) ? false : undefined),
  );
  if (there === undefined) return `⚠ could not check for a fault agent (the API server did not answer); \`npx lab heal\` again removes one`;
  // Not there: its Lease or RBAC may still be (a DaemonSet deleted by hand); removeAgent takes what is.
  return (await removeAgent(c)) ? `✔ Fault agent removed (DaemonSet, Lease and RBAC in namespace ${AGENT_NAMESPACE})` : undefined;
}
