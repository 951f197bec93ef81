import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { clients } from '../cluster/kube.ts';
import { Secret } from '../secrets/secret.ts';
import { GOSSIP_SECRET, WORKLOAD_NS } from '../workload/render.ts';
import type { FaultContext } from './driver.ts';
import { combine, type Fault, type Verdict } from './fault.ts';

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
/** Where the Consul servers persist the key (hostPath on the control plane): it outlives the Secret. */
export const KEYRING_GLOB = '/var/lib/outage-lab/consul/*/serf/local.keyring';
/** The namespaces the lab puts the key in, for a heal whose journal line lost its params. */
const KNOWN_NAMESPACES = ['lab', WORKLOAD_NS];

const codeOf = (err: unknown) => (err as { code?: number }).code;
const why = (err: unknown) => (err as Error).message;

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
        // Not `lab up`'s field manager: its server-side apply would own the annotation and strip it, rolling
        // the servers a second time while they still settle from this roll (seen in CI: no leader after).
        'outage-lab-remedy',
        undefined,
        k8s.PatchStrategy.StrategicMergePatch,
      );
    } catch (err) {
      if (codeOf(err) !== 404) throw err;
    }
  }
}

function parseParams(raw: Record<string, unknown>): GossipParams | undefined {
  const { clusterName, controlPlaneNode, namespaces } = raw as Partial<Record<keyof GossipParams, unknown>>;
  if (typeof clusterName !== 'string' || clusterName === '' || typeof controlPlaneNode !== 'string' || controlPlaneNode === '') return undefined;
  if (!Array.isArray(namespaces) || namespaces.length === 0 || !namespaces.every((n) => typeof n === 'string')) return undefined;
  return { clusterName, controlPlaneNode, namespaces: namespaces as string[] };
}

/** Secrets gone from every namespace (each read answered 404) and no keyring left on the control plane. */
async function verify(p: GossipParams, ctx: FaultContext): Promise<Verdict> {
  const c = clients({ clusterName: p.clusterName });
  const secrets = await Promise.all(
    p.namespaces.map(async (namespace): Promise<Verdict> => {
      try {
        await c.core.readNamespacedSecret({ name: GOSSIP_SECRET, namespace });
        return { presence: 'active', detail: `${p.clusterName}: secret ${namespace}/${GOSSIP_SECRET} still exists` };
      } catch (err) {
        if (codeOf(err) === 404) return { presence: 'clear', detail: `${p.clusterName}: no ${namespace}/${GOSSIP_SECRET}` };
        return { presence: 'unknown', detail: `${p.clusterName}: secret ${namespace}/${GOSSIP_SECRET} could not be read (${why(err)})` };
      }
    }),
  );
  let keyring: Verdict;
  try {
    // Removing again is harmless and is the only way this driver has to count what is there.
    const left = await ctx.driver.removeFiles(p.controlPlaneNode, KEYRING_GLOB);
    keyring = left === 0 ? { presence: 'clear', detail: `${p.controlPlaneNode}: no Consul keyring` } : { presence: 'active', detail: `${p.controlPlaneNode}: ${left} Consul keyring(s) left` };
  } catch (err) {
    keyring = { presence: 'unknown', detail: `${p.controlPlaneNode}: the Consul keyrings could not be checked (${why(err)})` };
  }
  return combine([...secrets, keyring]);
}

export const gossipEncryption: Fault<GossipParams> = {
  params: parseParams,

  async inject(p) {
    const c = clients({ clusterName: p.clusterName });
    const key = new Secret(randomBytes(32).toString('base64'), 'consul gossip key');
    for (const namespace of p.namespaces) {
      const body: k8s.V1Secret = { metadata: { name: GOSSIP_SECRET, namespace }, stringData: { key: key.reveal() } };
      try {
        await c.core.createNamespacedSecret({ namespace, body });
      } catch (err) {
        // 409: already keyed. 404: the namespace does not exist (no workload yet), so no agent there needs a key.
        if (codeOf(err) !== 409 && codeOf(err) !== 404) throw err;
      }
    }
    await rollAll(c, 'gossip-encryption');
  },

  /** Back to an unencrypted pool: keys removed, the servers' persisted keyrings deleted, everything rolled. */
  async heal(p, ctx) {
    const c = clients({ clusterName: p.clusterName });
    for (const namespace of p.namespaces) {
      try {
        await c.core.deleteNamespacedSecret({ name: GOSSIP_SECRET, namespace });
      } catch (err) {
        if (codeOf(err) !== 404) throw err;
      }
    }
    // Consul keeps the key in its data dir and would go on encrypting after a restart without the key.
    await ctx.driver.removeFiles(p.controlPlaneNode, KEYRING_GLOB);
    await rollAll(c, 'gossip-encryption-off');
  },

  verify,

  /** By the known names: the Secret in the lab's namespaces of every lab cluster that exists, the keyrings on its control plane. */
  async healWithoutParams(ctx) {
    const verdicts: Verdict[] = [];
    for (const clusterName of ctx.labClusters()) {
      let nodes: string[];
      try {
        nodes = await ctx.driver.nodesOf(clusterName);
      } catch (err) {
        verdicts.push({ presence: 'unknown', detail: `the nodes of cluster ${clusterName} could not be listed (${why(err)})` });
        continue;
      }
      const controlPlaneNode = nodes.find((n) => n === `${clusterName}-control-plane`);
      if (!controlPlaneNode) continue; // no such cluster: nothing of it can be encrypted
      const p: GossipParams = { clusterName, controlPlaneNode, namespaces: KNOWN_NAMESPACES };
      try {
        await this.heal(p, ctx);
      } catch {
        // The verification below says what is left.
      }
      verdicts.push(await verify(p, ctx));
    }
    return combine(verdicts, `no cluster of the lab (${ctx.labClusters().join(', ')}) exists: no key can be left`);
  },
};
