// The host sampler: what else the machine ran beside the kind nodes, read from /proc. Fixture /proc
// files (lines as this 2-core cgroup v1 host writes them) in, records out; no clock, no real /proc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostLoadRecord, RecordInput } from '../../src/history/records.ts';
import { HOST_LOAD_SOURCE, HOST_TOP, HostLoadSampler, hostLoadRecord, hostLoadSupported, kindOf, labTree, windowTicks, type HostSnapshot, type ProcFs } from '../../src/recorder/host-load.ts';
import { displayName, inContainer, isEngine, parseCpuTimes, parseLoadavg, parsePidStat, type PidStat } from '../../src/recorder/host-proc.ts';

const NODE_ID = 'a3f1c0de'.repeat(8);
const KAFKA_ID = 'b4e2d1ef'.repeat(8);

/** A /proc/[pid]/stat line as the kernel writes it (52 fields), with the fields the sampler reads set. */
function statLine(pid: number, comm: string, o: { ppid: number; utime?: number; stime?: number; cutime?: number; cstime?: number; start: number; flags?: number }): string {
  const f = ['S', o.ppid, pid, 7127, 0, -1, o.flags ?? 4194304, 100, 0, 0, 0, o.utime ?? 0, o.stime ?? 0, o.cutime ?? 0, o.cstime ?? 0, 20, 0, 1, 0, o.start, 3133440, 388];
  return `${pid} (${comm}) ${[...f, ...Array(30).fill(0)].join(' ')}\n`;
}

const HOST_CG = '9:name=systemd:/\n8:pids:/\n4:memory:/process_api/cd6f765fcc77b31f36e4acaef0874358\n2:cpuacct:/\n1:cpu:/\n0::/\n';
const ROOT_CG = '9:name=systemd:/\n8:pids:/\n4:memory:/\n2:cpuacct:/\n1:cpu:/\n0::/\n';
const NODE_POD_CG = `9:name=systemd:/docker/${NODE_ID}/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod1f0c6a52_8f7e_4b7d_9a39_3c2f1b0e9d11.slice/cri-containerd-0305.scope\n4:memory:/docker/${NODE_ID}/kubelet.slice\n1:cpu:/docker/${NODE_ID}/kubelet.slice\n0::/\n`;
const KAFKA_CG = `4:memory:/docker/${KAFKA_ID}\n2:cpuacct:/docker/${KAFKA_ID}\n1:cpu:/docker/${KAFKA_ID}\n0::/\n`;

const PROC_STAT = (busy: [number, number, number], idle: number, irq = [0, 0], steal = 0) =>
  `cpu  ${busy[0]} ${busy[1]} ${busy[2]} ${idle} 100 ${irq[0]} ${irq[1]} ${steal} 0 0\ncpu0 1 1 1 1 0 0 0 0 0 0\ncpu1 1 1 1 1 0 0 0 0 0 0\nintr 0\nctxt 9\nbtime 1764980000\n`;

/** An in-memory /proc: paths relative to /proc; `gone` pids are listed but their files cannot be read. */
function memFs(files: Record<string, string>, extraListed: string[] = []): ProcFs & { reads: string[] } {
  const reads: string[] = [];
  const pids = new Set(Object.keys(files).map((p) => p.split('/')[0]!).filter((p) => /^\d+$/.test(p)));
  return {
    reads,
    list: () => ['self', 'stat', 'loadavg', 'uptime', ...pids, ...extraListed],
    read: (p) => {
      reads.push(p);
      return files[p];
    },
  };
}

