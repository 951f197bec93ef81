import { join } from 'node:path';
import { ensureDocker } from '../host/docker.ts';
import { ensureImages, IMAGE_SOURCES, type ImageSource } from '../images/build.ts';
import { bakeEnabled, ensureNodeImages } from '../images/bake.ts';
import { LabError } from '../util/errors.ts';
import { runtimeProvider } from '../runtime/index.ts';
import { info, task } from '../ui/progress.ts';
import { logsDir } from '../util/paths.ts';
import type { Command } from './types.ts';

export const images: Command = {
  summary: 'pull or build every lab image (content-tagged: unchanged images are never rebuilt)',
  usage: `lab images [--source auto|pull|build] [--only name,name] [--runtime containerd|docker] [--force]

  --source  auto (default): pull where a registry resolves, else build; pull: only pull; build: only build
  --only    comma-separated image names (their parents come along); the node images with lab images
            baked in are made only without --only (\`lab up\` makes them when missing)
  --runtime also the node image of this container runtime (src/runtime/); the non-default runtimes'
            node images are built only when asked for, here or by a \`lab up\` of a cluster that runs them
  --force   rebuild even if the content-tagged image exists`,
  options: {
    source: { type: 'string', default: 'auto' },
    only: { type: 'string' },
    runtime: { type: 'string' },
    force: { type: 'boolean', default: false },
  },
  async run(v) {
    const source = v.source as ImageSource;
    if (!IMAGE_SOURCES.includes(source)) throw new LabError(`--source must be one of ${IMAGE_SOURCES.join(', ')}, got "${source}"`);
    await task('Docker engine', async (t) => {
      const e = await ensureDocker((s) => t.step(s));
      t.detail(e.version);
    });
    const started = Date.now();
    const only = typeof v.only === 'string' ? v.only.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    const runtime = typeof v.runtime === 'string' ? runtimeProvider(v.runtime) : undefined;
    const outcomes = await ensureImages({ source, only, force: v.force === true, ...(runtime ? { also: [runtime.nodeImage] } : {}) });
    const cached = outcomes.filter((o) => o.how === 'cached');
    // Baked here rather than at the first `lab up`, so that up stays fast (and a bake failure shows here).
    const nodes =
      only || !bakeEnabled()
        ? undefined
        : await task('Image node-baked (lab images in the node image)', async (t) => {
            const n = await ensureNodeImages(Object.fromEntries(outcomes.map((o) => [o.name, o.ref])), (s) => t.step(s));
            t.detail(n.bakedNow.length ? `${n.bakedNow.length} step(s) baked, log ${join(logsDir(), 'images', 'node-baked.log')}` : 'cached');
            return n;
          });
    const refs = [...outcomes.map((o) => o.ref), ...(nodes ? [...new Set(Object.values(nodes.image))] : [])];
    info(`✔ Images: ${refs.join(', ')} (${cached.length}/${outcomes.length} cached, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  },
};
