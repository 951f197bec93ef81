import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerOut } from '../docker/cli.ts';
import type { RuntimeProvider } from '../runtime/provider.ts';
import { cacheDir, ensureDir } from '../util/paths.ts';
import { waitFor } from '../util/wait.ts';

/** One image and the nodes it runs on. */
export interface EarlyImage {
  ref: string;
  nodes: string[];
}

export interface EarlyLoadResult {
  /** `image@node` pairs imported before the cluster was up. */
  imported: string[];
  /** What could not be done early; `kind load` afterwards covers it. */
  skipped: string[];
}

/** Where `docker save` output is kept, named by image id so a rebuilt image never reuses a stale tar. */
async function imageTar(ref: string, signal: AbortSignal): Promise<string> {
  const id = (await dockerOut(['image', 'inspect', '--format', '{{.Id}}', ref], { signal })).replace(/^sha256:/, '').slice(0, 16);
  const repo = ref.replace(/:[^/:]*$/, '').replaceAll(/[^A-Za-z0-9_.-]/g, '_');
  const dir = ensureDir(join(cacheDir, 'image-tars'));
  const file = join(dir, `${repo}-${id}.tar`);
  if (existsSync(file)) return file;
  await docker(['save', '-o', `${file}.tmp`, ref], { timeoutMs: 5 * 60_000, signal });
  renameSync(`${file}.tmp`, file);
  // One tar per repository is enough; older ones are dead weight.
  for (const f of readdirSync(dir)) if (f.startsWith(`${repo}-`) && join(dir, f) !== file) rmSync(join(dir, f), { force: true });
  return file;
}

/** Streams a tar into the node's runtime, the way `kind load` does, without `kind load`'s own save. */
function importInto(node: string, tar: string, runtime: RuntimeProvider, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('docker', ['exec', '-i', node, ...runtime.importCommand], { stdio: ['pipe', 'ignore', 'pipe'], signal });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${runtime.importCommand[0]} import on ${node} exited ${code}: ${err.trim().split('\n').pop() ?? ''}`))));
    createReadStream(tar).on('error', reject).pipe(p.stdin).on('error', () => undefined);
  });
}

async function runtimeAnswers(node: string, runtime: RuntimeProvider, signal: AbortSignal): Promise<boolean> {
  return (await docker(['exec', node, ...runtime.readyCommand], { allowFailure: true, timeoutMs: 10_000, signal }).catch(() => ({ code: 1 }))).code === 0;
}

export interface EarlyLoad {
  /** Settles when every import meant for this node was done or given up. */
  nodeDone(node: string): Promise<void>;
  done: Promise<EarlyLoadResult>;
}

/**
 * Imports the lab's images into the node containers while `kind create cluster` is still running
 * kubeadm: the node containers and their runtime are up seconds into the create, and the import
 * (a third of a warm `lab up`) does not depend on the control plane. The control plane's images come
 * first (the Consul servers and Vault run there, and `lab up` waits for them), two imports at a time so
 * kubeadm keeps enough of the two cores to come up within its own timeouts. Best effort by design:
 * anything not done here is done by the runtime's image load afterwards, which skips what a node already
 * has. The signal stops it (the create failed, or the command was interrupted).
 */
export function loadImagesEarly(images: EarlyImage[], opts: { deadline: number; signal: AbortSignal; runtime: RuntimeProvider }): EarlyLoad {
  const { signal, runtime } = opts;
  const result: EarlyLoadResult = { imported: [], skipped: [] };
  const tars = new Map<string, Promise<string>>();
  for (const im of images) {
    const t = tars.get(im.ref) ?? imageTar(im.ref, signal);
    t.catch(() => undefined);
    tars.set(im.ref, t);
  }
  const ready = new Map<string, Promise<boolean>>();
  // Asked once per node, however many images go there; an abort ends the wait like a timeout does.
  const readyNode = (node: string): Promise<boolean> => {
    let p = ready.get(node);
    if (!p) {
      p = waitFor(() => runtimeAnswers(node, runtime, signal), { timeoutMs: Math.max(0, opts.deadline - Date.now()), intervalMs: 1000, what: `${runtime.name} in ${node}`, signal }).then(
        () => !signal.aborted,
        () => false,
      );
      ready.set(node, p);
    }
    return p;
  };
  const jobs = images.flatMap((i) => i.nodes.map((node) => ({ node, ref: i.ref })));
  jobs.sort((a, b) => Number(b.node.endsWith('-control-plane')) - Number(a.node.endsWith('-control-plane')));
  const pending = new Map<string, { left: number; settled: Promise<void>; settle: () => void }>();
  for (const j of jobs) {
    const e = pending.get(j.node);
    if (e) e.left++;
    else {
      let settle = () => {};
      const settled = new Promise<void>((r) => (settle = r));
      pending.set(j.node, { left: 1, settled, settle });
    }
  }
  const worker = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const what = `${job.ref}@${job.node}`;
      try {
        if (!(await readyNode(job.node))) throw new Error(signal.aborted ? 'stopped' : `${runtime.name} not reachable in time`);
        if (signal.aborted) throw new Error('cluster creation failed or was stopped');
        await importInto(job.node, await tars.get(job.ref)!, runtime, signal);
        result.imported.push(what);
      } catch (err) {
        result.skipped.push(`${what} (${(err as Error).message.split('\n')[0]})`);
      } finally {
        const e = pending.get(job.node)!;
        if (--e.left === 0) e.settle();
      }
    }
  };
  return {
    nodeDone: (node) => pending.get(node)?.settled ?? Promise.resolve(),
    done: Promise.all([worker(), worker()]).then(() => result),
  };
}

/** What a reused cluster gets: nothing imported early, the runtime's image load does it all. */
export const NO_EARLY_LOAD: EarlyLoad = { nodeDone: () => Promise.resolve(), done: Promise.resolve({ imported: [], skipped: [] }) };
