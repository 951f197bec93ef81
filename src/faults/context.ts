import type * as k8s from '@kubernetes/client-node';
import { clients } from '../cluster/kube.ts';
import { secondCluster } from '../cluster/settings.ts';
import { currentSettings, readState, type LabState } from '../cluster/state.ts';
import { KAFKA_INTERNAL_PORT } from '../components/kafka.ts';
import { KAFKA_NS } from '../components/kafka-in-cluster.ts';
import type { FaultContext, FaultDriver, TcpTarget } from './driver.ts';
import { nodeExecDriver } from './drivers/node-exec.ts';

/**
 * Where a pod reaches the lab's broker, by an address that outlives a broker pod: the external
 * container's fixed IP on the dc network, or the in-cluster Service's ClusterIP (kube-proxy sends it on
 * to whatever pod IP the broker has now).
 */
export async function kafkaProbeFor(state: Pick<LabState, 'kafkaPlacement' | 'kafka'>, core: () => k8s.CoreV1Api): Promise<TcpTarget> {
  if (state.kafkaPlacement === 'in-cluster') {
    const svc = await core().readNamespacedService({ name: 'kafka', namespace: KAFKA_NS });
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None') throw new Error(`service ${KAFKA_NS}/kafka has no ClusterIP`);
    return { host: ip, port: KAFKA_INTERNAL_PORT };
  }
  const [host, port] = state.kafka.internal.split(':');
  return { host: host!, port: Number(port) || KAFKA_INTERNAL_PORT };
}

/** The context every lab command heals with: the node-exec driver and the lab its state file describes. */
export function labFaultContext(driver: FaultDriver = nodeExecDriver): FaultContext {
  return {
    driver,
    labClusters() {
      const first = currentSettings();
      return [first.name, secondCluster(first).name];
    },
    async kafkaProbe() {
      const state = readState();
      if (!state) return undefined;
      return kafkaProbeFor(state, () => clients({ clusterName: state.settings.name }).core);
    },
  };
}
