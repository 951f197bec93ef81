import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordInput } from '../history/records.ts';
import { containerd } from '../runtime/containerd.ts';
import { CLK_TCK } from './host-proc.ts';
import type { RuntimeProvider } from '../runtime/provider.ts';

/**
 * CPU of every kind node container and, inside it, of the parts that shared the load in 2019: the
 * container runtime (containerd), the kubelet, the shims that carry every container's stdout, and the
 * pods. The node total comes from the host's cgroup v1 accounting; the parts from /proc, per process,
 * grouped by name and by the pod cgroup they run in (the nodes get no cpuacct hierarchy of their own on
 * these hosts, so per-pod cgroup counters do not exist). A few file reads per process per sample: far
 * cheaper than a `docker exec` or `docker stats` per node per second.
 */
export interface NodeTarget {
  name: string;
  containerId: string;
  /** The node's cluster in a split run, written on its records; unset for a lab of one cluster. */
  cluster?: number;
}

const CPUACCT = '/sys/fs/cgroup/cpuacct/docker';
const CPU = '/sys/fs/cgroup/cpu/docker';
const MEMORY = '/sys/fs/cgroup/memory/docker';

type Part = 'runtime' | 'kubelet' | 'shims' | 'pod';

interface Proc {
  node: string;
  part: Part;
  /** Pod uid for part 'pod'. */
  uid?: string;
  /** For part 'runtime', the daemon's name: dockerd and the containerd under it are recorded apart. */
  daemon?: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** What a process is, from its name and the cgroup it runs in; which names are the runtime is the runtime's call. */
export function classify(comm: string, cpuCgroup: string, runtime: Pick<RuntimeProvider, 'processPart'> = containerd): { part: Part; uid?: string; daemon?: string } | undefined {
  const pod = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/.exec(cpuCgroup);
  if (pod) return { part: 'pod', uid: pod[1]!.replaceAll('_', '-') };
  if (comm === 'kubelet') return { part: 'kubelet' };
  const part = runtime.processPart(comm);
  if (part === 'runtime') return { part, daemon: comm };
  return part ? { part } : undefined;
}

export function cpuSamplingSupported(): boolean {
  return existsSync(CPUACCT);
}

export class CpuSampler {
  #prev = new Map<string, { at: number; v: number }>();
  #procs = new Map<number, Proc>();
  #lastScan = 0;
  readonly #emit: (r: RecordInput) => void;

  constructor(
    private readonly nodes: NodeTarget[],
    emit: (r: RecordInput) => void,
    private readonly runtime: Pick<RuntimeProvider, 'processPart'> = containerd,
  ) {
    // One sampler reads every node of every cluster; each record says whose node it was.
    const clusterOf = new Map(nodes.filter((n) => n.cluster !== undefined).map((n) => [n.name, n.cluster!]));
    this.#emit = clusterOf.size === 0 ? emit : (r) => emit(r.type === 'cpu' && clusterOf.has(r.node) ? { ...r, cluster: clusterOf.get(r.node)! } : r);
  }

