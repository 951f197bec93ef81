import Consul from 'consul';

/** Serf's numeric member states, as `agent.members()` reports them. */
export const SERF_STATUS: Record<number, MemberState> = { 0: 'none', 1: 'alive', 2: 'leaving', 3: 'left', 4: 'failed' };
export type MemberState = 'none' | 'alive' | 'leaving' | 'left' | 'failed';

export function consulClient(port: number, timeoutMs = 5000): Consul {
  return new Consul({ host: '127.0.0.1', port, timeout: timeoutMs } as ConstructorParameters<typeof Consul>[0]);
}

export async function consulLeader(c: Consul): Promise<string> {
  return (await c.status.leader()) as unknown as string;
}

export interface MemberCounts {
  total: number;
  alive: number;
  leaving: number;
  left: number;
  failed: number;
  none: number;
}

export async function memberCounts(c: Consul): Promise<MemberCounts> {
  const members = (await c.agent.members()) as unknown as Array<{ Status: number }>;
  const counts: MemberCounts = { total: members.length, alive: 0, leaving: 0, left: 0, failed: 0, none: 0 };
  for (const m of members) counts[SERF_STATUS[m.Status] ?? 'none']++;
  return counts;
}

/** Writes and reads back one key; returns the read latency in ms. */
export async function consulKvRoundTrip(c: Consul, key = 'outage-lab/probe'): Promise<number> {
  const value = String(Date.now());
  await c.kv.set(key, value);
  const started = performance.now();
  const got = (await c.kv.get(key)) as unknown as { Value?: string } | undefined;
  const ms = performance.now() - started;
  if (got?.Value !== value) throw new Error(`Consul KV round trip read ${JSON.stringify(got?.Value)}, wrote ${value}`);
  return ms;
}

export async function consulVersion(c: Consul): Promise<string> {
  const self = (await c.agent.self()) as unknown as { Config?: { Version?: string } };
  return self.Config?.Version ?? 'unknown';
}

/** The servers every lab runs (the StatefulSet in manifests/consul/servers.yaml; the scenario schema refuses other counts). */
export const CONSUL_SERVERS = 3;

export interface ServersSettled {
  /** Autopilot's verdict: every server healthy (in contact with the leader, stable for its stabilization time). */
  healthy: boolean;
  servers: number;
  voters: number;
  healthyServers: number;
  leader: string | undefined;
}

/**
 * The Consul servers' own view of their raft cluster (`/v1/operator/autopilot/health`, asked of the leader).
 * A leader answering once is not a settled cluster: servers that restart with raft data of pods at other
 * addresses elect again and again for about a minute, and each election holds writes for up to 7 s.
 */
export async function consulServersSettled(port: number, timeoutMs = 5000): Promise<ServersSettled> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/operator/autopilot/health`, { signal: AbortSignal.timeout(timeoutMs) });
  // 429 is Consul's "unhealthy", with the same body.
  if (res.status !== 200 && res.status !== 429) throw new Error(`autopilot health: HTTP ${res.status}: ${(await res.text()).trim().slice(0, 200)}`);
  const body = (await res.json()) as { Healthy?: boolean; Servers?: Array<{ Name?: string; Healthy?: boolean; Voter?: boolean; Leader?: boolean }> };
  const servers = body.Servers ?? [];
  return {
    healthy: body.Healthy === true,
    servers: servers.length,
    voters: servers.filter((x) => x.Voter).length,
    healthyServers: servers.filter((x) => x.Healthy).length,
    leader: servers.find((x) => x.Leader)?.Name,
  };
}

/** Settled: autopilot healthy, every server a voter, and as many servers as expected. */
export const isSettled = (s: ServersSettled, expected: number): boolean => s.healthy && s.servers === expected && s.voters === expected;

export const describeSettled = (s: ServersSettled): string =>
  `${s.healthyServers}/${s.servers} servers healthy, ${s.voters} voters, leader ${s.leader ?? 'none'}`;
