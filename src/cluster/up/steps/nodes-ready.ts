import { task } from '../../../ui/progress.ts';
import { waitFor } from '../../../util/wait.ts';
import { clients } from '../../kube.ts';
import { isReady } from '../../nodes.ts';
import type { UpStep } from '../context.ts';

export const nodesReady: UpStep = {
  name: 'nodes Ready',
  async run(ctx) {
    for (const c of ctx.clusters) {
      const k = clients({ clusterName: c.s.name });
      await task(`Nodes Ready${ctx.of(c, (n) => ` (${n})`)}`, async (t) => {
        await waitFor(
          async () => {
            const list = (await k.core.listNode()).items;
            const ready = list.filter(isReady).length;
            t.step(`${ready}/${list.length} Ready`);
            return list.length === c.nodes.length && ready === list.length;
          },
          { timeoutMs: 5 * 60_000, what: `all nodes of ${c.s.name} Ready`, hint: `docker exec ${c.s.name}-worker journalctl -u kubelet | tail` },
        );
      });
    }
  },
};
