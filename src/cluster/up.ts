import { Interrupted, throwIfInterrupted } from '../util/interrupt.ts';
import type { LabState } from './state.ts';
import { UpContext, type UpOptions, type UpStep } from './up/context.ts';
import { checkMemory, dropUnwantedSecond, planClusters } from './up/steps/plan-clusters.ts';
import { createClusters } from './up/steps/create-clusters.ts';
import { deploy } from './up/steps/deploy.ts';
import { dockerEngine, images, kindBinary, nodeImages } from './up/steps/host.ts';
import { nodesReady } from './up/steps/nodes-ready.ts';
import { roundTrips } from './up/steps/round-trips.ts';
import { sizeNodes } from './up/steps/size-nodes.ts';
import { startKafka } from './up/steps/start-kafka.ts';
import { writeLabState } from './up/steps/write-state.ts';

export type { UpOptions } from './up/context.ts';
export { expectedNodeNames, imagePlacement, onNodes, portsToCheck, wantedClusters } from './up/placement.ts';

/**
 * `lab up` as kind creates a cluster: a list of small named steps sharing one context (up/context.ts),
 * each filling in what the next ones read. Every step is idempotent against a running or half-broken
 * lab, so a failed or interrupted `lab up` is repaired by running it again.
 */
export const UP_STEPS: readonly UpStep[] = [
  dockerEngine,
  images,
  nodeImages,
  kindBinary,
  dropUnwantedSecond,
  planClusters,
  checkMemory,
  createClusters,
  sizeNodes,
  startKafka,
  deploy,
  nodesReady,
  roundTrips,
  writeLabState,
];

/** From nothing (or from a half-broken lab) to clusters with healthy Kafka, Consul and Vault, proven by their clients. */
export async function up(opts: UpOptions): Promise<LabState> {
  const ctx = new UpContext(opts);
  for (const step of UP_STEPS) {
    try {
      throwIfInterrupted();
      await step.run(ctx);
    } catch (err) {
      if (err instanceof Interrupted && !err.where) throw new Interrupted(err.signalName, `lab up, step "${step.name}"`);
      throw err;
    }
  }
  return ctx.state;
}
