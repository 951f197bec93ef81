import { connectNode, detachDcNetwork, ensureDcNetwork } from '../../../components/dc-network.ts';
import { ensureKafkaContainer, removeKafkaContainer, waitForKafka } from '../../../components/kafka.ts';
import { kafkaInClusterEndpoint } from '../../../components/kafka-in-cluster.ts';
import { info, task } from '../../../ui/progress.ts';
import type { UpStep } from '../context.ts';

/**
 * Kafka boots on its JVM while the images are side-loaded: the two do not depend on each other, so this
 * step only starts it (the round trips await it). An in-cluster broker is deployed with Consul and Vault;
 * here only the external one goes, and every node of every cluster joins its network: one data centre
 * for all the platforms.
 */
export const startKafka: UpStep = {
  name: 'start Kafka',
  async run(ctx) {
    const { s, allNodes } = ctx;
    ctx.kafkaStarting =
      ctx.placement === 'external'
        ? task('Kafka outside the cluster (the data centre network)', async (t) => {
            const subnet = await ensureDcNetwork();
            for (const n of allNodes) await connectNode(n);
            t.step('starting broker');
            const ep = await ensureKafkaContainer(ctx.images.kafka!, subnet, s.kafkaHostPort);
            t.step('waiting for the broker');
            await waitForKafka(ep, 3);
            t.detail(`pods: ${ep.internal}, host: ${ep.external}`);
            return { ep, subnet };
          })
        : removeExternalKafka(allNodes).then(() => ({ ep: kafkaInClusterEndpoint(s.kafkaInClusterHostPort) }));
    // Awaited by the round trips; this only keeps a failure from surfacing as unhandled while the images load.
    ctx.kafkaStarting.catch(() => undefined);
  },
};

/** Switching to the in-cluster broker: the external one and its network go, so only one Kafka ever runs. */
async function removeExternalKafka(nodes: string[]): Promise<void> {
  const container = await removeKafkaContainer();
  const network = await detachDcNetwork(nodes);
  if (container || network) info('✔ External Kafka removed (in-cluster Kafka chosen)');
}
