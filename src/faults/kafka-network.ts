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
}

export const CUT_COMMENT = 'outage-lab-kafka-cut';
const CHAINS = ['FORWARD', 'OUTPUT'] as const;

function rule(p: KafkaCutParams, chain: string): string[] {
  return [chain, '-d', `${p.kafkaIp}/32`, '-m', 'comment', '--comment', p.comment, '-j', 'DROP'];
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
      for (const chain of CHAINS) await nodeExec(node, ['iptables', '-w', '-I', ...rule(p, chain)]);
    }),
  );
}

/** Deletes every copy of the lab's rules on every node (a crash between two inserts leaves duplicates). */
export async function heal(p: KafkaCutParams): Promise<void> {
  await Promise.all(
    p.nodes.map(async (node) => {
      for (const chain of CHAINS) {
        for (let i = 0; i < 10; i++) {
          const r = await nodeExec(node, ['iptables', '-w', '-D', ...rule(p, chain)], true);
          if (r.code !== 0) break;
        }
      }
    }),
  );
}
