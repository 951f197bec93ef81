// Which clusters to make and which to reuse, and whether everything new fits in memory at once.
import { labMemoryGiB, requireMemory } from '../../../host/resources.ts';
import { unbaked } from '../../../images/bake.ts';
import { task } from '../../../ui/progress.ts';
import { dockerMemoryBytes } from '../../../util/sizes.ts';
import { NO_EARLY_LOAD } from '../../early-load.ts';
import { clusterExists, controlPlaneForwards, deleteCluster, nodeContainers } from '../../kind.ts';
import { NODE_PORTS, secondCluster } from '../../settings.ts';
import type { UpStep } from '../context.ts';
import { wantedClusters } from '../placement.ts';

const MEM_GIB = (m: string) => (dockerMemoryBytes(m) ?? 0) / 1024 ** 3;

/** A second cluster no longer wanted goes first: its memory is what the remaining one may need. */
export const dropUnwantedSecond: UpStep = {
  name: 'drop the unwanted second cluster',
  async run({ s, count, kind, log }) {
    const unwanted = secondCluster(s).name;
    if (count === 1 && (await clusterExists(kind, unwanted))) {
      await task(`Cluster ${unwanted} deleted (one cluster wanted)`, () => deleteCluster(kind, unwanted, { logFile: log }));
    }
  },
};

export const planClusters: UpStep = {
  name: 'plan clusters',
  async run(ctx) {
    const { kind, log, placement } = ctx;
    for (const [i, cs] of wantedClusters(ctx.s, ctx.count).entries()) {
      let exists = await clusterExists(kind, cs.name);
      if (exists) {
        const n = (await nodeContainers(kind, cs.name)).length;
        // A cluster of another size (left by another checkout, or a crashed run) cannot be reused as is.
        if (n !== cs.workers + 1) {
          await task(`Cluster ${cs.name} has ${n} nodes, this lab wants ${cs.workers + 1}: recreating`, () => deleteCluster(kind, cs.name, { logFile: log }));
          exists = false;
        }
      }
      // kind maps host ports only at creation: a cluster made before the in-cluster option (or with another
      // LAB_KAFKA_IN_CLUSTER_PORT) cannot give the host a path to an in-cluster broker.
      if (exists && placement === 'in-cluster' && !(await controlPlaneForwards(cs.name, NODE_PORTS.kafka, cs.kafkaInClusterHostPort))) {
        await task(`Cluster ${cs.name} does not forward 127.0.0.1:${cs.kafkaInClusterHostPort} to an in-cluster Kafka: recreating`, () => deleteCluster(kind, cs.name, { logFile: log }));
        exists = false;
      }
      // What the nodes' own images carry is known only for a cluster made now: a reused one may run an
      // older node image, so the runtime's image load checks everything there (it skips what a node has).
      ctx.clusters.push({ s: cs, first: i === 0, exists, early: NO_EARLY_LOAD, nodes: [], inNodes: unbaked(ctx.nodeImage) });
    }
  },
};

/** Everything about to be created must fit at once: with two clusters, a second control plane beside the same workers. */
export const checkMemory: UpStep = {
  name: 'check memory',
  async run({ s, clusters }) {
    const creating = clusters.filter((c) => !c.exists);
    if (!creating.length) return;
    const need = labMemoryGiB({
      controlPlanes: creating.length,
      controlPlaneGiB: MEM_GIB(s.controlPlaneMemory),
      workers: creating.reduce((n, c) => n + c.s.workers, 0),
      workerGiB: MEM_GIB(s.nodeMemory),
      kafka: creating.some((c) => c.first),
    });
    const what = creating.map((c) => `${c.s.name} (${c.s.workers + 1} nodes)`).join(' and ');
    requireMemory(need, `${what}${creating.some((c) => c.first) ? ' plus Kafka' : ''}`);
  },
};
