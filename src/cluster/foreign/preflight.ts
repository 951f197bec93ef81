// What `lab up --context` and `lab replay --context` will do to someone's cluster, said before they do it.
import { CONSENT_FLAG } from './consent.ts';
import type { ForeignTarget } from './target.ts';
import { KAFKA_HOST_LISTENER_PORT, KAFKA_NS } from '../../components/kafka-in-cluster.ts';
import { KAFKA_INTERNAL_PORT } from '../../components/kafka.ts';
import { AGENT_NAME, AGENT_NAMESPACE } from '../../faults/agent-protocol.ts';
import { WORKLOAD_NS } from '../../workload/render.ts';

export interface PreflightInput {
  target: ForeignTarget;
  nodes: string[];
  /** The in-cluster broker, or the user's by address (cut by that address). */
  kafka: { placement: 'in-cluster' } | { placement: 'bootstrap'; host: string; port: number };
  images: Record<string, string>;
  /** Where the images come from: pushed to this registry, or already on every node (checked). */
  registry?: string;
  deadlineMs: number;
  /** Host ports forwarded to the cluster through the API server. */
  forwards: { name: string; localPort: number }[];
}

export function preflightLines(p: PreflightInput): string[] {
  const kafka =
    p.kafka.placement === 'in-cluster'
      ? `the in-cluster broker (StatefulSet ${KAFKA_NS}/kafka, its pod IP read at each cut): every packet to it is dropped except TCP to its host listener :${KAFKA_HOST_LISTENER_PORT} (the lab's own clients); pods bootstrap on :${KAFKA_INTERNAL_PORT}`
      : `your broker at ${p.kafka.host}:${p.kafka.port}: every packet to ${p.kafka.host} is dropped`;
  return [
    `Preflight for kube context "${p.target.context}" (${p.target.server}, CA sha256 ${p.target.caSha256.slice(0, 16)}…)`,
    '  Will create (all labelled outage-lab/managed or app=fault-agent; `lab down --context` removes them):',
    `    namespaces lab and ${WORKLOAD_NS}; in lab: Consul servers (StatefulSet, 3), Vault (Deployment), NodePort Services 30850 and 30820${p.kafka.placement === 'in-cluster' ? ', Kafka (StatefulSet, NodePort 30992)' : ''}`,
    `    in ${WORKLOAD_NS}: the replay's dev-env pods with their shippers and Consul agents, a ServiceAccount, Role and RoleBinding (read pod logs)`,
    `    in ${AGENT_NAMESPACE} during a replay: DaemonSet ${AGENT_NAME} on every node, its ServiceAccount, a Role and RoleBinding that may only get the Lease ${AGENT_NAME}, and that Lease`,
    `  The fault agent's privileges: privileged container, host network, NET_ADMIN and SYS_ADMIN, the host's /run read-only and /run/xtables.lock, priority system-node-critical, tolerates every taint`,
    `  Will cut, on every node (FORWARD and OUTPUT, rules commented outage-lab-kafka-cut): ${kafka}`,
    `  Nodes (${p.nodes.length}): ${p.nodes.join(', ')}`,
    `  Dead-man switch: with no Lease renewal for ${p.deadlineMs / 1000} s every agent removes its rules; kill switch: npx lab heal --context ${p.target.context} --${CONSENT_FLAG} ${p.target.context}`,
    `  Images: ${Object.values(p.images).join(', ')} ${p.registry ? `pushed to ${p.registry} and pulled by the nodes` : 'already present on the nodes (checked in each node\'s status: apps and Consul on every node, Vault and Kafka where they are pinned)'}`,
    `  From this host: ${p.forwards.map((f) => `${f.name} on 127.0.0.1:${f.localPort}`).join(', ')} (port-forwards through the API server); no kind, no Docker, no docker exec`,
  ];
}
