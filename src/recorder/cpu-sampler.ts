import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordInput } from '../history/records.ts';

/**
 * CPU of every kind node container and, inside it, of the parts that shared the load in 2019: the
 * container runtime (containerd), the kubelet, the shims that carry every container's stdout, and the
 * pods. Read from the host's cgroup v1 accounting and /proc, so sampling costs a few file reads instead
 * of a `docker exec` or `docker stats` per node per second.
 */
export interface NodeTarget {
  name: string;
  containerId: string;
}

const CGROUP_V1 = '/sys/fs/cgroup/cpuacct/docker';
const MEMORY_V1 = '/sys/fs/cgroup/memory/docker';
const CLK_TCK = 100;

type ProcClass = 'runtime' | 'kubelet' | 'shims';

function readNumber(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

function classify(comm: string): ProcClass | undefined {
  if (comm === 'containerd') return 'runtime';
  if (comm === 'kubelet') return 'kubelet';
  if (comm.startsWith('containerd-shim')) return 'shims';
  return undefined;
}

/** Pod cgroups under a node's kubepods tree, keyed by pod uid (cgroupfs and systemd layouts alike). */
function podCgroups(nodeDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (dir: string, depth: number) => {
    if (depth > 3) return;
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      return;
    }
    for (const e of entries) {
      const m = /pod([0-9a-f_-]{36})(\.slice)?$/.exec(e);
      if (m) out.set(m[1]!.replaceAll('_', '-'), join(dir, e));
      else if (e.startsWith('kubepods')) visit(join(dir, e), depth + 1);
    }
  };
  visit(nodeDir, 0);
  return out;
}

export function cpuSamplingSupported(): boolean {
  return existsSync(CGROUP_V1);
}

export class CpuSampler {
  #prev = new Map<string, { at: number; ns: number }>();
  #procs = new Map<number, { node: string; cls: ProcClass }>();
  #lastScan = 0;

  constructor(
    private readonly nodes: NodeTarget[],
    private readonly emit: (r: RecordInput) => void,
  ) {}

  /** Which processes belong to which node and part; rescanned every few seconds as shims come and go. */
  #scanProcs(): void {
    this.#procs.clear();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let comm: string;
      let cgroup: string;
      try {
        comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        const cls = classify(comm);
        if (!cls) continue;
        cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
        const node = this.nodes.find((n) => cgroup.includes(`/docker/${n.containerId}`));
        if (node) this.#procs.set(Number(pid), { node: node.name, cls });
      } catch {
        continue;
      }
    }
    this.#lastScan = Date.now();
  }

  /** Cores used since the previous sample of the same key; undefined on the first sample. */
  #rate(key: string, ns: number, now: number): { cores: number; windowMs: number } | undefined {
    const prev = this.#prev.get(key);
    this.#prev.set(key, { at: now, ns });
    if (!prev || now <= prev.at || ns < prev.ns) return undefined;
    return { cores: (ns - prev.ns) / 1e6 / (now - prev.at), windowMs: now - prev.at };
  }

  sample(): void {
    const now = Date.now();
    if (now - this.#lastScan > 5000) this.#scanProcs();
    const ts = new Date(now).toISOString();
    for (const n of this.nodes) {
      const dir = join(CGROUP_V1, n.containerId);
      const total = readNumber(join(dir, 'cpuacct.usage'));
      if (total === undefined) continue;
      const mem = readNumber(join(MEMORY_V1, n.containerId, 'memory.usage_in_bytes'));
      const r = this.#rate(`${n.name}/node`, total, now);
      if (r) this.emit({ type: 'cpu', source: 'sampler/cpu', ts, scope: 'node', node: n.name, cores: r.cores, windowMs: r.windowMs, ...(mem !== undefined ? { memBytes: mem } : {}) });
      let podsNs = 0;
      for (const [uid, podDir] of podCgroups(dir)) {
        const ns = readNumber(join(podDir, 'cpuacct.usage'));
        if (ns === undefined) continue;
        podsNs += ns;
        const pr = this.#rate(`${n.name}/pod/${uid}`, ns, now);
        if (pr) this.emit({ type: 'cpu', source: 'sampler/cpu', ts, scope: 'pod', node: n.name, id: uid, cores: pr.cores, windowMs: pr.windowMs });
      }
      const pods = this.#rate(`${n.name}/pods`, podsNs, now);
      if (pods) this.emit({ type: 'cpu', source: 'sampler/cpu', ts, scope: 'pods', node: n.name, cores: pods.cores, windowMs: pods.windowMs });
    }
    // Per process, then summed: a shim that exits takes its ticks with it, which must not read as negative CPU.
    const byPart = new Map<string, { cores: number; windowMs: number }>();
    for (const [pid, p] of this.#procs) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(f[11]) + Number(f[12]);
        const r = this.#rate(`pid/${pid}`, (ticks * 1e9) / CLK_TCK, now);
        const key = `${p.node}/${p.cls}`;
        const acc = byPart.get(key) ?? { cores: 0, windowMs: 0 };
        if (r) byPart.set(key, { cores: acc.cores + r.cores, windowMs: Math.max(acc.windowMs, r.windowMs) });
        else byPart.set(key, acc);
      } catch {
        this.#procs.delete(pid);
        this.#prev.delete(`pid/${pid}`);
      }
    }
    for (const [key, r] of byPart) {
      if (r.windowMs === 0) continue;
      const [node, cls] = key.split('/') as [string, ProcClass];
      this.emit({ type: 'cpu', source: 'sampler/cpu', ts, scope: cls, node, cores: r.cores, windowMs: r.windowMs });
    }
  }
}