test('loadavg, /proc/stat and a pid stat line are read as the kernel writes them; anything else is unreadable, not zero', () => {
  assert.deepEqual(parseLoadavg('3.49 2.85 5.73 2/1068 8944\n'), { load1: 3.49, load5: 2.85, load15: 5.73 });
  assert.equal(parseLoadavg(''), undefined);
  assert.equal(parseLoadavg('x y z'), undefined);
  const real = 'cpu  988598 124318 297786 792788 9876 0 11667 1598 0 0\ncpu0 492532 61894 152435 395655 5019 0 4972 806 0 0\ncpu1 496066 62424 145350 397132 4856 0 6694 792 0 0\nintr 1\n';
  // busy = user + nice + system + irq + softirq; iowait is idle; steal apart and in the total.
  assert.deepEqual(parseCpuTimes(real), { cpus: 2, busy: 988598 + 124318 + 297786 + 0 + 11667, steal: 1598, total: 988598 + 124318 + 297786 + 11667 + 792788 + 9876 + 1598 });
  assert.equal(parseCpuTimes('intr 1\n'), undefined);
  assert.equal(parseCpuTimes('cpu  1 2 3 4\n'), undefined, 'no cpuN line: the CPU count is unknown');

  const self = parsePidStat('3973 (cat) R 3971 3971 7127 0 -1 4194304 100 0 0 0 7 3 20 5 20 0 1 0 1171530 3133440 388 18446744073709551615 94702536536064 0');
  assert.deepEqual(self, { comm: 'cat', ppid: 3971, starttime: 1171530, ticks: 7 + 3 + 20 + 5, kthread: false });
  // The name may hold spaces and parentheses: it ends at the last ")".
  const odd = parsePidStat(statLine(8907, 'npm exec (x) --', { ppid: 8905, utime: 40, stime: 2, start: 500 }));
  assert.equal(odd?.comm, 'npm exec (x) --');
  assert.equal(odd?.ppid, 8905);
  assert.equal(odd?.ticks, 42);
  const kthreadd = parsePidStat('2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 6 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 1 0');
  assert.equal(kthreadd?.kthread, true);
  assert.equal(parsePidStat('12 (short) S 1 2'), undefined);
  assert.equal(parsePidStat('garbage'), undefined);
});

test('a process is in a container when any of its cgroups is a container\u2019s; the engines\u2019 own services and the host\u2019s sessions are not', () => {
  assert.equal(inContainer(NODE_POD_CG), true, 'a pod inside a kind node (cgroupfs driver, v1)');
  assert.equal(inContainer(KAFKA_CG), true, 'a plain Docker container');
  assert.equal(inContainer('0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n'), true, 'systemd driver, v2');
  assert.equal(inContainer('0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice/cri-containerd-abc.scope\n'), true);
  assert.equal(inContainer('11:cpu,cpuacct:/docker/buildkit/x1y2z3\n'), true, 'a BuildKit build is a container too');
  assert.equal(inContainer('0::/machine.slice/libpod-0123456789ab.scope\n'), true);
  assert.equal(inContainer(HOST_CG), false, 'a shell of this host (memory cgroup of its session, cpu at the root)');
  assert.equal(inContainer(ROOT_CG), false);
  assert.equal(inContainer('1:name=systemd:/system.slice/docker.service\n0::/system.slice/containerd.service\n'), false, 'dockerd and containerd themselves');
  assert.equal(inContainer('0::/user.slice/user-1000.slice/session-3.scope\n'), false);

  assert.ok(['dockerd', 'containerd', 'containerd-shim', 'docker-proxy', 'runc', 'runc:[2:INIT]'].every(isEngine));
  assert.ok(!['docker', 'node', 'go', 'containerd2x', 'kubelet'].some(isEngine), 'the docker CLI is a client, not the engine');
  assert.equal(kindOf({ comm: 'kworker/u8:3', kthread: true }, false, false), 'kernel');
  assert.equal(kindOf({ comm: 'node', kthread: false }, true, true), 'lab', 'the lab first');
  assert.equal(kindOf({ comm: 'kubelet', kthread: false }, true, false), 'container');
  assert.equal(kindOf({ comm: 'containerd-shim', kthread: false }, false, false), 'engine');
  assert.equal(kindOf({ comm: 'cc1', kthread: false }, false, false), 'other');
});