  /** Which processes belong to which node and part; rescanned every few seconds as pods come and go. */
  #scan(): void {
    this.#procs.clear();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cg = read(`/proc/${pid}/cgroup`);
      if (!cg) continue;
      const node = this.nodes.find((n) => cg.includes(`/docker/${n.containerId}`));
      if (!node) continue;
      const cpuLine = /^\d+:cpu(?:,cpuacct)?:(.*)$/m.exec(cg)?.[1] ?? '';
      const c = classify((read(`/proc/${pid}/comm`) ?? '').trim(), cpuLine, this.runtime);
      if (c) this.#procs.set(Number(pid), { node: node.name, ...c });
    }
    this.#lastScan = Date.now();
  }

  /** Rate of a cumulative counter since the previous sample of the same key; undefined on the first. */
  #rate(key: string, v: number, now: number, perMs = 1e6): { rate: number; windowMs: number } | undefined {
    const prev = this.#prev.get(key);
    this.#prev.set(key, { at: now, v });
    if (!prev || now <= prev.at || v < prev.v) return undefined;
    return { rate: (v - prev.v) / perMs / (now - prev.at), windowMs: now - prev.at };
  }

  sample(): void {
    const now = Date.now();
    if (now - this.#lastScan > 5000) this.#scan();
    const ts = new Date(now).toISOString();
    for (const n of this.nodes) {
      const total = Number(read(join(CPUACCT, n.containerId, 'cpuacct.usage')));
      // The clock is read with each counter: under load the sampler itself is preempted between reads,
      // and one timestamp for all of them inflated 1 s rates up to twice a node's CPU limit.
      const readAt = Date.now();
      if (!Number.isFinite(total) || total === 0) continue;
      const mem = Number(read(join(MEMORY, n.containerId, 'memory.usage_in_bytes')));
      // Throttling says the node hit its CPU limit: the small VM was saturated, not merely busy.
      const throttled = /throttled_time (\d+)/.exec(read(join(CPU, n.containerId, 'cpu.stat')) ?? '')?.[1];
      const r = this.#rate(`${n.name}/node`, total, readAt);
      const t = throttled !== undefined ? this.#rate(`${n.name}/throttled`, Number(throttled), readAt) : undefined;
      if (r) {
        this.#emit({
          type: 'cpu', source: 'sampler/cpu', ts, scope: 'node', node: n.name, cores: r.rate, windowMs: r.windowMs,
          ...(Number.isFinite(mem) ? { memBytes: mem } : {}),
          ...(t ? { throttledFraction: Math.min(1, t.rate) } : {}),
        });
      }
    }
    // Per process, then summed: a process that exits takes its ticks with it, which must not read as negative CPU.
    const parts = new Map<string, { node: string; part: Part; uid?: string; daemon?: string; cores: number; windowMs: number }>();
    for (const [pid, p] of this.#procs) {
      const stat = read(`/proc/${pid}/stat`);
      const readAt = Date.now();
      if (!stat) {
        this.#procs.delete(pid);
        this.#prev.delete(`pid/${pid}`);
        continue;
      }
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ns = ((Number(f[11]) + Number(f[12])) * 1e9) / CLK_TCK;
      const r = this.#rate(`pid/${pid}`, ns, readAt);
      const key = `${p.node}/${p.part}/${p.uid ?? p.daemon ?? ''}`;
      const acc = parts.get(key) ?? { ...p, cores: 0, windowMs: 0 };
      if (r) {
        acc.cores += r.rate;
        acc.windowMs = Math.max(acc.windowMs, r.windowMs);
      }
      parts.set(key, acc);
    }
    const podsPerNode = new Map<string, { cores: number; windowMs: number }>();
    for (const a of parts.values()) {
      if (a.windowMs === 0) continue;
      if (a.part === 'pod') {
        this.#emit({ type: 'cpu', source: 'sampler/cpu', ts, scope: 'pod', node: a.node, id: a.uid!, cores: a.cores, windowMs: a.windowMs });
        const s = podsPerNode.get(a.node) ?? { cores: 0, windowMs: 0 };
        podsPerNode.set(a.node, { cores: s.cores + a.cores, windowMs: Math.max(s.windowMs, a.windowMs) });
      } else {
        // One record per runtime daemon at the same tick: analysis sums them into the node's runtime CPU.
        this.#emit({ type: 'cpu', source: 'sampler/cpu', ts, scope: a.part, node: a.node, ...(a.daemon ? { id: a.daemon } : {}), cores: a.cores, windowMs: a.windowMs });
      }
    }
    for (const [node, s] of podsPerNode) this.#emit({ type: 'cpu', source: 'sampler/cpu', ts, scope: 'pods', node, cores: s.cores, windowMs: s.windowMs });
  }
}
