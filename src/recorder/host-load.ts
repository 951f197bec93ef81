import { readdirSync, readFileSync } from 'node:fs';
import { HOST_LOAD_SOURCE, type HostLoadRecord, type HostProcessCores, type RecordInput } from '../history/records.ts';
import type { NodeTarget } from './cpu-sampler.ts';
import { CLK_TCK, displayName, inContainer, isEngine, parseCpuTimes, parseLoadavg, parsePidStat, type CpuTimes, type LoadAvg, type PidStat } from './host-proc.ts';

/**
 * What else the machine was doing while the lab measured: on 2 cores, a compile beside a replay changes
 * its numbers. Every 5 s: the load average, the host's busy cores, and the CPU of every process outside
 * the containers (the kind nodes, Kafka) that is neither the container engine, a kernel thread, nor the
 * lab's own process tree, with the top few by name. Only when the lab's nodes run on this host: on a
 * foreign cluster this machine is not where the nodes are, and the recorder says "not measured".
 *
 * Per process, CPU is the growth of utime + stime + cutime + cstime between two reads: a child that ran
 * and was waited for between reads shows in its parent (make, go build, npm), so short-lived compilers are
 * not missed. A process already counted while alive is subtracted from its parent when it disappears, so
 * it is not counted twice; a process born between reads counts from zero; one that vanished is dropped.
 * Memory: the last read's processes and a per-process cache of what its cgroups said, nothing older.
 */
export { HOST_LOAD_SOURCE };
export const HOST_SAMPLE_PERIOD_MS = 5_000;
/** How many "other" process names a record keeps. */
export const HOST_TOP = 5;
/** Processes read between two yields to the event loop. */
const YIELD_EVERY = 100;

/** Where a process's CPU is counted. */
export type ProcKind = 'container' | 'engine' | 'kernel' | 'lab' | 'other';

/** The /proc the sampler reads; the tests give it fixture files. */
export interface ProcFs {
  /** The entries of /proc (pids among them). */
  list(): string[];
  /** A file under /proc ("stat", "123/cgroup"); undefined when it cannot be read (the process is gone). */
  read(path: string): string | undefined;
}

