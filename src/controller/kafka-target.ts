import type * as k8s from '@kubernetes/client-node';
import type { LabState } from '../cluster/state.ts';
import { KAFKA_HOST_LISTENER_PORT, kafkaPodIp } from '../components/kafka-in-cluster.ts';
import { kafkaProbeFor } from '../faults/context.ts';
import type { KafkaCutTarget } from './kafka-fault.ts';

/**
 * What the cut drops, for the Kafka the lab runs: the external broker's fixed address on the dc network,
 * or the in-cluster broker's pod IP with its host listener left open (the host's clients reach it
 * through the nodes, and they are the lab's instruments, not the fault's victims). `probe` is where the
 * heal proves from the nodes that traffic flows again.
 */
export async function kafkaCutTarget(state: LabState, nodes: string[], core: k8s.CoreV1Api): Promise<KafkaCutTarget> {
  const probe = await kafkaProbeFor(state, () => core);
  if (state.kafkaPlacement === 'in-cluster') return { nodes, kafkaIp: await kafkaPodIp(core), keepTcpPort: KAFKA_HOST_LISTENER_PORT, probe };
  return { nodes, kafkaIp: state.kafka.internal.split(':')[0]!, probe };
}
