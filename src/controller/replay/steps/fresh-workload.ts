// Every run starts from the same place: no workload, nodes settled, the Consul pool back to its servers.
import { memberCounts } from '../../../components/consul.ts';
import { task } from '../../../ui/progress.ts';
import { unlessInterrupted } from '../../../util/interrupt.ts';
import { waitFor } from '../../../util/wait.ts';
import { pruneUntilClean } from '../../consul-reset.ts';
import { nodeSettled } from '../../node-settled.ts';
import type { ReplayStep } from '../context.ts';
import { deleteWorkload } from '../workload.ts';

export const freshWorkload: ReplayStep = {
  name: 'fresh workload',
  run: (ctx) =>
    task('Fresh workload', async (t) => {
      const { scenario } = ctx;
      // Each cluster settles on its own; with two, side by side.
      const details = await Promise.all(
        ctx.clusters.map(async (rc) => {
          const { c, consul } = rc;
          t.step(ctx.named(rc, 'removing the previous run’s workload'));
          await deleteWorkload(c.core);
          // The deleted pods' agents never said goodbye: wait until gossip has declared them failed
          // (only the servers and Vault's agent alive), then prune them.
          t.step(ctx.named(rc, 'waiting for the previous agents to be declared failed'));
          await waitFor(async () => (await memberCounts(consul)).alive <= scenario.consul.servers + 1, { timeoutMs: 90_000, intervalMs: 2000, what: 'the previous run’s Consul agents to leave the pool' }).catch(unlessInterrupted(() => undefined));
          // A node still under pressure from the previous run carries a NoSchedule taint: the new workload
          // would pile onto the others and the run would start lopsided (seen: 30 pods on 2 of 4 workers).
          // The kubelet keeps the condition for its transition period (5 min by default) after pressure ends.
          t.step(ctx.named(rc, 'waiting for every node to be Ready and free of pressure'));
          const unsettled = await waitFor(
            async () => {
              const bad = (await c.core.listNode()).items.filter((n) => !nodeSettled(n)).map((n) => n.metadata?.name ?? '?');
              return bad.length === 0 ? true : undefined;
            },
            { timeoutMs: 7 * 60_000, intervalMs: 5000, what: 'every node Ready without pressure' },
          ).then(() => '', unlessInterrupted((err) => ` (not settled: ${(err as Error).message})`));
          // Pruned last: agents that were only suspect when the nodes began to settle are failed by now.
          t.step(ctx.named(rc, 'pruning the previous agents from the pool'));
          const pool = await pruneUntilClean(consul, rc.settings.consulHostPort);
          const lingering = pool.left ? `, ${pool.left} still not alive` : '';
          return ctx.named(rc, `pruned ${pool.pruned} dead Consul members of earlier runs${lingering}${unsettled}`);
        }),
      );
      t.detail(details.join('; '));
    }),
};
