import { task } from '../../../ui/progress.ts';
import { limitNodeContainers } from '../../nodes.ts';
import type { UpStep } from '../context.ts';

export const sizeNodes: UpStep = {
  name: 'size node containers',
  run: (ctx) =>
    task('Node containers sized like small VMs', async (t) => {
      const { s } = ctx;
      await limitNodeContainers(ctx.allNodes, s.controlPlaneCpus, s.controlPlaneMemory, s.nodeCpus, s.nodeMemory);
      const cps = ctx.clusters.length === 2 ? ' (each cluster)' : '';
      t.detail(`workers ${s.nodeCpus} CPU / ${s.nodeMemory}, control plane${cps} ${s.controlPlaneCpus} CPU / ${s.controlPlaneMemory}`);
    }),
};
