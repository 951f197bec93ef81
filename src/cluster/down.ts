import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { task } from '../ui/progress.ts';
import { capture, run, succeeds } from '../util/exec.ts';
import { stateDir } from '../util/paths.ts';
import { removeDcNetwork } from '../components/dc-network.ts';
import { removeKafkaContainer } from '../components/kafka.ts';
import { clusterExists, deleteCluster, ensureKind } from './kind.ts';
import { credentialsFileName } from '../components/vault.ts';
import { DEFAULT_CLUSTER, LAB_CLUSTER_NAMES, secondCluster } from './settings.ts';
import { LabError } from '../util/errors.ts';
import { clearState } from './state.ts';

/** The clusters `down` removes for a lab named `clusterName`: it and its second (split clusters), whether the state knows of the second or not. */
export function clustersToRemove(clusterName: string): string[] {
  // The name comes from a state file anyone can edit: `down` deletes only the lab's own clusters.
  if (!LAB_CLUSTER_NAMES.includes(clusterName)) {
    throw new LabError(
      `refusing to delete kind cluster "${clusterName}": it is not one of the lab's clusters (${LAB_CLUSTER_NAMES.join(', ')})`,
      `the state file names a cluster the lab never creates; delete it yourself if you mean to (kind delete cluster --name ${clusterName}), and remove ${join(stateDir, 'cluster.json')}`,
    );
  }
  return [clusterName, secondCluster({ ...DEFAULT_CLUSTER, name: clusterName }).name];
}

/**
 * Removes the lab: its kind clusters (and with them their kube contexts), the Kafka container, the lab's
 * Docker networks and its state. Touches nothing it did not create: every cluster, container and network
 * it removes carries the lab's name or label.
 */
export async function down(clusterName: string, opts: { keepControllerState?: boolean } = {}): Promise<void> {
  const names = clustersToRemove(clusterName);
  const kind = await ensureKind();
  for (const [i, name] of names.entries()) {
    const there = await clusterExists(kind, name);
    // The second cluster is mentioned only when there was one: a one-cluster lab's down reads as before.
    if (i > 0 && !there) continue;
    await task(`Cluster ${name} deleted`, async (t) => {
      if (there) await deleteCluster(kind, name);
      else t.detail('was not there');
    });
  }
  await task('Kafka container and lab networks removed', async () => {
    await removeKafkaContainer();
    // Leftovers of interrupted tests carry the label too.
    const labelled = (await capture('docker', ['ps', '-aq', '--filter', 'label=outage-lab=1']).catch(() => '')).split('\n').filter(Boolean);
    if (labelled.length) await run('docker', ['rm', '-f', ...labelled], { allowFailure: true });
    await removeDcNetwork();
    const nets = (await capture('docker', ['network', 'ls', '-q', '--filter', 'label=outage-lab=1']).catch(() => '')).split('\n').filter(Boolean);
    for (const n of nets) await run('docker', ['network', 'rm', n], { allowFailure: true });
    // kind's own network is shared by every kind cluster; remove it only when no other cluster uses it.
    if ((await capture(kind, ['get', 'clusters']).catch(() => 'x')).trim() === '' && (await succeeds('docker', ['network', 'inspect', 'kind']))) {
      await run('docker', ['network', 'rm', 'kind'], { allowFailure: true });
    }
  });
  await task('Lab state removed', async () => {
    clearState();
    // A replay that recreates the cluster keeps its own lock and journal: they belong to the running controller.
    const perCluster = clustersToRemove(clusterName).flatMap((name, i) => [credentialsFileName(name), i === 0 ? 'kind-config.yaml' : `kind-config-${name}.yaml`]);
    const files = [...perCluster, ...(opts.keepControllerState ? [] : ['faults.jsonl', 'controller.lock'])];
    for (const f of files) rmSync(join(stateDir, f), { force: true });
  });
}
