import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { task } from '../ui/progress.ts';
import { capture, run, succeeds } from '../util/exec.ts';
import { stateDir } from '../util/paths.ts';
import { removeDcNetwork } from '../components/dc-network.ts';
import { removeKafkaContainer } from '../components/kafka.ts';
import { clusterExists, deleteCluster, ensureKind } from './kind.ts';
import { clearState } from './state.ts';

/**
 * Removes the lab: its kind cluster (and with it the kube context), the Kafka container, the lab's Docker
 * networks and its state. Touches nothing it did not create: every container and network it removes
 * carries the lab's name or label.
 */
export async function down(clusterName: string, opts: { keepControllerState?: boolean } = {}): Promise<void> {
  const kind = await ensureKind();
  await task(`Cluster ${clusterName} deleted`, async (t) => {
    if (await clusterExists(kind, clusterName)) await deleteCluster(kind, clusterName);
    else t.detail('was not there');
  });
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
    const files = ['vault-credentials.json', 'kind-config.yaml', ...(opts.keepControllerState ? [] : ['faults.jsonl', 'controller.lock'])];
    for (const f of files) rmSync(join(stateDir, f), { force: true });
  });
}
