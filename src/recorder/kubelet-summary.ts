import type * as k8s from '@kubernetes/client-node';
import type { CpuRecord, RecordInput } from '../history/records.ts';
import { NodeGaps, NodeNames } from './kubelet-sweep.ts';

/**
 * CPU and memory of every node, its kubelet, its container runtime and its pods from the kubelet's summary
 * API (`/api/v1/nodes/<node>/proxy/stats/summary`), through the API server: no Docker, no host access, so
 * it works on any cluster the lab may talk to. What it sees is cAdvisor's, refreshed on the kubelet's
 * housekeeping interval (about 10 s), so a sample here is coarser than the Docker sampler's 1 s, and its
 * runtime is the runtime's whole cgroup (shims included where they share it) while the Docker sampler
 * separates containerd from the shims. On kind both run; analysis prefers the Docker one per node.
 */
export const KUBELET_SUMMARY_SOURCE = 'sampler/kubelet-summary';

/** The parts of the summary API's answer this sampler reads (k8s.io/kubelet/pkg/apis/stats/v1alpha1). */
export interface CpuStats {
  time?: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}
export interface MemoryStats {
  time?: string;
  workingSetBytes?: number;
}
export interface ContainerStats {
  name: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}
export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  cpu?: CpuStats;
  memory?: MemoryStats;
}
export interface Summary {
  node: { nodeName: string; cpu?: CpuStats; memory?: MemoryStats; systemContainers?: ContainerStats[] };
  pods?: PodStats[];
}

/** The summary's system containers the lab reads, and the scope each becomes. */
const SYSTEM_SCOPES: Record<string, CpuRecord['scope']> = { kubelet: 'kubelet', runtime: 'runtime', pods: 'pods' };

interface Prev {
  atMs: number;
  usageNs: number;
}

/**
 * Cores from two readings of a cumulative counter, over the window between their own timestamps: the
 * kubelet's numbers carry the time cAdvisor took them, which is not when the lab asked.
 */
export class SummaryRates {
  readonly #prev = new Map<string, Prev>();

  /** Records for one node's summary; a part read for the first time, or unchanged since, gives none. */
  records(s: Summary): RecordInput[] {
    const out: RecordInput[] = [];
    const node = s.node.nodeName;
    const emit = (key: string, scope: CpuRecord['scope'], cpu: CpuStats | undefined, mem: MemoryStats | undefined, id?: string) => {
      const atMs = cpu?.time ? Date.parse(cpu.time) : NaN;
      const usageNs = cpu?.usageCoreNanoSeconds;
      if (!Number.isFinite(atMs) || typeof usageNs !== 'number' || !Number.isFinite(usageNs)) return;
      const prev = this.#prev.get(key);
      this.#prev.set(key, { atMs, usageNs });
      // Same reading as last time (the kubelet had not refreshed), first reading, or a restarted counter.
      if (!prev || atMs <= prev.atMs || usageNs < prev.usageNs) return;
      const windowMs = atMs - prev.atMs;
      out.push({
        type: 'cpu',
        source: KUBELET_SUMMARY_SOURCE,
        ts: new Date(atMs).toISOString(),
        scope,
        node,
        ...(id ? { id } : {}),
        cores: (usageNs - prev.usageNs) / 1e6 / windowMs,
        windowMs,
        ...(typeof mem?.workingSetBytes === 'number' ? { memBytes: mem.workingSetBytes } : {}),
      });
    };
    emit(`${node}/node`, 'node', s.node.cpu, s.node.memory);
    for (const c of s.node.systemContainers ?? []) {
      const scope = SYSTEM_SCOPES[c.name];
      if (scope) emit(`${node}/${scope}`, scope, c.cpu, c.memory);
    }
    for (const p of s.pods ?? []) emit(`${node}/pod/${p.podRef.uid}`, 'pod', p.cpu, p.memory, p.podRef.uid);
    return out;
  }

  /** Forget pods that are gone, so a long run does not keep every pod it ever saw. */
  prune(keep: (key: string) => boolean): void {
    for (const k of this.#prev.keys()) if (!keep(k)) this.#prev.delete(k);
  }
}

const REQUEST_TIMEOUT_MS = 5_000;

/** A node that did not answer, for the recorder's gap bookkeeping. */
export interface NodeMiss {
  node: string;
  error: string;
}

/**
 * One cluster's nodes, polled through the API server's node proxy. A node that does not answer (its
 * kubelet drowning, or the node gone) is reported back per node, so its silence is a gap for that node
 * only; the other nodes' samples go on.
 */
export class KubeletSummarySampler {
  readonly #rates = new SummaryRates();
  readonly #names: NodeNames;
  readonly #gaps: NodeGaps;

  constructor(
    private readonly core: k8s.CoreV1Api,
    private readonly emit: (r: RecordInput) => void,
    /** Fixed node names (tests); default: the cluster's nodes, listed every 30 s. The cluster index of a
     *  split run is added by the recorder's emit, as for every other record. */
    private readonly opts: { nodes?: readonly string[] } = {},
  ) {
    this.#names = new NodeNames(core, opts.nodes);
    this.#gaps = new NodeGaps(KUBELET_SUMMARY_SOURCE, ['cpu'], emit);
  }

  async fetchSummary(node: string): Promise<Summary> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const body = (await Promise.race([
        this.core.connectGetNodeProxyWithPath({ name: node, path: 'stats/summary' }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`stats/summary of ${node}: no answer in ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
        }),
      ])) as unknown;
      const s = (typeof body === 'string' ? JSON.parse(body) : body) as Summary;
      if (!s || typeof s !== 'object' || !s.node || typeof s.node.nodeName !== 'string') throw new Error(`stats/summary of ${node}: not a kubelet summary`);
      return s;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** One sweep over the nodes; resolves with the nodes that failed (each with its error). */
  async sample(): Promise<NodeMiss[]> {
    const nodes = await this.#names.get();
    const misses: NodeMiss[] = [];
    const seen = new Set<string>();
    const answered = new Set<string>();
    await Promise.all(
      nodes.map(async (node) => {
        try {
          const s = await this.fetchSummary(node);
          for (const r of this.#rates.records(s)) this.emit(r);
          for (const p of s.pods ?? []) seen.add(`${s.node.nodeName}/pod/${p.podRef.uid}`);
          answered.add(s.node.nodeName);
          this.#gaps.close(node);
        } catch (err) {
          misses.push({ node, error: (err as Error).message });
          this.#gaps.open(node, (err as Error).message);
        }
      }),
    );
    // A pod's previous reading is dropped once its node answered without it; a silent node keeps its pods'.
    this.#rates.prune((k) => !k.includes('/pod/') || seen.has(k) || !answered.has(k.slice(0, k.indexOf('/pod/'))));
    return misses;
  }
}
