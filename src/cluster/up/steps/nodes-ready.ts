import { task } from '../../../ui/progress.ts';
import { clients } from '../../kube.ts';
import { waitNodesReady } from '../../nodes.ts';
import type { UpStep } from '../context.ts';

export const nodesReady: UpStep = {
  name: 'nodes Ready',
  async run(ctx) {
    for (const c of ctx.clusters) {
      const k = clients({ clusterName: c.s.name });
      await task(`Nodes Ready${ctx.of(c, (n) => ` (${n})`)}`, (t) =>
        waitNodesReady(k.core, {
          expected: c.nodes.length,
          what: `all nodes of ${c.s.name} Ready`,
          hint: `docker exec ${c.s.name}-worker journalctl -u kubelet | tail`,
          step: (s) => t.step(s),
        }),
      );
    }
  },
};
