// One cell of the sweep: a real pool built by churn, held, and measured through Consul's own telemetry,
// Docker's accounting and the lab's Consul client.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { consulClient, consulLeader, SERF_STATUS, type MemberState } from '../components/consul.ts';
import { containerIds, cpuNs, cpuPct, memBytes } from './cgroup.ts';
import { Secret } from '../secrets/secret.ts';
import { sleep, waitFor } from '../util/wait.ts';
import { gossipFigures, mean, type MetricTotal, percentile, sumIntervals, type AgentMetrics, type GossipFigures } from './metrics.ts';
import { churnPlan, defaultLive, LIVE_PORT_BASE, type AgentRef, type Cell } from './plan.ts';
import { Pool } from './pool.ts';

export interface CellOptions {
  image: string;
  /** Most live agents per pool (a tenth of the members, at least 4, see defaultLive). */
  live: number;
  containers: number;
  batch: number;
  ratePerS: number;
  holdS: number;
  kvOps: number;
  progress: (line: string) => void;
}

export interface CellResult {
  key: string;
  version: string;
  encrypt: boolean;
  members: number;
  repeat: number;
  image: string;
  startedAt: string;
  params: { live: number; phantoms: number; containers: number; batch: number; ratePerS: number; holdS: number };
  /** The servers' member list when the hold began and when it ended (servers and the probe included). */
  pool: { atHold: Record<MemberState | 'total', number>; atEnd: Record<MemberState | 'total', number>; phantomsReapedDuringHold: number };
  churnMs: number;
  /** From the last phantom's kill until the servers list every phantom as failed. */
  settleMs: number | null;
  /** Median time from starting a phantom batch until all of it is alive at the servers. */
  batchJoinP50Ms: number | null;
  servers: { cpuPct: number | null; memMiB: number | null };
  agents: { cpuPctPerLive: number | null; rssMiB: number | null; processes: number };
  gossip: { server: GossipFigures; probe: GossipFigures };
  metricIntervals: number;
  /** The raw sums behind `gossip` (memberlist.* and serf.* only), so that figures can be recomputed from the file. */
  telemetry: { server: Record<string, MetricTotal>; probe: Record<string, MetricTotal>; probeIntervals: number };
  kv: { n: number; p50Ms: number | null; p99Ms: number | null; errors: number };
  detectMs: number | null;
  joinMs: number | null;
  /** The machine's 1-minute load average when the hold began and ended (2 cores here): what else ran. */
  load: { atHold: number; atEnd: number };
}

const gossipOnly = (t: Record<string, MetricTotal>) => Object.fromEntries(Object.entries(t).filter(([k]) => /^(memberlist|serf)\./.test(k)));

type Member = { Name: string; Status: number };

function countMembers(members: Member[]): Record<MemberState | 'total', number> {
  const c: Record<MemberState | 'total', number> = { total: members.length, alive: 0, leaving: 0, left: 0, failed: 0, none: 0 };
  for (const m of members) c[SERF_STATUS[m.Status] ?? 'none']++;
  return c;
}

