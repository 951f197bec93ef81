// `kind create cluster` for each cluster not reused, the lab's images imported while kubeadm runs.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineMemoryBytes } from '../../../host/docker.ts';
import { requirePortsFree } from '../../../host/ports.ts';
import { notBaked } from '../../../images/bake-plan.ts';
import { removeKafkaContainer } from '../../../components/kafka.ts';
import { info, task } from '../../../ui/progress.ts';
import { run } from '../../../util/exec.ts';
import { currentSignal, Interrupted, uninterruptible } from '../../../util/interrupt.ts';
import { ensureDir, stateDir } from '../../../util/paths.ts';
import { loadImagesEarly } from '../../early-load.ts';
import { deleteCluster, kindConfig, nodeContainers, nodeImageIsUpstream, renderKindConfig } from '../../kind.ts';
import { startStoppedNodes } from '../../nodes.ts';
import { SECOND_CLUSTER_PORT_OFFSET } from '../../settings.ts';
import type { UpCluster, UpContext, UpStep } from '../context.ts';
import { expectedNodeNames, imagePlacement, portsToCheck } from '../placement.ts';

export const createClusters: UpStep = {
  name: 'create clusters',
  async run(ctx) {
    const local = !(await nodeImageIsUpstream(ctx.nodeImage, ctx.runtime.nodeImage));
    for (const c of ctx.clusters) {
      await task(`Cluster ${c.s.name}: 1 control plane + ${c.s.workers} workers`, async (t) => {
        if (c.exists) {
          const started = await startStoppedNodes(await nodeContainers(ctx.kind, c.s.name));
          t.detail(started.length ? `restarted ${started.join(', ')}` : 'reused');
          return;
        }
        await createOne(ctx, c, local, (x) => t.step(x));
        t.detail('image imports begun while kubeadm ran');
      });
      c.nodes = await nodeContainers(ctx.kind, c.s.name);
    }
  },
};

async function createOne(ctx: UpContext, c: UpCluster, local: boolean, step: (s: string) => void): Promise<void> {
  const { kind, log } = ctx;
  // A broker left from an earlier lab is the lab's own: it is recreated with the lab's first cluster, and its port freed.
  if (c.first) await removeKafkaContainer();
  // The second cluster's ports follow the first's at an offset, so the same variables move them.
  await requirePortsFree(portsToCheck(c.s, c.first), c.first ? '' : `, plus ${SECOND_CLUSTER_PORT_OFFSET} for the second cluster ${c.s.name}`);
  // Imports still running into the cluster made just before would take the cores this kubeadm needs.
  for (const other of ctx.clusters) if (other !== c) await other.early.done;
  const cfgFile = join(ensureDir(stateDir), c.first ? 'kind-config.yaml' : `kind-config-${c.s.name}.yaml`);
  writeFileSync(cfgFile, renderKindConfig(kindConfig(c.s, ctx.nodeImages.image, local, await engineMemoryBytes())));
  c.inNodes = ctx.nodeImages;
  step('kind create cluster');
  // The early imports stop when the create fails or the command is interrupted.
  const stop = new AbortController();
  const scope = currentSignal();
  c.early = loadImagesEarly(notBaked(imagePlacement(expectedNodeNames(c.s.name, c.s.workers), ctx.images, ctx.placement), c.inNodes.baked), {
    deadline: Date.now() + 5 * 60_000,
    signal: scope ? AbortSignal.any([scope, stop.signal]) : stop.signal,
    runtime: ctx.runtime,
  });
  try {
    await run(kind, ['create', 'cluster', '--name', c.s.name, '--config', cfgFile, '--retain=false'], { logFile: log, timeoutMs: 10 * 60_000 });
  } catch (err) {
    stop.abort();
    // kind removes what it made when it fails by itself (--retain=false), not when it is stopped: a
    // half-made cluster would be reused by the next `lab up` as if it were whole.
    if (err instanceof Interrupted) {
      await uninterruptible(async () => {
        await c.early.done;
        await deleteCluster(kind, c.s.name, { logFile: log }).catch(() => undefined);
        info(`  half-made cluster ${c.s.name} removed`);
      });
    }
    throw err;
  }
  void c.early.done.then((done) => {
    if (done.skipped.length) appendFileSync(log, `\nearly image import into ${c.s.name} skipped (the runtime's image load does these): ${done.skipped.join('; ')}\n`);
  });
}
