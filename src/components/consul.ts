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
