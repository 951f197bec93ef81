import type { EarlyImage } from '../early-load.ts';
import { PORT_ENV, secondCluster, type ClusterSettings, type KafkaPlacement } from '../settings.ts';

/** The node containers kind creates for a cluster: `<name>-control-plane`, `<name>-worker`, `<name>-worker2`, … */
export function expectedNodeNames(cluster: string, workers: number): string[] {
  return [`${cluster}-control-plane`, ...Array.from({ length: workers }, (_, i) => `${cluster}-worker${i === 0 ? '' : i + 1}`)];
}

/**
 * Each image only where it runs: Vault on the control plane, Consul everywhere, the apps everywhere (the
 * workload on workers, the fault agent on every node, the control plane included: the cut covers it), and
 * Kafka on the control plane when it runs in the cluster (an external broker runs from the host's image).
 */
export function imagePlacement(nodes: string[], images: Record<string, string>, kafka: KafkaPlacement = 'external'): EarlyImage[] {
  const cp = nodes.filter((n) => n.endsWith('-control-plane'));
  return [
    { ref: images.consul!, nodes },
    { ref: images.vault!, nodes: cp },
    { ref: images.apps!, nodes },
    ...(kafka === 'in-cluster' ? [{ ref: images.kafka!, nodes: cp }] : []),
  ];
}

/** The placement narrowed to some nodes; images with none of them left are dropped. */
export function onNodes(placement: EarlyImage[], targets: string[]): EarlyImage[] {
  return placement.map((p) => ({ ...p, nodes: p.nodes.filter((n) => targets.includes(n)) })).filter((p) => p.nodes.length > 0);
}

/** The clusters `lab up` wants: the first, and its twin when two are asked for. */
export function wantedClusters(first: ClusterSettings, count: 1 | 2): ClusterSettings[] {
  return count === 2 ? [first, secondCluster(first)] : [first];
}

/**
 * The loopback ports a new cluster will bind, by the setting that moves them. The broker's port is the
 * first cluster's business (one broker for the lab).
 */
export function portsToCheck(s: ClusterSettings, first: boolean): Record<string, number> {
  return {
    [PORT_ENV.consulHostPort]: s.consulHostPort,
    [PORT_ENV.vaultHostPort]: s.vaultHostPort,
    ...(first ? { [PORT_ENV.kafkaHostPort]: s.kafkaHostPort } : {}),
    [PORT_ENV.kafkaInClusterHostPort]: s.kafkaInClusterHostPort,
  };
}

/** `outage-lab/consul:1.8.7-abc` -> `consul`, for progress lines. */
export const shortName = (ref: string) => ref.replace(/^.*\/|:.*$/g, '');
