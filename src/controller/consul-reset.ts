import type Consul from 'consul';
import { SERF_STATUS } from '../components/consul.ts';
import { abortableSleep } from '../util/interrupt.ts';

/**
 * Before a run, members that are not alive (left over from an earlier run's pods) are pruned so every run
 * starts from the same pool. This is setup, done before the baseline and recorded as such; during a run
 * the lab never touches the pool.
 */
export async function pruneDeadMembers(c: Consul, port: number): Promise<number> {
  const members = (await c.agent.members()) as unknown as Array<{ Name: string; Status: number }>;
  let pruned = 0;
  for (const m of members) {
    if (SERF_STATUS[m.Status] === 'alive') continue;
    // The consul client does not pass `prune`; without it a failed member only turns "left" and lingers.
    const res = await fetch(`http://127.0.0.1:${port}/v1/agent/force-leave/${encodeURIComponent(m.Name)}?prune=1`, { method: 'PUT' });
    if (res.ok) pruned++;
  }
  return pruned;
}

/**
 * Prunes until the pool holds only live members, for up to `timeoutMs`. One pass was not enough: agents
 * of the previous run that were still suspect at the first prune turned failed a minute later and were
 * in the next run's baseline as failed members (seen: 6 of them), as if that run had made them.
 */
export async function pruneUntilClean(c: Consul, port: number, timeoutMs = 60_000): Promise<{ pruned: number; left: number }> {
  const until = Date.now() + timeoutMs;
  let pruned = 0;
  for (;;) {
    const members = (await c.agent.members()) as unknown as Array<{ Status: number }>;
    const left = members.filter((m) => SERF_STATUS[m.Status] !== 'alive').length;
    // Checked before pruning, so a clean pool costs no wait at all.
    if (left === 0 || Date.now() > until) return { pruned, left };
    pruned += await pruneDeadMembers(c, port);
    await abortableSleep(5000);
  }
}
