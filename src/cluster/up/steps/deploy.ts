// The lab's images onto the nodes (through the runtime), then Consul and Vault (and an in-cluster Kafka).
import { notBaked } from '../../../images/bake-plan.ts';
import { CONSUL_2019, consulConfigMap } from '../../../components/consul-config.ts';
import { removeKafkaInCluster, renderKafkaInCluster } from '../../../components/kafka-in-cluster.ts';
import { task } from '../../../ui/progress.ts';
import { clients } from '../../kube.ts';
import { applyAll, loadManifest, resolveImages } from '../../manifests.ts';
import type { UpCluster, UpContext, UpStep } from '../context.ts';
import { imagePlacement, onNodes, shortName } from '../placement.ts';

export const deploy: UpStep = {
  name: 'load images and deploy Consul and Vault',
  async run(ctx) {
    for (const c of ctx.clusters) {
      const of = ctx.of(c);
      const cp = c.nodes.filter((n) => n.endsWith('-control-plane'));
      const workers = c.nodes.filter((n) => !cp.includes(n));
      await task(loadTitle(ctx, c, 'Control-plane', cp), () => loadImages(ctx, c, cp));
      // Only the replay's workload needs the workers' images: they load while Consul and Vault come up.
      const w = task(loadTitle(ctx, c, 'Worker', workers), () => loadImages(ctx, c, workers));
      w.catch(() => undefined);
      ctx.workerImages.push(w);
      const inCluster = ctx.placement === 'in-cluster';
      await task(inCluster ? 'Consul (3 servers), Vault and Kafka (StatefulSet) deployed' : `Consul (3 servers) and Vault deployed${of}`, async (t) => {
        const k = clients({ clusterName: c.s.name });
        const objs = [
          ...loadManifest('base/namespace.yaml'),
          consulConfigMap(ctx.opts.consul ?? CONSUL_2019),
          ...loadManifest('consul/servers.yaml'),
          ...loadManifest('vault/vault.yaml'),
          ...(inCluster ? renderKafkaInCluster(c.s.kafkaInClusterHostPort) : []),
        ];
        await applyAll(k.objects, resolveImages(objs, ctx.images));
        // Switching back to the external broker: the in-cluster one goes, so only one Kafka ever runs.
        if (!inCluster && (await removeKafkaInCluster(k.objects, k.core))) t.detail('in-cluster Kafka removed');
      });
    }
  },
};

/** What still has to reach these nodes: the images they run, less those their node image carries. */
function toLoad(ctx: UpContext, c: UpCluster, targets: string[]) {
  return onNodes(notBaked(imagePlacement(c.nodes, ctx.images, ctx.placement), c.inNodes.baked), targets);
}

/** Normally a check: the early import did the work, and the runtime's load skips what a node has. */
function loadImages(ctx: UpContext, c: UpCluster, targets: string[]): Promise<unknown> {
  return Promise.all(
    toLoad(ctx, c, targets).map(async ({ ref, nodes }) => {
      await Promise.all(nodes.map((n) => c.early.nodeDone(n)));
      await ctx.runtime.loadImage({ kind: ctx.kind, cluster: c.s.name, nodes, ref, logFile: ctx.log });
    }),
  );
}

function loadTitle(ctx: UpContext, c: UpCluster, what: string, on: string[]): string {
  const left = toLoad(ctx, c, on).map((x) => shortName(x.ref));
  return left.length ? `${what} images loaded${ctx.of(c)} (${left.join(', ')})` : `${what} images${ctx.of(c)}: all in the node image`;
}
