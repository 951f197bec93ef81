import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LabError } from '../util/errors.ts';
import { succeeds } from '../util/exec.ts';
import { repoRoot } from '../util/paths.ts';

/** What `lab/images/<name>/image.json` says about an image (see lab/images/README.md). */
export interface ImageSpec {
  name: string;
  version: string;
  licence: string;
  pull: string | null;
  from?: string;
  inputs?: string[];
  minDiskGiB?: number;
  /**
   * Built only when asked for by name (`--only`, `--runtime`, or a cluster whose runtime needs it), never
   * by a plain `lab images`: a second node image costs a cold build many minutes, and CI runs plain
   * `lab images`.
   */
  onDemand?: boolean;
  summary?: string;
  /** Folder of the image's recipe. */
  dir: string;
}

export const imagesDir = join(repoRoot, 'lab', 'images');
const REQUIRED = ['name', 'version', 'licence'] as const;

export function loadSpecs(): Map<string, ImageSpec> {
  const specs = new Map<string, ImageSpec>();
  for (const entry of readdirSync(imagesDir).sort()) {
    const dir = join(imagesDir, entry);
    const file = join(dir, 'image.json');
    if (!statSync(dir).isDirectory() || !existsSync(file)) continue;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new LabError(`${relative(repoRoot, file)} is not valid JSON: ${(err as Error).message}`);
    }
    for (const field of REQUIRED) {
      if (typeof raw[field] !== 'string') throw new LabError(`${relative(repoRoot, file)}: field "${field}" must be a string`);
    }
    if (raw.name !== entry) throw new LabError(`${relative(repoRoot, file)}: "name" must equal the folder name "${entry}"`);
    specs.set(entry, { ...(raw as Omit<ImageSpec, 'dir'>), pull: (raw.pull as string | null | undefined) ?? null, dir });
  }
  for (const spec of specs.values()) {
    if (spec.from && !specs.has(spec.from)) {
      throw new LabError(`image ${spec.name}: "from" names ${spec.from}, allowed: ${[...specs.keys()].join(', ')}`);
    }
  }
  return specs;
}

function walk(path: string, out: string[]): void {
  const st = statSync(path);
  if (st.isFile()) {
    out.push(path);
    return;
  }
  if (!st.isDirectory()) return;
  for (const entry of readdirSync(path).sort()) {
    if (entry === 'node_modules' || entry === '.git' || entry === 'NOTES.md') continue;
    walk(join(path, entry), out);
  }
}

const hashCache = new Map<string, string>();

/** Content hash of a recipe, its declared inputs and its parent's hash: the only thing that triggers a rebuild. */
export function imageHash(name: string, specs = loadSpecs()): string {
  const cached = hashCache.get(name);
  if (cached) return cached;
  const spec = specs.get(name);
  if (!spec) throw new LabError(`unknown image "${name}", allowed: ${[...specs.keys()].join(', ')}`);
  const h = createHash('sha256');
  const files: string[] = [];
  walk(spec.dir, files);
  for (const input of spec.inputs ?? []) {
    const p = join(repoRoot, input);
    if (!existsSync(p)) throw new LabError(`image ${name}: input ${input} does not exist`);
    walk(p, files);
  }
  for (const f of files) {
    h.update(relative(repoRoot, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  if (spec.from) h.update(`from:${imageHash(spec.from, specs)}`);
  const digest = h.digest('hex').slice(0, 12);
  hashCache.set(name, digest);
  return digest;
}

export function finalTag(name: string, specs = loadSpecs()): string {
  const spec = specs.get(name);
  if (!spec) throw new LabError(`unknown image "${name}", allowed: ${[...specs.keys()].join(', ')}`);
  return `outage-lab/${name}:${spec.version}-${imageHash(name, specs)}`;
}

export function imageExists(ref: string): Promise<boolean> {
  return succeeds('docker', ['image', 'inspect', '--format', '{{.Id}}', ref]);
}

/**
 * The reference to run for a lab image. `LAB_IMAGE_<NAME>` overrides it (useful while developing a recipe);
 * otherwise the content-tagged image must already exist.
 */
export async function imageRef(name: string): Promise<string> {
  const override = process.env[`LAB_IMAGE_${name.toUpperCase().replaceAll('-', '_')}`];
  if (override) return override;
  const ref = finalTag(name);
  if (!(await imageExists(ref))) {
    throw new LabError(`image ${ref} is not built yet`, 'run `npx lab images` (or `npm run images`) first');
  }
  return ref;
}
