// `lab down --context`: what the lab put into someone's cluster comes out, found by its labels, and
// nothing else. The cluster itself stays; so do its nodes' images.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeAgent } from '../../faults/agent-deploy.ts';
import { JOURNAL_FILE } from '../../faults/journal.ts';
import { task } from '../../ui/progress.ts';
import { stateDir } from '../../util/paths.ts';
import { waitFor } from '../../util/wait.ts';
import { clients } from '../kube.ts';
import { DEFAULT_CLUSTER } from '../settings.ts';
import { clearState } from '../state.ts';
import { closeForwards } from './forward.ts';

/** Every namespace the lab creates carries it (manifests/base/namespace.yaml, workload/render.ts). */
export const MANAGED_LABEL = 'outage-lab/managed=true';

export async function foreignDown(context: string): Promise<void> {
  const c = clients({ clusterName: DEFAULT_CLUSTER.name });
  // The agent first and on its own: each one removes its node's rules as it stops, before its namespace goes.
  await task(`Fault agent removed from ${context}`, async (t) => {
    if (!(await removeAgent(c))) t.detail('was not there');
  });
  await task(`Namespaces labelled ${MANAGED_LABEL} deleted from ${context}`, async (t) => {
    const names = (await c.core.listNamespace({ labelSelector: MANAGED_LABEL })).items.map((n) => n.metadata!.name!);
    for (const name of names) await c.core.deleteNamespace({ name }).catch((err: unknown) => ((err as { code?: number }).code === 404 ? undefined : Promise.reject(err)));
    t.step(`waiting for ${names.join(', ') || 'none'} to be gone`);
    await waitFor(async () => (await c.core.listNamespace({ labelSelector: MANAGED_LABEL })).items.length === 0, {
      timeoutMs: 5 * 60_000,
      intervalMs: 2000,
      what: `namespaces ${names.join(', ')} to be deleted`,
      hint: `kubectl --context ${context} get ns -l ${MANAGED_LABEL}`,
    });
    t.detail(names.join(', ') || 'none were there');
  });
  closeForwards();
  await task('Lab state for this context removed (Vault\'s keys kept)', async () => {
    clearState();
    // Vault's keys stay: its data lives in Consul, whose servers keep theirs on the control plane's disk
    // (manifests/consul/servers.yaml), so the next `lab up --context` finds Vault initialised and needs them.
    rmSync(join(stateDir, JOURNAL_FILE), { force: true });
  });
}
