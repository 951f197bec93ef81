import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { clients } from '../cluster/kube.ts';
import { Secret } from '../secrets/secret.ts';
import { GOSSIP_SECRET, WORKLOAD_NS } from '../workload/render.ts';
import { nodeExec } from './node-exec.ts';

/**
 * Target's fix: turn on gossip encryption. A key is installed where every Consul agent of the lab reads
 * it (a Secret), then the servers, Vault's agent and the workload are rolled so each restarts with it.
 * From then on the servers reject the gossip of agents that have no key: the phantom members of the
 * cascade can no longer talk the pool into keeping them. The key itself never leaves the Secret.
 */
export interface GossipParams {
  clusterName: string;
  controlPlaneNode: string;
  namespaces: string[];
}

const RESTART_ANNOTATION = 'outage-lab/restarted-at';

async function rollAll(c: ReturnType<typeof clients>, reason: string): Promise<void> {
  const patch = { spec: { template: { metadata: { annotations: { [RESTART_ANNOTATION]: `${reason}@${new Date().toISOString()}` } } } } };
  const targets: Array<[string, string, string]> = [
    ['StatefulSet', 'lab', 'consul-server'],
    ['Deployment', 'lab', 'vault'],
    ['Deployment', WORKLOAD_NS, 'devenv'],
    ['DaemonSet', WORKLOAD_NS, 'node-agents'],
  ];
  for (const [kind, namespace, name] of targets) {
    try {
      await c.objects.patch(
        { apiVersion: 'apps/v1', kind, metadata: { name, namespace }, ...patch },
        undefined,
        undefined,
        'outage-lab',
        undefined,
        k8s.PatchStrategy.StrategicMergePatch,
      );
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}

export async function inject(p: GossipParams): Promise<void> {
  const c = clients({ clusterName: p.clusterName });
  const key = new Secret(randomBytes(32).toString('base64'), 'consul gossip key');
  for (const namespace of p.namespaces) {
    const body: k8s.V1Secret = { metadata: { name: GOSSIP_SECRET, namespace }, stringData: { key: key.reveal() } };
    try {
      await c.core.createNamespacedSecret({ namespace, body });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
  await rollAll(c, 'gossip-encryption');
}

export async function isActive(p: GossipParams): Promise<boolean> {
  const c = clients({ clusterName: p.clusterName });
  try {
    await c.core.readNamespacedSecret({ name: GOSSIP_SECRET, namespace: 'lab' });
    return true;
  } catch {
    return false;
  }
}

/** Back to an unencrypted pool: keys removed, the servers' persisted keyrings deleted, everything rolled. */
export async function heal(p: GossipParams): Promise<void> {
  const c = clients({ clusterName: p.clusterName });
  for (const namespace of p.namespaces) {
    try {
      await c.core.deleteNamespacedSecret({ name: GOSSIP_SECRET, namespace });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
  // Consul keeps the key in its data dir and would go on encrypting after a restart without -encrypt.
  await nodeExec(p.controlPlaneNode, ['sh', '-c', 'rm -f /var/lib/outage-lab/consul/*/serf/local.keyring'], true);
  await rollAll(c, 'gossip-encryption-off');
}
