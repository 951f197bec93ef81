// What a phantom-pool sweep runs (its cells) and how one cell's pool is churned to size: pure, so that
// the plan can be printed, resumed and tested without Docker.

export const PHANTOM_VERSIONS = ['1.8.7', '1.2.2', '1.2.3'] as const;
export type PhantomVersion = (typeof PHANTOM_VERSIONS)[number];

export interface SweepSpec {
  sizes: number[];
  versions: PhantomVersion[];
  encryption: boolean[];
  repeats: number;
}

/** One measured pool: a version, with or without gossip encryption, churned to `members` agents. */
export interface Cell {
  key: string;
  version: PhantomVersion;
  encrypt: boolean;
  members: number;
  repeat: number;
}

export function cellKey(c: Omit<Cell, 'key'>): string {
  return `${c.version}/${c.encrypt ? 'encrypted' : 'plain'}/${c.members}/r${c.repeat}`;
}

/**
 * Every cell of a sweep, smallest pools first (a sweep cut short still spans the versions), repeats
 * interleaved so that a slow drift of the machine's load does not line up with one arm.
 */
export function sweepCells(s: SweepSpec): Cell[] {
  const cells: Cell[] = [];
  for (const members of [...s.sizes].sort((a, b) => a - b)) {
    for (let repeat = 1; repeat <= s.repeats; repeat++) {
      for (const version of s.versions) {
        for (const encrypt of s.encryption) {
          const c = { version, encrypt, members, repeat };
          cells.push({ ...c, key: cellKey(c) });
        }
      }
    }
  }
  return cells;
}

/** The cells not yet in `done` (keys of cells whose result is already written). */
export function cellsToRun(cells: Cell[], done: ReadonlySet<string>): Cell[] {
  return cells.filter((c) => !done.has(c.key));
}

export interface ChurnSpec {
  /** Client agents the pool holds at the end, live and failed (servers and the probe agent not counted). */
  members: number;
  /** How many of them are live processes; the rest are phantoms (started, joined, SIGKILLed). */
  live: number;
  /** Containers the agents are spread over. */
  containers: number;
  /** Phantoms started (and then killed) together. */
  batch: number;
  /** Agent starts per second, which sets the gap between batches. */
  ratePerS: number;
  /** Prefix of node names, unique per cell so that no name is ever reused across cells. */
  prefix: string;
}

export interface AgentRef {
  name: string;
  container: number;
  /** Serf LAN port (TCP and UDP) inside its container. */
  port: number;
}

export interface PhantomBatch {
  /** Offset from the start of churn at which this batch starts. */
  atMs: number;
  agents: AgentRef[];
}

export interface ChurnPlan {
  live: AgentRef[];
  batches: PhantomBatch[];
  phantoms: number;
}

/** Live agents take ports from LIVE_PORT_BASE, phantoms from PHANTOM_PORT_BASE: a slot is reused by the next batch once its agent is killed. */
export const LIVE_PORT_BASE = 20000;
export const PHANTOM_PORT_BASE = 30000;

/** How many live agents a pool of `members` keeps by default: a tenth, at least 4, at most `max` (each is a process of ~50 MB). */
export function defaultLive(members: number, max = 40): number {
  return Math.min(members, max, Math.max(4, Math.round(members / 10)));
}

export function churnPlan(s: ChurnSpec): ChurnPlan {
  for (const [field, v] of Object.entries({ members: s.members, live: s.live, containers: s.containers, batch: s.batch })) {
    if (!Number.isInteger(v) || v < (field === 'live' ? 0 : 1)) throw new Error(`churn ${field} must be a positive integer, got ${v}`);
  }
  if (s.live > s.members) throw new Error(`churn live (${s.live}) exceeds members (${s.members})`);
  if (!(s.ratePerS > 0)) throw new Error(`churn rate must be above 0 per second, got ${s.ratePerS}`);
  const live: AgentRef[] = Array.from({ length: s.live }, (_, i) => ({
    name: `${s.prefix}-live-${i}`,
    container: i % s.containers,
    port: LIVE_PORT_BASE + Math.floor(i / s.containers),
  }));
  const phantoms = s.members - s.live;
  const batches: PhantomBatch[] = [];
  const gapMs = (s.batch / s.ratePerS) * 1000;
  for (let start = 0, k = 0; start < phantoms; start += s.batch, k++) {
    const size = Math.min(s.batch, phantoms - start);
    batches.push({
      atMs: Math.round(k * gapMs),
      agents: Array.from({ length: size }, (_, j) => ({
        name: `${s.prefix}-ph-${start + j}`,
        container: j % s.containers,
        port: PHANTOM_PORT_BASE + Math.floor(j / s.containers),
      })),
    });
  }
  return { live, batches, phantoms };
}
