// The host's /proc files as the host sampler (host-load.ts) reads them: the load average, the CPU time
// lines of /proc/stat, one process's stat line, and whether a process's cgroups place it in a container.
// Pure text in, values out: the tests feed them captured lines.
import { basename } from 'node:path';

/** Clock ticks per second of /proc times (USER_HZ; 100 on every Linux the lab runs on, as cpu-sampler.ts assumes). */
export const CLK_TCK = 100;

/** PF_KTHREAD in a process's flags (include/linux/sched.h): a kernel thread, not a program. */
const PF_KTHREAD = 0x00200000;

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
}

/** "0.52 0.58 0.59 2/1068 8944": the three averages; anything else unreadable. */
export function parseLoadavg(text: string): LoadAvg | undefined {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((x) => x !== undefined && Number.isFinite(x) && x >= 0)) return undefined;
  return { load1: a!, load5: b!, load15: c! };
}

export interface CpuTimes {
  /** The cpuN lines: how many CPUs the host has online. */
  cpus: number;
  /** Ticks over all CPUs since boot. */
  busy: number;
  steal: number;
  total: number;
}

/**
 * The aggregate "cpu" line of /proc/stat (user nice system idle iowait irq softirq steal guest guest_nice).
 * Busy is user + nice + system + irq + softirq; idle and iowait are not; steal is counted apart (the
 * hypervisor's, not this host's work). guest time is already inside user and nice, so it is not added.
 */
export function parseCpuTimes(text: string): CpuTimes | undefined {
  const lines = text.split('\n');
  const all = lines.find((l) => /^cpu\s/.test(l));
  const cpus = lines.filter((l) => /^cpu\d+\s/.test(l)).length;
  if (!all || cpus === 0) return undefined;
  const f = all.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq;
  return { cpus, busy, steal, total: busy + idle + iowait + steal };
}

export interface PidStat {
  comm: string;
  ppid: number;
  /** Ticks since boot when the process started: tells a new process from an old one with a reused pid. */
  starttime: number;
  /** utime + stime + cutime + cstime: the process's CPU and that of the children it has waited for. */
  ticks: number;
  kthread: boolean;
}

/** One /proc/[pid]/stat line. The name is between the first "(" and the last ")", and may hold spaces and parentheses. */
export function parsePidStat(text: string): PidStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).trim().split(' ');
  // f[0] state, f[1] ppid, f[6] flags, f[11..14] utime stime cutime cstime, f[19] starttime.
  const n = (i: number) => Number(f[i]);
  const ticks = n(11) + n(12) + n(13) + n(14);
  if (f.length < 20 || ![n(1), n(6), ticks, n(19)].every(Number.isFinite)) return undefined;
  return { comm: text.slice(open + 1, close), ppid: n(1), starttime: n(19), ticks, kthread: (n(6) & PF_KTHREAD) !== 0 };
}

/**
 * Whether any of a process's cgroups (every hierarchy of /proc/[pid]/cgroup, v1 and v2) is a container's.
 * Markers: Docker's cgroupfs driver puts containers (and BuildKit builds) under /docker/, its systemd driver
 * in docker-<id>.scope; Kubernetes pods are under kubepods; CRI containers in cri-containerd-/crio- scopes;
 * Podman in libpod-; LXC under /lxc/; kind's own under /kind/. The engines' own services
 * (docker.service, containerd.service) are not containers.
 */
const CONTAINER_PATH = /^\/docker\/|\/docker-[0-9a-f]{12,}\.scope|kubepods|\/cri-containerd-|\/crio-|\/libpod-|^\/lxc\/|\/kind\//;

export function cgroupPaths(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(':').slice(2).join(':'));
}

export function inContainer(cgroupText: string): boolean {
  return cgroupPaths(cgroupText).some((p) => CONTAINER_PATH.test(p));
}

/** The container engine outside the containers: Docker, containerd and their helpers (comm is cut to 15 characters). */
const ENGINE = /^(dockerd|containerd|containerd-shim.*|docker-proxy|docker-init|runc|runc:\[.*)$/;

export function isEngine(comm: string): boolean {
  return ENGINE.test(comm);
}

const INTERPRETERS = /^(node|python[0-9.]*|ruby|perl|bash|sh|dash|zsh)$/;
/** Interpreter options whose next argument is not the script. */
const TAKES_VALUE = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--title', '-m']);
/** Options after which the program is inline text, not a file. */
const INLINE = new Set(['-e', '--eval', '-p', '--print', '-c']);
const NAME_MAX = 40;

/**
 * A process's name for a reader: its comm, and for an interpreter its script's base name ("node tsc",
 * "python3 build.py"), from the NUL-separated /proc/[pid]/cmdline. Never longer than 40 characters.
 */
export function displayName(comm: string, cmdline: string | undefined): string {
  const name = (s: string) => (s.length > NAME_MAX ? `${s.slice(0, NAME_MAX - 1)}…` : s);
  if (!INTERPRETERS.test(comm) || !cmdline) return name(comm);
  const args = cmdline.split('\0').filter((a) => a !== '');
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (TAKES_VALUE.has(a)) {
      // python -m module: the module is the program.
      if (a === '-m' && args[i + 1]) return name(`${comm} -m ${args[i + 1]}`);
      i++;
      continue;
    }
    if (INLINE.has(a)) return name(`${comm} ${a}`);
    if (a.startsWith('-')) continue;
    return name(`${comm} ${basename(a.split(/\s/)[0]!)}`);
  }
  return name(comm);
}
