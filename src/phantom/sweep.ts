// A sweep of phantom pools, resumable: each finished cell is appended as one JSON line to
// runs/phantom-<id>/results.jsonl, and a rerun with the same id skips the cells already there.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finalTag, imageExists, loadSpecs } from '../images/catalog.ts';
import { LabError } from '../util/errors.ts';
import { runsDir } from '../util/paths.ts';
import { runCell, type CellOptions, type CellResult } from './cell.ts';
import { cellsToRun, sweepCells, type PhantomVersion, type SweepSpec } from './plan.ts';
import { ensurePhantomNetwork, removePhantomAll } from './pool.ts';

/** The lab image of each Consul version; 1.8.7 is the lab's `consul` image. */
export const IMAGE_OF: Record<PhantomVersion, string> = { '1.8.7': 'consul', '1.2.2': 'consul-1.2.2', '1.2.3': 'consul-1.2.3' };

/** Why a version cannot be swept here, or null. 1.2.x need images that the Go module proxy cannot supply yet. */
export function versionRefusal(v: PhantomVersion, specs = loadSpecs()): string | null {
  if (specs.has(IMAGE_OF[v])) return null;
  return `Consul ${v} has no lab image: its exact memberlist revision is refused by the Go module proxy (see lab/images/consul-2018/README.md)`;
}

export function sweepDir(id: string): string {
  return join(runsDir, `phantom-${id}`);
}

export function readResults(dir: string): CellResult[] {
  const file = join(dir, 'results.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CellResult);
}

export interface SweepOptions extends Omit<CellOptions, 'image'> {
  id: string;
  spec: SweepSpec;
}

export async function runSweep(o: SweepOptions): Promise<{ dir: string; results: CellResult[]; ran: number }> {
  for (const v of o.spec.versions) {
    const why = versionRefusal(v);
    if (why) throw new LabError(`--versions ${v}: ${why}`, 'sweep 1.8.7 alone (--versions 1.8.7)');
  }
  const images = Object.fromEntries(o.spec.versions.map((v) => [v, finalTag(IMAGE_OF[v])]));
  for (const [v, ref] of Object.entries(images)) {
    if (!(await imageExists(ref))) throw new LabError(`image ${ref} (Consul ${v}) is not built`, `run \`lab images --only ${IMAGE_OF[v as PhantomVersion]}\``);
  }
  const dir = sweepDir(o.id);
  mkdirSync(dir, { recursive: true });
  const planFile = join(dir, 'plan.json');
  const planJson = JSON.stringify({ spec: o.spec, live: o.live, containers: o.containers, batch: o.batch, ratePerS: o.ratePerS, holdS: o.holdS, kvOps: o.kvOps }, null, 2);
  if (existsSync(planFile) && readFileSync(planFile, 'utf8') !== planJson) {
    throw new LabError(`${planFile} was written for other settings`, 'rerun with the same settings, or pick a new --id');
  }
  writeFileSync(planFile, planJson);
  const done = new Set(readResults(dir).map((r) => r.key));
  const all = sweepCells(o.spec);
  const todo = cellsToRun(all, done);
  o.progress(`phantom ${o.id}: ${all.length} cells, ${all.length - todo.length} done, ${todo.length} to run`);
  await ensurePhantomNetwork();
  let ran = 0;
  try {
    for (const [i, cell] of todo.entries()) {
      o.progress(`■ cell ${i + 1}/${todo.length}: ${cell.key}`);
      const r = await runCell(cell, { ...o, image: images[cell.version]! });
      appendFileSync(join(dir, 'results.jsonl'), `${JSON.stringify(r)}\n`);
      ran++;
      o.progress(
        `✔ ${cell.key}: server CPU ${r.servers.cpuPct?.toFixed(1)}%, KV p99 ${r.kv.p99Ms?.toFixed(1)} ms, detect ${r.detectMs === null ? '-' : (r.detectMs / 1000).toFixed(1)} s, join ${r.joinMs === null ? '-' : (r.joinMs / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    if (!process.env.LAB_KEEP_CONTAINERS) await removePhantomAll();
  }
  return { dir, results: readResults(dir), ran };
}
