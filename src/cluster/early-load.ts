import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerOut } from '../docker/cli.ts';
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
async function imageTar(ref: string): Promise<string> {
  const id = (await dockerOut(['image', 'inspect', '--format', '{{.Id}}', ref])).replace(/^sha256:/, '').slice(0, 16);
  const repo = ref.replace(/:[^/:]*$/, '').replaceAll(/[^A-Za-z0-9_.-]/g, '_');
  const dir = ensureDir(join(cacheDir, 'image-tars'));
  const file = join(dir, `${repo}-${id}.tar`);
  if (existsSync(file)) return file;
  await docker(['save', '-o', `${file}.tmp`, ref], { timeoutMs: 5 * 60_000 });
  renameSync(`${file}.tmp`, file);
  // One tar per repository is enough; older ones are dead weight.
  for (const f of readdirSync(dir)) if (f.startsWith(`${repo}-`) && join(dir, f) !== file) rmSync(join(dir, f), { force: true });
  return file;
}

/** Streams a tar into the node's containerd, the way `kind load` does, without `kind load`'s own save. */
function importInto(node: string, tar: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('docker', ['exec', '-i', node, 'ctr', '--namespace=k8s.io', 'images', 'import', '--all-platforms', '--digests', '--snapshotter=overlayfs', '-'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ctr import on ${node} exited ${code}: ${err.trim().split('\n').pop() ?? ''}`))));
    createReadStream(tar).on('error', reject).pipe(p.stdin);
  });
}

async function containerdAnswers(node: string): Promise<boolean> {
  return (await docker(['exec', node, 'ctr', '--namespace=k8s.io', 'version'], { allowFailure: true, timeoutMs: 10_000 }).catch(() => ({ code: 1 }))).code === 0;
}

export interface EarlyLoad {
  /** Settles when every import meant for this node was done or given up. */
  nodeDone(node: string): Promise<void>;
  done: Promise<EarlyLoadResult>;
}

/**
 * Imports the lab's images into the node containers while `kind create cluster` is still running
 * kubeadm: the node containers and their containerd are up seconds into the create, and the import
 * (a third of a warm `lab up`) does not depend on the control plane. The control plane's images come
 * first (the Consul servers and Vault run there, and `lab up` waits for them), two imports at a time so
 * kubeadm keeps enough of the two cores to come up within its own timeouts. Best effort by design:
 * anything not done here is done by `kind load` afterwards, which skips what a node already has.
 */
export function loadImagesEarly(images: EarlyImage[], opts: { deadline: number; aborted: () => boolean }): EarlyLoad {
  const result: EarlyLoadResult = { imported: [], skipped: [] };
  const tars = new Map<string, Promise<string>>();
  for (const im of images) {
    const t = tars.get(im.ref) ?? imageTar(im.ref);
    t.catch(() => undefined);
    tars.set(im.ref, t);
  }
  const ready = new Map<string, Promise<boolean>>();
  // Asked once per node, however many images go there; an abort ends the wait like a timeout does.
  const readyNode = (node: string): Promise<boolean> => {
    let p = ready.get(node);
    if (!p) {
      p = waitFor(async () => opts.aborted() || (await containerdAnswers(node)), { timeoutMs: Math.max(0, opts.deadline - Date.now()), intervalMs: 1000, what: `containerd in ${node}` }).then(
        () => !opts.aborted(),
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
        if (!(await readyNode(job.node))) throw new Error('containerd not reachable in time');
        if (opts.aborted()) throw new Error('cluster creation failed');
        await importInto(job.node, await tars.get(job.ref)!);
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

/** What a reused cluster gets: nothing imported early, `kind load` does it all. */
export const NO_EARLY_LOAD: EarlyLoad = { nodeDone: () => Promise.resolve(), done: Promise.resolve({ imported: [], skipped: [] }) };
