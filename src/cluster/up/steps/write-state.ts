import { writeState } from '../../state.ts';
import type { UpStep } from '../context.ts';

/** Last: the workers' images are in, and the lab is written down as up. */
export const writeLabState: UpStep = {
  name: 'write state',
  async run(ctx) {
    await Promise.all(ctx.workerImages);
    const kafka = await ctx.kafkaStarting;
    const reused = ctx.clusters.every((c) => c.exists);
    ctx.state = {
      settings: ctx.s,
      ...(ctx.count === 2 ? { second: ctx.clusters[1]!.s } : {}),
      images: ctx.images,
      kafkaPlacement: ctx.placement,
      kafka: kafka.ep,
      ...(kafka.subnet ? { dcSubnet: kafka.subnet } : {}),
      upAt: ctx.previous?.upAt && reused ? ctx.previous.upAt : new Date().toISOString(),
    };
    writeState(ctx.state);
  },
};