test('names: comm, with the script of an interpreter, never longer than 40 characters', () => {
  const cmd = (...a: string[]) => `${a.join('\0')}\0`;
  assert.equal(displayName('node', cmd('node', '/work/main/node_modules/.bin/tsc', '--noEmit', '-p', '.')), 'node tsc');
  assert.equal(displayName('node', cmd('node', '--import', 'tsx', '--test', 'test/unit/x.test.ts')), 'node x.test.ts');
  assert.equal(displayName('node', cmd('node', '-e', 'while(1){}')), 'node -e');
  assert.equal(displayName('python3', cmd('python3', '-m', 'pytest', '-q')), 'python3 -m pytest');
  assert.equal(displayName('bash', cmd('bash', '-c', 'make -j2')), 'bash -c');
  assert.equal(displayName('cc1', cmd('/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '-quiet')), 'cc1', 'not an interpreter: comm alone');
  assert.equal(displayName('node', undefined), 'node', 'gone before its command line was read');
  assert.equal(displayName('x'.repeat(60), undefined).length, 40);
});

const snap = (uptimeS: number, busy: number, total: number, procs: [number, PidStat][]): HostSnapshot => ({
  uptimeS,
  load: { load1: 1, load5: 1, load15: 1 },
  cpu: { cpus: 2, busy, steal: 0, total },
  procs: new Map(procs),
});
const p = (comm: string, ppid: number, ticks: number, starttime = 100, kthread = false): PidStat => ({ comm, ppid, ticks, starttime, kthread });

test('per process ticks: growth between reads; a reaped child is not counted twice; newborns count in full; a reused pid is a new process', () => {
  // Uptime 1000 s at the previous read: start times (ticks) above 100000 are newborns.
  const prev = new Map<number, PidStat>([
    [10, p('make', 1, 100)],
    [11, p('cc1', 10, 50, 99_000)],
    [20, p('tsc', 1, 1000)],
    [30, p('old', 1, 70, 50)],
    [40, p('idle', 1, 5)],
  ]);
  const cur = new Map<number, PidStat>([
    // make: 10 of its own, plus cc1 reaped with 60 in all (50 already counted while cc1 was alive), plus a
    // short-lived child born and reaped between the reads (30): 100 + 10 + 60 + 30.
    [10, p('make', 1, 200)],
    [20, p('tsc', 1, 1250)],
    // pid 30 exited and was reused by a new process (another start time).
    [30, p('new', 1, 12, 100_100)],
    [40, p('idle', 1, 5)],
    // Born after the previous read: all of it in this window.
    [50, p('ld', 10, 8, 100_050)],
    // Not in the previous listing although older than it (its stat was unreadable then): a baseline only.
    [60, p('missed', 1, 400, 90_000)],
  ]);
  const t = windowTicks(prev, cur, 1000);
  assert.deepEqual(Object.fromEntries(t), { 10: 200 - 100 - 50, 20: 250, 30: 12, 50: 8 }, 'make: its own 10, the 10 cc1 ran after the last read and the unseen child\u2019s 30');
  assert.equal(t.has(40), false, 'no CPU: left out');
  // The reaped process's parent is gone too: nothing to subtract from, nothing negative.
  const orphan = windowTicks(new Map([[11, p('cc1', 10, 50)]]), new Map([[10, p('make', 1, 20, 100_010)]]), 1000);
  assert.deepEqual(Object.fromEntries(orphan), { 10: 20 });
  // A parent credited more than it grew (its child was reaped elsewhere after a reparent): zero, never negative.
  const reparented = windowTicks(new Map([[10, p('sh', 1, 100)], [11, p('x', 10, 80)]]), new Map([[10, p('sh', 1, 110)]]), 1000);
  assert.equal(reparented.has(10), false);
});

test('the lab\u2019s process tree: the lab, what it started, and what started it; not its siblings nor init', () => {
  const procs = new Map<number, Pick<PidStat, 'ppid'>>([
    [1, { ppid: 0 }],
    [100, { ppid: 1 }], // a shell
    [190, { ppid: 100 }], // npm exec lab matrix
    [200, { ppid: 190 }], // the lab
    [210, { ppid: 200 }], // docker exec
    [211, { ppid: 210 }],
    [300, { ppid: 100 }], // tsc started from the same shell
    [301, { ppid: 300 }],
  ]);
  assert.deepEqual([...labTree(procs, 200)].sort((a, b) => a - b), [100, 190, 200, 210, 211]);
});

test('a window\u2019s record: busy cores from /proc/stat, CPU by kind, the top other names by cores with their process counts', () => {
  const names: Record<number, string> = { 20: 'node tsc', 21: 'node tsc', 22: 'cc1', 23: 'git', 24: 'a', 25: 'b', 26: 'c' };
  const prev = snap(1000, 10_000, 40_000, [
    [2, p('kthreadd', 0, 0)], [5, p('containerd', 1, 0)], [7, p('kubelet', 6, 0)], [9, p('node', 8, 0)],
    ...[20, 21, 22, 23, 24, 25, 26].map((pid): [number, PidStat] => [pid, p(names[pid]!, 1, 0)]),
  ]);
  // 5 s later: 2 CPUs give 1000 ticks; 750 of them busy.
  const cur = snap(1005, 10_750, 41_000, [
    [2, p('kthreadd', 0, 5)], [5, p('containerd', 1, 20)], [7, p('kubelet', 6, 300)], [9, p('node', 8, 25)],
    [20, p('node', 1, 150)], [21, p('node', 1, 100)], [22, p('cc1', 1, 50)], [23, p('git', 1, 10)], [24, p('a', 1, 4)], [25, p('b', 1, 3)], [26, p('c', 1, 2)],
  ]);
  const kind = (pid: number) => (pid === 2 ? 'kernel' : pid === 5 ? 'engine' : pid === 7 ? 'container' : pid === 9 ? 'lab' : 'other') as ReturnType<typeof kindOf>;
  const r = hostLoadRecord(prev, cur, kind, (pid) => names[pid] ?? '?')!;
  assert.equal(r.source, HOST_LOAD_SOURCE);
  assert.equal(r.windowMs, 5000);
  assert.equal(r.cpus, 2);
  assert.equal(r.busyCores, 1.5);
  assert.equal(r.stealCores, undefined, 'no steal: no field');
  const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);
  near(r.kernelCores, 0.01);
  near(r.engineCores, 0.04);
  near(r.containerCores, 0.6);
  near(r.labCores, 0.05);
  near(r.otherCores, (150 + 100 + 50 + 10 + 4 + 3 + 2) / 100 / 5);
  assert.equal(r.top.length, HOST_TOP);
  assert.deepEqual(r.top.map((x) => [x.name, x.procs]), [['node tsc', 2], ['cc1', 1], ['git', 1], ['a', 1], ['b', 1]]);
  near(r.top[0]!.cores, 0.5);
  // No time between the reads (a clock that did not move): no record rather than a division by zero.
  assert.equal(hostLoadRecord(prev, { ...prev }, kind, () => 'x'), undefined);
});

/** The fixture host: init, a kernel thread, dockerd, a shim, a node's kubelet, Kafka, the lab and a compile. */
function hostFiles(round: 0 | 1 | 2): Record<string, string> {
  const up = [11_700, 11_705, 11_710][round]!;
  const t = (base: number, perRound: number) => base + perRound * round;
  const files: Record<string, string> = {
    uptime: `${up}.00 7942.24\n`,
    loadavg: `${[1.2, 2.5, 3.1][round]} 1.1 0.9 2/1068 8944\n`,
    stat: PROC_STAT([t(100_000, 600), 0, t(50_000, 150)], t(200_000, 250)),
    '1/stat': statLine(1, 'process_api', { ppid: 0, utime: 10, start: 0 }),
    '1/cgroup': HOST_CG,
    '2/stat': statLine(2, 'kthreadd', { ppid: 0, start: 6, flags: 2129984, stime: t(0, 5) }),
    '529/stat': statLine(529, 'dockerd', { ppid: 1, utime: t(1000, 20), start: 500 }),
    '529/cgroup': ROOT_CG,
    '1846/stat': statLine(1846, 'containerd-shim', { ppid: 1, utime: t(10, 5), start: 600 }),
    '1846/cgroup': ROOT_CG,
    '5388/stat': statLine(5388, 'kubelet', { ppid: 1846, utime: t(9000, 300), start: 700 }),
    '5388/cgroup': NODE_POD_CG,
    '6664/stat': statLine(6664, 'java', { ppid: 6642, utime: t(5000, 100), start: 800 }),
    '6664/cgroup': KAFKA_CG,
    '1194/stat': statLine(1194, 'npm exec lab ma', { ppid: 1, utime: t(40, 1), start: 900 }),
    '1194/cgroup': HOST_CG,
    '1212/stat': statLine(1212, 'node', { ppid: 1194, utime: t(800, 40), cutime: round === 2 ? 6 : 0, start: 901 }),
    '1212/cgroup': HOST_CG,
    '1212/cmdline': 'node\0/work/main/node_modules/.bin/lab\0matrix\0',
    '8921/stat': statLine(8921, 'node', { ppid: 8907, utime: t(3000, 450), start: 1_100_000 }),
    '8921/cgroup': HOST_CG,
    '8921/cmdline': 'node\0/work/main/node_modules/.bin/tsc\0--noEmit\0',
  };
  // A docker exec the lab started, gone by the third read.
  if (round < 2) Object.assign(files, { '1300/stat': statLine(1300, 'docker', { ppid: 1212, utime: t(3, 2), start: 1_169_000 }), '1300/cgroup': HOST_CG });
  return files;
}

test('the sampler on a fixture /proc: the first read is a baseline; then one record naming the compile, not the lab, the nodes or the engine', async () => {
  const out: RecordInput[] = [];
  let fs = memFs(hostFiles(0));
  const proxy: ProcFs = { list: () => fs.list(), read: (x) => fs.read(x) };
  const s = new HostLoadSampler((r) => out.push(r), proxy, 1212);
  await s.sample();
  assert.equal(out.length, 0, 'one read gives no rate');
  fs = memFs(hostFiles(1));
  await s.sample();
  assert.equal(out.length, 1);
  const r = out[0] as HostLoadRecord;
  assert.equal(r.type, 'host-load');
  assert.equal(r.load1, 2.5);
  assert.equal(r.windowMs, 5000);
  // 1000 ticks of 2 CPUs in 5 s, 750 busy.
  assert.equal(r.busyCores, 1.5);
  const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);
  near(r.otherCores, 0.9, 'other: the compile alone, 450 ticks in 5 s (init used none)');
  assert.deepEqual(r.top, [{ name: 'node tsc', cores: 0.9, procs: 1 }]);
  near(r.labCores, (40 + 1 + 2) / 500, 'the lab, its npm launcher and its docker exec');
  near(r.containerCores, 400 / 500, 'the node\u2019s kubelet and Kafka');
  near(r.engineCores, 25 / 500, 'dockerd and the shim');
  near(r.kernelCores, 5 / 500, 'kernel threads');
  // Cgroups are read once per process: the second read asked only for what was new.
  assert.deepEqual(fs.reads.filter((x) => x.endsWith('/cgroup')), []);
  // Listed but gone before its files were read (4242), or gone between its stat and its cgroups (5000):
  // left out, not counted as other work and not an error.
  fs = memFs({ ...hostFiles(2), '5000/stat': statLine(5000, 'cc1', { ppid: 1, utime: 100, start: 1_170_900 }) }, ['4242']);
  await s.sample(); // a listed pid whose files are gone (4242) is skipped, not an error
  assert.equal(out.length, 2);
  near((out[1] as HostLoadRecord).otherCores, 0.9, 'the compile alone');
  // The lab reaped its docker exec (6 ticks in all, 5 of them counted while it ran): only the last one is new.
  near((out[1] as HostLoadRecord).labCores, (40 + 1 + 1) / 500, 'the reaped docker exec is not counted twice');
});

test('gated to the lab\u2019s own nodes on this host: a foreign cluster or a remote engine is not measured, and says why', () => {
  const files = hostFiles(0);
  assert.deepEqual(hostLoadSupported([{ name: 'outage-lab-worker', containerId: NODE_ID }], memFs(files)), { ok: true });
  const foreign = hostLoadSupported([{ name: 'gke-node-1', containerId: '' }], memFs(files));
  assert.equal(foreign.ok, false);
  assert.match(!foreign.ok ? foreign.why : '', /foreign cluster/);
  const remote = hostLoadSupported([{ name: 'outage-lab-worker', containerId: 'c'.repeat(64) }], memFs(files));
  assert.match(!remote.ok ? remote.why : '', /no process of the node containers runs on this machine/);
  const noProc = hostLoadSupported([{ name: 'outage-lab-worker', containerId: NODE_ID }], memFs({}));
  assert.match(!noProc.ok ? noProc.why : '', /no readable \/proc/);
  assert.deepEqual(hostLoadSupported([], memFs(files)).ok, false);
});