export function procFs(root = '/proc'): ProcFs {
  return {
    list: () => readdirSync(root),
    read: (p) => {
      try {
        return readFileSync(`${root}/${p}`, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

export interface HostSnapshot {
  /** /proc/uptime, seconds since boot: the clock of process start times and of the window. */
  uptimeS: number;
  load: LoadAvg;
  cpu: CpuTimes;
  procs: Map<number, PidStat>;
}

/** Per process, ticks used between two snapshots (see the module comment); processes with none are left out. */
export function windowTicks(prev: ReadonlyMap<number, PidStat>, cur: ReadonlyMap<number, PidStat>, prevUptimeS: number): Map<number, number> {
  const same = (a: PidStat | undefined, b: PidStat | undefined) => a !== undefined && b !== undefined && a.starttime === b.starttime;
  // What was counted of each process that is gone: its parent's cutime now holds it too.
  const counted = new Map<number, number>();
  for (const [pid, p] of prev) if (!same(p, cur.get(pid))) counted.set(p.ppid, (counted.get(p.ppid) ?? 0) + p.ticks);
  const out = new Map<number, number>();
  for (const [pid, c] of cur) {
    const p = prev.get(pid);
    let d: number;
    if (same(p, c)) d = c.ticks - p!.ticks - (counted.get(pid) ?? 0);
    // Born after the previous read: everything it used is in this window. Else it was missed before: a baseline.
    else d = c.starttime / CLK_TCK >= prevUptimeS ? c.ticks : 0;
    if (d > 0) out.set(pid, d);
  }
  return out;
}

/** The lab's own processes: `self`, everything it started (by parent pid), and the processes that started it (init aside). */
export function labTree(procs: ReadonlyMap<number, Pick<PidStat, 'ppid'>>, self: number): Set<number> {
  const tree = new Set<number>([self]);
  for (let p = procs.get(self)?.ppid; p !== undefined && p > 1 && !tree.has(p); p = procs.get(p)?.ppid) tree.add(p);
  const children = new Map<number, number[]>();
  for (const [pid, s] of procs) (children.get(s.ppid) ?? children.set(s.ppid, []).get(s.ppid)!).push(pid);
  const queue = [self];
  while (queue.length) {
    for (const c of children.get(queue.pop()!) ?? []) {
      if (tree.has(c)) continue;
      tree.add(c);
      queue.push(c);
    }
  }
  return tree;
}

export function kindOf(p: Pick<PidStat, 'comm' | 'kthread'>, container: boolean, lab: boolean): ProcKind {
  if (p.kthread) return 'kernel';
  if (lab) return 'lab';
  if (container) return 'container';
  return isEngine(p.comm) ? 'engine' : 'other';
}

/** The record for the window between two snapshots; `kind` and `name` say where each process's CPU goes. */
export function hostLoadRecord(
  prev: HostSnapshot,
  cur: HostSnapshot,
  kind: (pid: number) => ProcKind,
  name: (pid: number) => string,
): Omit<HostLoadRecord, 'ts' | 'seq'> | undefined {
  const windowS = cur.uptimeS - prev.uptimeS;
  const dTotal = cur.cpu.total - prev.cpu.total;
  if (!(windowS > 0) || !(dTotal > 0)) return undefined;
  const cores = (ticks: number) => ticks / CLK_TCK / windowS;
  const sums: Record<ProcKind, number> = { container: 0, engine: 0, kernel: 0, lab: 0, other: 0 };
  const byName = new Map<string, { ticks: number; procs: number }>();
  for (const [pid, t] of windowTicks(prev.procs, cur.procs, prev.uptimeS)) {
    const k = kind(pid);
    sums[k] += t;
    if (k !== 'other') continue;
    const n = name(pid);
    const e = byName.get(n) ?? byName.set(n, { ticks: 0, procs: 0 }).get(n)!;
    e.ticks += t;
    e.procs++;
  }
  const top: HostProcessCores[] = [...byName]
    .sort((a, b) => b[1].ticks - a[1].ticks || a[0].localeCompare(b[0]))
    .slice(0, HOST_TOP)
    .map(([n, e]) => ({ name: n, cores: cores(e.ticks), procs: e.procs }));
  // Busy share of all CPU time in the window, times the CPUs: immune to the sampler being late.
  const share = (d: number) => Math.max(0, d / dTotal) * cur.cpu.cpus;
  const steal = share(cur.cpu.steal - prev.cpu.steal);
  return {
    type: 'host-load',
    source: HOST_LOAD_SOURCE,
    ...cur.load,
    cpus: cur.cpu.cpus,
    windowMs: Math.round(windowS * 1000),
    busyCores: share(cur.cpu.busy - prev.cpu.busy),
    ...(steal > 0 ? { stealCores: steal } : {}),
    containerCores: cores(sums.container),
    engineCores: cores(sums.engine),
    kernelCores: cores(sums.kernel),
    labCores: cores(sums.lab),
    otherCores: cores(sums.other),
    top,
  };
}

/** What the cgroups and the command line of one process (pid and start time) said; read once per process. */
interface Known {
  starttime: number;
  container: boolean;
  name?: string;
}

export class HostLoadSampler {
  #prev: HostSnapshot | undefined;
  #known = new Map<number, Known>();

  constructor(
    private readonly emit: (r: RecordInput) => void,
    private readonly fs: ProcFs = procFs(),
    private readonly self: number = process.pid,
  ) {}

  /**
   * One read of /proc; processes that vanish between the listing and their files are left out. The
   * recorder's probes time Consul and Vault on this event loop: the reads yield every YIELD_EVERY
   * processes so a thousand of them never hold it for long.
   */
  async snapshot(): Promise<HostSnapshot> {
    const uptimeS = Number(this.fs.read('uptime')?.split(' ')[0]);
    const load = parseLoadavg(this.fs.read('loadavg') ?? '');
    const cpu = parseCpuTimes(this.fs.read('stat') ?? '');
    if (!Number.isFinite(uptimeS) || !load || !cpu) throw new Error('/proc/uptime, /proc/loadavg or /proc/stat unreadable');
    const procs = new Map<number, PidStat>();
    let n = 0;
    for (const entry of this.fs.list()) {
      if (!/^\d+$/.test(entry)) continue;
      if (++n % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const pid = Number(entry);
      const text = this.fs.read(`${pid}/stat`);
      const st = text === undefined ? undefined : parsePidStat(text);
      if (!st) continue;
      const k = this.#known.get(pid);
      if (!k || k.starttime !== st.starttime) {
        // Kernel threads have no cgroup worth reading; a process gone before its cgroup was read is dropped.
        const cg = st.kthread ? '' : this.fs.read(`${pid}/cgroup`);
        if (cg === undefined) continue;
        this.#known.set(pid, { starttime: st.starttime, container: !st.kthread && inContainer(cg) });
      }
      procs.set(pid, st);
    }
    for (const pid of this.#known.keys()) if (!procs.has(pid)) this.#known.delete(pid);
    return { uptimeS, load, cpu, procs };
  }

  async sample(): Promise<void> {
    const cur = await this.snapshot();
    const prev = this.#prev;
    this.#prev = cur;
    // The first read only sets the baseline: rates need two.
    if (!prev) return;
    const lab = labTree(cur.procs, this.self);
    const r = hostLoadRecord(
      prev,
      cur,
      (pid) => kindOf(cur.procs.get(pid)!, this.#known.get(pid)?.container ?? false, lab.has(pid)),
      (pid) => this.#name(pid, cur.procs.get(pid)!),
    );
    if (r) this.emit(r);
  }

  /** Read once per process, and only for the few outside every container that used CPU. */
  #name(pid: number, st: PidStat): string {
    const k = this.#known.get(pid);
    if (k?.name) return k.name;
    const n = displayName(st.comm, this.fs.read(`${pid}/cmdline`));
    if (k) k.name = n;
    return n;
  }
}

/**
 * Whether the host sampler can say what else ran beside the nodes: only where the lab's node containers
 * run on this host (their processes are in this /proc). Else why not, for the "not measured" record.
 */
export function hostLoadSupported(nodes: readonly NodeTarget[], fs: ProcFs = procFs()): { ok: true } | { ok: false; why: string } {
  const ids = nodes.map((n) => n.containerId).filter((id) => id !== '');
  if (ids.length === 0) return { ok: false, why: 'the nodes are not containers on this machine (a foreign cluster): what else ran beside them is not measured' };
  if (!parseCpuTimes(fs.read('stat') ?? '') || !parseLoadavg(fs.read('loadavg') ?? '')) return { ok: false, why: 'this host has no readable /proc/stat and /proc/loadavg: what else ran on it is not measured' };
  let entries: string[];
  try {
    entries = fs.list();
  } catch {
    entries = [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const cg = fs.read(`${e}/cgroup`);
    if (cg && ids.some((id) => cg.includes(id))) return { ok: true };
  }
  return { ok: false, why: 'no process of the node containers runs on this machine (the Docker engine is elsewhere): what else ran beside the nodes is not measured' };
}
