// The host's part: an engine, the lab's images, the node images with them baked in, and kind.
import { ensureDocker } from '../../../host/docker.ts';
import { ensureImages } from '../../../images/build.ts';
import { bakeEnabled, ensureNodeImages, unbaked } from '../../../images/bake.ts';
import { task } from '../../../ui/progress.ts';
import { ensureKind } from '../../kind.ts';
import type { UpStep } from '../context.ts';
import { shortName } from '../placement.ts';

export const dockerEngine: UpStep = {
  name: 'docker engine',
  run: () =>
    task('Docker engine', async (t) => {
      const e = await ensureDocker((x) => t.step(x));
      t.detail(`${e.version}${e.how === 'running' ? ', already running' : `, ${e.how}`}`);
    }),
};

export const images: UpStep = {
  name: 'images',
  run: (ctx) =>
    task('Images', async (t) => {
      t.step('checking');
      const out = await ensureImages({ source: ctx.opts.source ?? 'auto', only: [ctx.runtime.nodeImage, 'kafka', 'consul', 'vault', 'apps'] });
      t.detail(`${out.filter((o) => o.how === 'cached').length}/${out.length} cached`);
      ctx.images = Object.fromEntries(out.map((o) => [o.name, o.ref]));
    }),
};

export const nodeImages: UpStep = {
  name: 'node images',
  run: (ctx) =>
    task('Node images', async (t) => {
      // A runtime whose node image cannot be baked gets the plain image; every lab image is loaded at up time.
      const n = ctx.runtime.bakes ? await ensureNodeImages(ctx.images, (x) => t.step(x), ctx.runtime.nodeImage) : { ...unbaked(ctx.images[ctx.runtime.nodeImage]!), bakedNow: [] };
      const what = [...new Set([...n.baked['control-plane'], ...n.baked.worker].map(shortName))];
      t.detail(
        !ctx.runtime.bakes
          ? `plain node image (${ctx.runtime.name} nodes load the lab images at up time)`
          : !bakeEnabled()
            ? 'plain node image (LAB_BAKE=off)'
            : `${what.join(', ')} baked in${n.bakedNow.length ? `, ${n.bakedNow.length} step(s) baked now` : ', cached'}`,
      );
      ctx.nodeImages = n;
    }),
};

export const kindBinary: UpStep = {
  name: 'kind',
  run: (ctx) =>
    task('kind', async (t) => {
      ctx.kind = await ensureKind((x) => t.step(x));
      t.detail(ctx.kind);
    }),
};
