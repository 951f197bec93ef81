import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../util/errors.ts';
import { capture, run, succeeds } from '../util/exec.ts';
import { cacheDir, ensureDir, logsDir, repoRoot } from '../util/paths.ts';
import { task } from '../ui/progress.ts';
import { requireDisk } from '../host/resources.ts';
import { finalTag, imageExists, loadSpecs, type ImageSpec } from './catalog.ts';
import { defaultRegistryResolves } from './registry.ts';
import { Interrupted } from '../util/interrupt.ts';

export type ImageSource = 'auto' | 'pull' | 'build';
export const IMAGE_SOURCES: readonly ImageSource[] = ['auto', 'pull', 'build'];

export interface EnsureOptions {
  source?: ImageSource;
  /** Only these images (and what they are built from). */
  only?: string[];
  /** These on-demand images as well as the default set (or as well as `only`). */
  also?: string[];
  /** Rebuild even when the content-tagged image exists. */
  force?: boolean;
}

export interface ImageOutcome {
  name: string;
  ref: string;
  how: 'cached' | 'pulled' | 'built' | 'override';
  ms: number;
}

/** Images in dependency order: a parent before every image built `from` it; without `only`, every image but the on-demand ones. */
export function ordered(specs: Map<string, ImageSpec>, only?: string[], also: string[] = []): ImageSpec[] {
  const wanted = new Set<string>();
  const add = (name: string) => {
    const spec = specs.get(name);
    if (!spec) throw new LabError(`unknown image "${name}", allowed: ${[...specs.keys()].join(', ')}`);
    if (spec.from) add(spec.from);
    wanted.add(name);
  };
  for (const name of only?.length ? only : [...specs.values()].filter((s) => !s.onDemand).map((s) => s.name)) add(name);
  for (const name of also) add(name);
  const out: ImageSpec[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const spec = specs.get(name)!;
    if (spec.from) visit(spec.from);
    out.push(spec);
  };
  for (const name of wanted) visit(name);
  return out;
}

async function pull(spec: ImageSpec, ref: string, log: string): Promise<void> {
  if (!spec.pull) throw new LabError(`image ${spec.name} has no pull source; it is always built locally`);
  await run('docker', ['pull', spec.pull], { logFile: log, timeoutMs: 15 * 60_000 });
  await run('docker', ['tag', spec.pull, ref], { logFile: log });
}

async function build(spec: ImageSpec, ref: string, log: string, base: string | undefined, step: (s: string) => void) {
  // Built under a temporary name: only a build that finished gets the final, content-addressed tag. The
  // pid keeps two commands building the same image at once (a replay and `lab images`) off each other's tag.
  const buildTag = ref.replace(/:([^:]+)$/, `:building-${process.pid}-$1`);
  let current = 'start';
  try {
    await run('bash', [join(spec.dir, 'build.sh')], {
      cwd: repoRoot,
      logFile: log,
      env: {
        ...process.env,
        BUILD_TAG: buildTag,
        BASE_IMAGE: base ?? '',
        LAB_CACHE: ensureDir(cacheDir),
        LAB_ROOT: repoRoot,
      },
      onLine: (line) => {
        if (line.startsWith('STEP ')) {
          current = line.slice(5).trim();
          step(current);
        }
      },
    });
  } catch (err) {
    // Ctrl-C is not a failed build: it ends the command with its own one line.
    if (err instanceof Interrupted) throw err;
    const details = err instanceof LabError ? err.details : String(err);
    throw new LabError(
      `building image ${spec.name} failed at step "${current}"`,
      `read the full log: ${log}; rerun only this image with \`npx lab images --only ${spec.name} --source build\``,
      [err instanceof LabError ? err.message : '', details].filter(Boolean).join('\n'),
    );
  }
  if (!(await imageExists(buildTag))) {
    throw new LabError(`image ${spec.name}: build.sh succeeded but produced no image ${buildTag}`, `read ${log}`);
  }
  await run('docker', ['tag', buildTag, ref], { logFile: log });
  await run('docker', ['rmi', buildTag], { logFile: log, allowFailure: true });
}

/** Makes sure every lab image exists locally, pulling or building what is missing. */
export async function ensureImages(opts: EnsureOptions = {}): Promise<ImageOutcome[]> {
  const source = opts.source ?? 'auto';
  if (!IMAGE_SOURCES.includes(source)) {
    throw new LabError(`--source must be one of ${IMAGE_SOURCES.join(', ')}, got "${source}"`);
  }
  const specs = loadSpecs();
  const list = ordered(specs, opts.only, opts.also);
  const missing: ImageSpec[] = [];
  const overrides = new Map<string, string>();
  for (const spec of list) {
    // LAB_IMAGE_<NAME> names an image to use as is (a recipe under development, a registry of your own).
    const override = process.env[`LAB_IMAGE_${spec.name.toUpperCase().replaceAll('-', '_')}`];
    if (override) {
      if (!(await imageExists(override))) throw new LabError(`LAB_IMAGE_${spec.name.toUpperCase()}=${override} does not exist locally`, 'build or pull it, or unset the variable');
      overrides.set(spec.name, override);
    } else if (opts.force || !(await imageExists(finalTag(spec.name, specs)))) missing.push(spec);
  }
  if (missing.length > 0 && source !== 'pull') {
    const dockerRoot = await capture('docker', ['info', '--format', '{{.DockerRootDir}}']).catch(() => '/var/lib/docker');
    const need = missing.reduce((sum, s) => sum + (s.minDiskGiB ?? 1), 0);
    requireDisk(dockerRoot, need, `building ${missing.map((s) => s.name).join(', ')}`);
    requireDisk(ensureDir(cacheDir), Math.min(need, 4), 'build caches');
  }
  // `auto` only tries a pull where a registry can be resolved; elsewhere it goes straight to the build.
  const tryPull = source === 'pull' || (source === 'auto' && missing.length > 0 && (await defaultRegistryResolves()));
  const outcomes: ImageOutcome[] = [];
  const logDir = ensureDir(join(logsDir(), 'images'));
  for (const spec of list) {
    const override = overrides.get(spec.name);
    if (override) {
      outcomes.push({ name: spec.name, ref: override, how: 'override', ms: 0 });
      continue;
    }
    const ref = finalTag(spec.name, specs);
    const started = Date.now();
    if (!missing.includes(spec)) {
      outcomes.push({ name: spec.name, ref, how: 'cached', ms: 0 });
      continue;
    }
    const log = join(logDir, `${spec.name}.log`);
    writeFileSync(log, `# ${new Date().toISOString()} image ${spec.name} -> ${ref}\n`);
    const base = spec.from ? finalTag(spec.from, specs) : undefined;
    const how = await task(`Image ${spec.name} ${spec.version}`, async (t) => {
      if (tryPull && spec.pull) {
        t.step(`pulling ${spec.pull}`);
        try {
          await pull(spec, ref, log);
          t.detail(`pulled ${spec.pull}`);
          return 'pulled' as const;
        } catch (err) {
          if (source === 'pull') throw err;
          t.step('no registry reachable, building locally');
        }
      } else if (source === 'pull') {
        t.step('no pull source, building locally');
      }
      await build(spec, ref, log, base, (s) => t.step(s));
      t.detail(`built locally, log ${log}`);
      return 'built' as const;
    });
    outcomes.push({ name: spec.name, ref, how, ms: Date.now() - started });
  }
  mkdirSync(cacheDir, { recursive: true });
  return outcomes;
}

export async function imageSizeBytes(ref: string): Promise<number> {
  return Number(await capture('docker', ['image', 'inspect', '--format', '{{.Size}}', ref]));
}

