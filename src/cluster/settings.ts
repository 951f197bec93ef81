import type { EvictionHard } from './kubelet-eviction.ts';
import type { RuntimeName } from '../runtime/index.ts';

/**
 * Everything that shapes the lab cluster. Defaults size it for a 2-core laptop; a scenario's `cluster`
 * section overrides them, and the resolved values are recorded with every run.
 */
export interface ClusterSettings {
  name: string;
  /** The container runtime of every node (src/runtime/); it also fixes the Kubernetes version. */
  runtime: RuntimeName;
  workers: number;
  /** docker --cpus of each worker node container: makes a node behave like a small VM. */
  nodeCpus: number;
  /** docker --memory of each worker node container, e.g. "1536m". */
  nodeMemory: string;
  /** The control plane is kept roomier: the lab measures the workers, not a starved API server. */
  controlPlaneCpus: number;
  controlPlaneMemory: string;
  nodeStatusUpdateFrequency: string;
  nodeMonitorGracePeriod: string;
  /** `node`: the workers' kubelets judge memory against the node container's limit, as on a VM that size (kubelet-eviction.ts). */
  kubeletMemory: 'node' | 'host';
  /** kubelet --eviction-hard thresholds of the workers; null keeps kind's (disk evictions off, memory 100Mi). */
  evictionHard: EvictionHard;
  /** tolerationSeconds the API server gives pods for not-ready / unreachable nodes (300 s upstream). */
  defaultTolerationSeconds: number;
  /** Host ports (127.0.0.1 only) for the Consul HTTP API and Vault, forwarded to NodePorts. */
  consulHostPort: number;
  vaultHostPort: number;
  /** The external broker's published port. */
  kafkaHostPort: number;
  /**
   * The in-cluster broker's host listener, forwarded by kind to a NodePort. A port of its own: the mapping
   * is made when the cluster is created, whichever Kafka runs, so that switching placement needs no new cluster.
   */
  kafkaInClusterHostPort: number;
}

export const DEFAULT_CLUSTER: ClusterSettings = {
  name: 'outage-lab',
  runtime: 'containerd',
  workers: 3,
  nodeCpus: 0.5,
  nodeMemory: '2g',
  controlPlaneCpus: 1,
  controlPlaneMemory: '3g',
  nodeStatusUpdateFrequency: '10s',
  nodeMonitorGracePeriod: '40s',
  kubeletMemory: 'node',
  evictionHard: { memoryAvailable: null, nodefsAvailable: null, imagefsAvailable: null },
  defaultTolerationSeconds: 300,
  consulHostPort: 18500,
  vaultHostPort: 18200,
  kafkaHostPort: 19092,
  kafkaInClusterHostPort: 19094,
};

export const NODE_PORTS = { consul: 30850, vault: 30820, kafka: 30992 } as const;

/** Where the broker runs: a container beside the cluster (2019), or a StatefulSet inside it. */
export const KAFKA_PLACEMENTS = ['external', 'in-cluster'] as const;
export type KafkaPlacement = (typeof KAFKA_PLACEMENTS)[number];

export function kubeContextName(clusterName: string): string {
  return `kind-${clusterName}`;
}

/**
 * Split clusters (scenario `clusters: 2`): the second kind cluster is the first one's twin, named apart and
 * with host ports of its own, so both platforms' Consul and Vault answer on loopback at the same time.
 * Kafka is not doubled: one broker (the data centre) serves both, on the first cluster's port.
 */
export const SECOND_CLUSTER_SUFFIX = '-b';
export const SECOND_CLUSTER_PORT_OFFSET = 10;

export function secondCluster(first: ClusterSettings): ClusterSettings {
  const o = SECOND_CLUSTER_PORT_OFFSET;
  return {
    ...first,
    name: `${first.name}${SECOND_CLUSTER_SUFFIX}`,
    consulHostPort: first.consulHostPort + o,
    vaultHostPort: first.vaultHostPort + o,
    // Mapped by kind at creation like the first cluster's, so it must not collide with it; no broker uses it with two clusters.
    kafkaInClusterHostPort: first.kafkaInClusterHostPort + o,
  };
}

/** The kind clusters this lab may ever create: its own and its second. The kube context guard accepts these and nothing else. */
export const LAB_CLUSTER_NAMES: readonly string[] = [DEFAULT_CLUSTER.name, secondCluster(DEFAULT_CLUSTER).name];

/** Loopback ports can collide with whatever else a laptop runs; these variables move them. */
export const PORT_ENV = {
  consulHostPort: 'LAB_CONSUL_PORT',
  vaultHostPort: 'LAB_VAULT_PORT',
  kafkaHostPort: 'LAB_KAFKA_PORT',
  kafkaInClusterHostPort: 'LAB_KAFKA_IN_CLUSTER_PORT',
} as const;

export function withEnvPorts(s: ClusterSettings): ClusterSettings {
  const out = { ...s };
  for (const [key, env] of Object.entries(PORT_ENV) as [keyof typeof PORT_ENV, string][]) {
    const v = process.env[env];
    if (v && /^\d+$/.test(v)) out[key] = Number(v);
  }
  return out;
}
