import type * as k8s from '@kubernetes/client-node';
import { clients } from '../cluster/kube.ts';
import { secondCluster } from '../cluster/settings.ts';
import { currentSettings, readState, type LabState } from '../cluster/state.ts';
import { info } from '../ui/progress.ts';
import { KAFKA_INTERNAL_PORT } from '../components/kafka.ts';
import { KAFKA_NS } from '../components/kafka-in-cluster.ts';
import { DEFAULT_AGENT_DEADLINE_MS } from './agent-protocol.ts';
import { kubeAgentApi } from './agent-api.ts';
import type { FaultContext, FaultDriver, TcpTarget } from './driver.ts';
import { AgentDriver } from './drivers/agent.ts';
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

/**
 * One agent driver per cluster and bound for the whole process: the replay's cut and the heal at its end
 * go through different contexts, and the renewals the cut started must be the ones the heal stops.
 */
const agentDrivers = new Map<string, AgentDriver>();

export function agentDriverFor(clusterName: string, deadlineMs: number): AgentDriver {
  const key = `${clusterName}\0${deadlineMs}`;
  let d = agentDrivers.get(key);
  if (!d) {
    d = new AgentDriver({
      clusterName,
      deadlineMs,
      api: kubeAgentApi(clients({ clusterName }).kc),
      // Said, not hidden: renewals failing for the whole bound mean the agents have dropped the cut.
      onRenewError: (err) => info(`⚠ fault agent: the Lease could not be renewed (${err.message}); without a renewal within ${deadlineMs / 1000} s the agents remove the cut`),
    });
    agentDrivers.set(key, d);
  }
  return d;
}

/**
 * The context every lab command heals with: the node-exec driver by default, the agent on the lab's
 * (first) cluster for a fault whose params say `via: agent`, and the lab its state file describes.
 */
export function labFaultContext(driver: FaultDriver = nodeExecDriver): FaultContext {
  return {
    driver,
    driverFor(params) {
      if (params.via !== 'agent') return driver;
      const deadline = typeof params.agentDeadlineMs === 'number' ? params.agentDeadlineMs : DEFAULT_AGENT_DEADLINE_MS;
      return agentDriverFor(readState()?.settings.name ?? currentSettings().name, deadline);
    },
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
