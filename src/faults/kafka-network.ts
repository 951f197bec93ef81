import { nodeExec } from './node-exec.ts';

/**
 * The fault of 2019: the network between the cluster and Kafka is gone. Packets from every node (pods
 * through FORWARD, host-network agents through OUTPUT) to the broker are dropped, not rejected: an outage
 * of the network looks like silence and timeouts, not like a refused connection.
 */
export interface KafkaCutParams {
  nodes: string[];
  kafkaIp: string;
  /** Marks the lab's rules so heal removes exactly those, even without the journal. */
  comment: string;
  /**
   * A broker inside the cluster is reached by the host's clients through the nodes too (kind's loopback
   * port, a NodePort, then FORWARD to the pod): TCP to this port of the broker, its host listener, stays
   * open, so the lab's instruments see the broker as they do an external one. Unset for the external broker.
   */
  keepTcpPort?: number;
}

export const CUT_COMMENT = 'outage-lab-kafka-cut';
const CHAINS = ['FORWARD', 'OUTPUT'] as const;

/**
 * The rules of a cut, each as the arguments after -I / -D. kube-proxy's DNAT (Service IP to pod IP) is
 * done in PREROUTING for pods and in nat OUTPUT for the nodes' own processes, both before the filter
 * chains, so FORWARD and OUTPUT see the broker's own address either way: matching it is enough.
 */
export function cutRules(p: KafkaCutParams): string[][] {
  const tail = ['-m', 'comment', '--comment', p.comment, '-j', 'DROP'];
  const dest = ['-d', `${p.kafkaIp}/32`];
  return CHAINS.flatMap((chain) =>
    p.keepTcpPort === undefined
      ? [[chain, ...dest, ...tail]]
      : [
          [chain, ...dest, '-p', 'tcp', '!', '--dport', String(p.keepTcpPort), ...tail],
          [chain, ...dest, '!', '-p', 'tcp', ...tail],
        ],
  );
}

async function onNode(node: string, p: KafkaCutParams): Promise<boolean> {
  const out = await nodeExec(node, ['iptables', '-w', '-S'], true);
  return out.code === 0 && out.stdout.includes(p.comment);
}

export async function isActive(p: KafkaCutParams): Promise<boolean> {
  const states = await Promise.all(p.nodes.map((n) => onNode(n, p)));
  return states.some(Boolean);
}

export async function inject(p: KafkaCutParams): Promise<void> {
  await Promise.all(
    p.nodes.map(async (node) => {
      if (await onNode(node, p)) return;
      for (const r of cutRules(p)) await nodeExec(node, ['iptables', '-w', '-I', ...r]);
    }),
  );
}

/** Deletes every copy of the lab's rules on every node (a crash between two inserts leaves duplicates). */
export async function heal(p: KafkaCutParams): Promise<void> {
  await Promise.all(
    p.nodes.map(async (node) => {
      for (const rule of cutRules(p)) {
        for (let i = 0; i < 10; i++) {
          const r = await nodeExec(node, ['iptables', '-w', '-D', ...rule], true);
          if (r.code !== 0) break;
        }
      }
    }),
  );
}
