import type { ResolvedScenario } from '../scenario/index.ts';
import { DEFAULT_CLUSTER, type ClusterSettings } from '../cluster/settings.ts';
import { formatGoDuration } from '../util/duration.ts';
import { DEFAULT_RUNTIME } from '../runtime/index.ts';

/** The cluster a scenario asks for; timings baked into kubeadm at creation are part of its shape. */
export function clusterSettingsFor(s: ResolvedScenario, base: ClusterSettings = DEFAULT_CLUSTER): ClusterSettings {
  return {
    ...base,
    runtime: s.cluster.runtime,
    workers: s.perCluster.workers,
    nodeCpus: s.cluster.nodeCpus === 'none' ? 0 : s.cluster.nodeCpus,
    nodeMemory: s.cluster.nodeMemory === 'none' ? '0' : s.cluster.nodeMemory,
    nodeStatusUpdateFrequency: formatGoDuration(s.cluster.nodeStatusUpdateFrequencyMs),
    nodeMonitorGracePeriod: formatGoDuration(s.cluster.nodeMonitorGracePeriodMs),
    defaultTolerationSeconds: Math.round(s.cluster.podEvictionTimeoutMs / 1000),
    kubeletMemory: s.cluster.kubeletMemory,
    evictionHard: { ...s.cluster.evictionHard },
  };
}

/** What cannot change without recreating the cluster (CPU limits can, and memory ones unless kubelets judge memory by them). */
export function shapeOf(c: ClusterSettings): string {
  // The kubelets' eviction thresholds are baked in at creation, and with kubeletMemory `node` they follow the node memory.
  const eviction = [c.kubeletMemory, c.evictionHard, c.kubeletMemory === 'node' ? c.nodeMemory : null];
  // The runtime is the node image: another one means new nodes (state from before runtimes ran containerd).
  return JSON.stringify([c.runtime ?? DEFAULT_RUNTIME, c.workers, c.nodeStatusUpdateFrequency, c.nodeMonitorGracePeriod, c.defaultTolerationSeconds, eviction]);
}
