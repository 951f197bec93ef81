// A kubelet inside a kind node reads the machine's memory from /proc/meminfo, which is the Docker host's
// (24 GiB here), while the node container is capped at a few GiB by `docker --memory`. Its memory
// eviction signal (capacity minus the node cgroup's working set) would then never fire: the node would be
// OOM-killed by the kernel before the kubelet noticed any pressure. A VM of that size behaves differently:
// its kubelet sees the VM's memory and evicts pods first. `kubeletMemory: node` restores that by moving the
// memory.available threshold up by exactly the memory the kubelet can see but the node cannot have.
import type { ClusterSettings } from './settings.ts';
import { dockerMemoryBytes } from '../util/sizes.ts';

export { dockerMemoryBytes };

/** Thresholds of kubelet's --eviction-hard, in kubelet's own names. */
export interface EvictionHard {
  memoryAvailable: string | null;
  nodefsAvailable: string | null;
  imagefsAvailable: string | null;
}

// kind switches disk evictions off (a laptop's disk is shared with everything else); the lab keeps that.
const KIND_DISK_DEFAULTS = { nodefs: '0%', imagefs: '0%', inodes: '0%' };
const KUBELET_MEMORY_DEFAULT = '100Mi';

const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** Bytes of a Kubernetes quantity ("100Mi", "1.5G"); undefined for anything else. */
export function quantityBytes(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2] ?? '']!);
}

export interface WorkerEviction {
  /** The value for the workers' --eviction-hard flag. */
  flag: string;
}

/**
 * The workers' eviction thresholds. `hostMemoryBytes` is what the node's /proc/meminfo reports (the Docker
 * engine's MemTotal). Without a node memory limit, or with `kubeletMemory: host`, memory.available keeps
 * its meaning relative to the host.
 */
export function workerEviction(s: Pick<ClusterSettings, 'nodeMemory' | 'kubeletMemory' | 'evictionHard'>, hostMemoryBytes: number): WorkerEviction {
  const wanted = s.evictionHard.memoryAvailable ?? KUBELET_MEMORY_DEFAULT;
  const nodeBytes = dockerMemoryBytes(s.nodeMemory);
  let memory = wanted;
  if (s.kubeletMemory === 'node' && nodeBytes && nodeBytes > 0 && nodeBytes < hostMemoryBytes) {
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(wanted);
    const reserve = pct ? Math.round((Number(pct[1]) / 100) * nodeBytes) : quantityBytes(wanted);
    if (reserve === undefined) throw new Error(`cluster.evictionHard.memoryAvailable: cannot read ${wanted}`);
    const mi = Math.ceil((hostMemoryBytes - nodeBytes + reserve) / 1024 ** 2);
    memory = `${mi}Mi`;
  }
  const flag = [
    `memory.available<${memory}`,
    `nodefs.available<${s.evictionHard.nodefsAvailable ?? KIND_DISK_DEFAULTS.nodefs}`,
    `nodefs.inodesFree<${KIND_DISK_DEFAULTS.inodes}`,
    `imagefs.available<${s.evictionHard.imagefsAvailable ?? KIND_DISK_DEFAULTS.imagefs}`,
  ].join(',');
  return { flag };
}
