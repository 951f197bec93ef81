import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../util/errors.ts';
import { capture, run } from '../util/exec.ts';
import { ensureDir, logsDir, repoRoot } from '../util/paths.ts';
import { requireDisk } from '../host/resources.ts';
import { imageExists, imagesDir, loadSpecs } from './catalog.ts';
import { BAKED, bakeChain, NODE_ROLES, type BakeStep, type NodeRole } from './bake-plan.ts';
import { Interrupted } from '../util/interrupt.ts';

/** The node image each role runs, and the lab image refs already inside it. */
export interface NodeImages {
  image: Record<NodeRole, string>;
  baked: Record<NodeRole, string[]>;
}

const script = join(imagesDir, 'node-baked', 'bake.sh');

/** `LAB_BAKE=off`: every node runs the plain node image and `lab up` imports every image (the slow path, for comparison). */
export function bakeEnabled(): boolean {
  return process.env.LAB_BAKE !== 'off';
}

/** Plain node image everywhere, nothing baked. */
export function unbaked(node: string): NodeImages {
  return { image: { 'control-plane': node, worker: node }, baked: { 'control-plane': [], worker: [] } };
}

async function ids(refs: string[]): Promise<string[]> {
  const out = await capture('docker', ['image', 'inspect', '--format', '{{.Id}}', ...refs]).catch(() => '');
  const list = out.split('\n').filter(Boolean);
  if (list.length !== refs.length) throw new LabError(`cannot bake the node images: one of ${refs.join(', ')} does not exist`, 'run `npx lab images` first');
  return list;
}

/** Each role's chain of bake steps for these lab image refs (`refs[node]` and every baked name must be present). */
async function chains(refs: Record<string, string>, node: string): Promise<Record<NodeRole, BakeStep[]>> {
  const names = [...new Set(NODE_ROLES.flatMap((r) => BAKED[r]))];
  const absent = [node, ...names].filter((n) => !refs[n]);
  if (absent.length) throw new LabError(`cannot bake the node images without ${absent.join(', ')}`, 'run `npx lab images` (without --only) first');
  const [nodeId, ...imageIds] = await ids([refs[node]!, ...names.map((n) => refs[n]!)]);
  const idOf = new Map(names.map((n, i) => [n, imageIds[i]!]));
  const version = loadSpecs().get(node)?.version ?? node;
  const recipe = createHash('sha256').update(readFileSync(script)).digest('hex');
  const chain = (role: NodeRole) => bakeChain(version, nodeId!, BAKED[role].map((name) => ({ name, id: idOf.get(name)! })), recipe);
  return { 'control-plane': chain('control-plane'), worker: chain('worker') };
}

function result(refs: Record<string, string>, c: Record<NodeRole, BakeStep[]>, node: string): NodeImages {
  const last = (r: NodeRole) => c[r].at(-1)?.tag ?? refs[node]!;
  return {
    image: { 'control-plane': last('control-plane'), worker: last('worker') },
    baked: { 'control-plane': c['control-plane'].map((s) => refs[s.name]!), worker: c.worker.map((s) => refs[s.name]!) },
  };
}

async function bakeStep(parent: string, image: string, tag: string, log: string): Promise<void> {
  // A temporary name first, as catalog builds do: only a finished bake gets the content-addressed tag.
  const buildTag = tag.replace(/:([^:]+)$/, `:building-${process.pid}-$1`);
  let step = 'start';
  try {
    await run('bash', [script], {
      cwd: repoRoot,
      logFile: log,
      env: { ...process.env, PARENT_IMAGE: parent, IMAGE: image, BUILD_TAG: buildTag },
      timeoutMs: 15 * 60_000,
      onLine: (line) => {
        if (line.startsWith('STEP ')) step = line.slice(5).trim();
      },
    });
  } catch (err) {
    // Ctrl-C is not a failed build: it ends the command with its own one line.
    if (err instanceof Interrupted) throw err;
    throw new LabError(
      `baking ${image} into the node image failed at step "${step}"`,
      `read the full log: ${log}; or run \`LAB_BAKE=off npx lab up\` to import every image at up time instead`,
      err instanceof LabError ? [err.message, err.details].filter(Boolean).join('\n') : String(err),
    );
  }
  await run('docker', ['tag', buildTag, tag], { logFile: log });
  await run('docker', ['rmi', buildTag], { logFile: log, allowFailure: true });
}

/**
 * The node image for each role with the stable lab images baked in, baking the steps not built yet.
 * `refs` are the catalog's refs by name (what `ensureImages` returned); `node` is the catalog name of the
 * node image to bake onto (the runtime's, src/runtime/). Warm, this is two `docker image inspect` calls
 * per step and no build.
 */
export async function ensureNodeImages(refs: Record<string, string>, onStep: (s: string) => void = () => {}, node = 'node'): Promise<NodeImages & { bakedNow: string[] }> {
  if (!bakeEnabled()) return { ...unbaked(refs[node]!), bakedNow: [] };
  const c = await chains(refs, node);
  const tags = [...new Set(NODE_ROLES.flatMap((r) => c[r].map((s) => s.tag)))];
  const present = new Set((await Promise.all(tags.map(async (t) => ((await imageExists(t)) ? t : '')))).filter(Boolean));
  const bakedNow: string[] = [];
  const log = join(ensureDir(join(logsDir(), 'images')), 'node-baked.log');
  if (present.size < tags.length) {
    requireDisk(await capture('docker', ['info', '--format', '{{.DockerRootDir}}']).catch(() => '/var/lib/docker'), 3, 'baking images into the node image');
    writeFileSync(log, `# ${new Date().toISOString()} node-baked\n`);
  }
  for (const role of NODE_ROLES) {
    let parent = refs[node]!;
    for (const s of c[role]) {
      if (!present.has(s.tag)) {
        onStep(`baking ${s.name} into the ${role} node image`);
        await bakeStep(parent, refs[s.name]!, s.tag, log);
        present.add(s.tag);
        bakedNow.push(s.tag);
      }
      parent = s.tag;
    }
  }
  return { ...result(refs, c, node), bakedNow };
}