export async function runCell(cell: Cell, o: CellOptions): Promise<CellResult> {
  const id = randomBytes(3).toString('hex');
  const pool = new Pool({ cell: id, image: o.image, encrypt: cell.encrypt, containers: o.containers });
  const key = cell.encrypt ? new Secret(randomBytes(cell.version.startsWith('1.2') ? 16 : 32).toString('base64'), 'phantom gossip key') : null;
  const plan = churnPlan({ members: cell.members, live: defaultLive(cell.members, o.live), containers: o.containers, batch: o.batch, ratePerS: o.ratePerS, prefix: id });
  const startedAt = new Date().toISOString();
  try {
    o.progress(`${cell.key}: starting 3 servers, a probe agent and ${o.containers} pool container(s)`);
    await pool.start(key);
    const server = consulClient(pool.serverPort(), 10_000);
    await waitFor(async () => (await consulLeader(server)) || undefined, { timeoutMs: 120_000, intervalMs: 500, what: `a leader in ${cell.key}` });
    const members = async () => (await server.agent.members()) as unknown as Member[];
    const statusOf = async (names: Set<string>) => {
      const out = new Map<string, MemberState>();
      for (const m of await members()) if (names.has(m.Name)) out.set(m.Name, SERF_STATUS[m.Status] ?? 'none');
      return out;
    };
    const allAlive = async (agents: AgentRef[], timeoutMs: number) => {
      const names = new Set(agents.map((a) => a.name));
      await waitFor(async () => {
        const s = await statusOf(names);
        return [...names].every((n) => s.get(n) === 'alive') || undefined;
      }, { timeoutMs, intervalMs: 250, what: `${names.size} agents alive in ${cell.key}` });
    };

    await pool.startAgents(plan.live);
    await allAlive(plan.live, 180_000);
    o.progress(`${cell.key}: ${plan.live.length} live agents joined; churning ${plan.phantoms} phantoms`);

    const churnStart = Date.now();
    const batchJoins: number[] = [];
    let made = 0;
    let lastNote = Date.now();
    for (const b of plan.batches) {
      const wait = churnStart + b.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      const t = Date.now();
      await pool.startAgents(b.agents);
      await allAlive(b.agents, 180_000);
      batchJoins.push(Date.now() - t);
      await pool.killAgents(b.agents);
      made += b.agents.length;
      if (Date.now() - lastNote > 15_000 || made === plan.phantoms) {
        lastNote = Date.now();
        o.progress(`${cell.key}: ${made}/${plan.phantoms} phantoms made (${Math.round((Date.now() - churnStart) / 1000)} s)`);
      }
    }
    const churnMs = Date.now() - churnStart;

    // Settled: every phantom listed as failed (not alive, not suspect-but-alive).
    const phantomNames = new Set(plan.batches.flatMap((b) => b.agents.map((a) => a.name)));
    const settleStart = Date.now();
    let settleMs: number | null = null;
    try {
      await waitFor(async () => {
        const s = await statusOf(phantomNames);
        const failed = [...s.values()].filter((v) => v === 'failed').length;
        return failed >= phantomNames.size || undefined;
      }, { timeoutMs: Math.max(180_000, plan.phantoms * 500), intervalMs: 1000, what: `all ${phantomNames.size} phantoms failed in ${cell.key}`, onProgress: () => {} });
      settleMs = Date.now() - settleStart;
    } catch {
      o.progress(`${cell.key}: not every phantom was failed after the settle limit; measuring anyway`);
    }

    // Hold and measure.
    const loadAtHold = loadavg()[0]!;
    const atHold = countMembers(await members());
    o.progress(`${cell.key}: holding ${o.holdS} s with ${atHold.alive} alive, ${atHold.failed} failed members`);
    const serverSnaps: AgentMetrics[] = [];
    const probeSnaps: AgentMetrics[] = [];
    const serverMem: number[] = [];
    const ids = await containerIds([...pool.servers, ...pool.poolContainers]);
    const cpuNow = () => new Map([...ids.entries()].map(([name, cid]) => [name, cpuNs(cid)]));
    const fetchMetrics = async (port: number) => (await (await fetch(`http://127.0.0.1:${port}/v1/agent/metrics`)).json()) as AgentMetrics;
    const cpuStart = cpuNow();
    const holdStart = Date.now();
    const holdEnd = holdStart + o.holdS * 1000;
    while (Date.now() < holdEnd) {
      const t = Date.now();
      serverSnaps.push(await fetchMetrics(pool.serverPort()));
      probeSnaps.push(await fetchMetrics(pool.probePort()));
      serverMem.push(mean(pool.servers.map((n) => memBytes(ids.get(n) ?? '') ?? Number.NaN).filter(Number.isFinite)) ?? Number.NaN);
      const left = 10_000 - (Date.now() - t);
      if (Date.now() + left >= holdEnd) break;
      if (left > 0) await sleep(left);
    }
    await sleep(Math.max(0, holdEnd - Date.now()));
    const cpuEnd = cpuNow();
    const holdMs = Date.now() - holdStart;
    const cpuOf = (names: string[]) => names.map((n) => cpuPct(cpuStart.get(n) ?? null, cpuEnd.get(n) ?? null, holdMs)).filter((v): v is number => v !== null);
    const serverCpu = cpuOf(pool.servers);
    const poolCpuTotal = cpuOf(pool.poolContainers).reduce((a, b) => a + b, 0);
    // One more poll after the hold, so the last interval is in.
    serverSnaps.push(await fetchMetrics(pool.serverPort()));
    probeSnaps.push(await fetchMetrics(pool.probePort()));

    const kvClient = consulClient(pool.probePort(), 10_000);
    const kvMs: number[] = [];
    let kvErrors = 0;
    for (let i = 0; i < o.kvOps; i++) {
      const k = `outage-lab/phantom/${i % 10}`;
      const v = `${Date.now()}-${i}`;
      const t = performance.now();
      try {
        await kvClient.kv.set(k, v);
        const got = (await kvClient.kv.get(k)) as unknown as { Value?: string } | undefined;
        if (got?.Value !== v) throw new Error('read back a different value');
        kvMs.push(performance.now() - t);
      } catch {
        kvErrors++;
      }
    }

    const rss = await pool.agentRss();

    // Time to detect a killed agent: one live agent SIGKILLed, the servers polled until they list it failed.
    let detectMs: number | null = null;
    const victim = plan.live[0];
    if (victim) {
      await pool.killAgents([victim]);
      const t = Date.now();
      try {
        await waitFor(async () => (await statusOf(new Set([victim.name]))).get(victim.name) === 'failed' || undefined, {
          timeoutMs: 300_000, intervalMs: 250, what: `${victim.name} failed`,
        });
        detectMs = Date.now() - t;
      } catch {
        detectMs = null;
      }
    }
    // Time for a new agent to join this pool.
    const late: AgentRef = { name: `${id}-late`, container: 0, port: LIVE_PORT_BASE + 5000 };
    let joinMs: number | null = null;
    const tj = Date.now();
    await pool.startAgents([late]);
    try {
      await allAlive([late], 300_000);
      joinMs = Date.now() - tj;
    } catch {
      joinMs = null;
    }

    const endMembers = await members();
    const atEnd = countMembers(endMembers);
    const endNames = new Set(endMembers.map((m) => m.Name));
    const s = sumIntervals(serverSnaps);
    const p = sumIntervals(probeSnaps);
    return {
      key: cell.key,
      version: cell.version,
      encrypt: cell.encrypt,
      members: cell.members,
      repeat: cell.repeat,
      image: o.image,
      startedAt,
      params: { live: plan.live.length, phantoms: plan.phantoms, containers: o.containers, batch: o.batch, ratePerS: o.ratePerS, holdS: o.holdS },
      pool: { atHold, atEnd, phantomsReapedDuringHold: [...phantomNames].filter((n) => !endNames.has(n)).length },
      churnMs,
      settleMs,
      batchJoinP50Ms: percentile(batchJoins, 50),
      servers: { cpuPct: mean(serverCpu), memMiB: (mean(serverMem.filter(Number.isFinite)) ?? 0) / 1024 ** 2 || null },
      agents: { cpuPctPerLive: plan.live.length ? poolCpuTotal / plan.live.length : null, rssMiB: (mean(rss) ?? 0) / 1024 ** 2 || null, processes: rss.length },
      gossip: { server: gossipFigures(s.totals, s.intervals), probe: gossipFigures(p.totals, p.intervals) },
      metricIntervals: s.intervals,
      telemetry: { server: gossipOnly(s.totals), probe: gossipOnly(p.totals), probeIntervals: p.intervals },
      kv: { n: kvMs.length, p50Ms: percentile(kvMs, 50), p99Ms: percentile(kvMs, 99), errors: kvErrors },
      detectMs,
      joinMs,
      load: { atHold: loadAtHold, atEnd: loadavg()[0]! },
    };
  } finally {
    await pool.remove();
  }
}
