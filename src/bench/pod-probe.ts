// The witness the heal benchmarks share: a pod on a worker that asks the broker a real Kafka question,
// independent of whatever driver applied or removed the cut.
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import type { Clients } from '../cluster/kube.ts';
import type { TcpTarget } from '../faults/driver.ts';
import { repoRoot } from '../util/paths.ts';
import { waitFor } from '../util/wait.ts';

export const PROBE_NS = 'lab';

/** A pod that idles on `node` with the apps image (it has node), created if missing, waited for Running. */
export async function ensureProbePod(c: Clients, name: string, image: string, node: string): Promise<void> {
  const there = await c.core.readNamespacedPod({ name, namespace: PROBE_NS }).catch(() => undefined);
  if (!there) {
    await c.core.createNamespacedPod({
      namespace: PROBE_NS,
      body: {
        metadata: { name },
        spec: {
          nodeName: node,
          containers: [{ name: 'probe', image, imagePullPolicy: 'IfNotPresent', command: ['node', '-e', 'setInterval(() => {}, 1 << 30)'] }],
          terminationGracePeriodSeconds: 0,
        },
      },
    });
  }
  await waitFor(async () => (await c.core.readNamespacedPod({ name, namespace: PROBE_NS })).status?.phase === 'Running', { timeoutMs: 2 * 60_000, what: `pod ${PROBE_NS}/${name} running` });
}

/**
 * From inside the pod: connect every 20 ms (each attempt abandoned after 200 ms) until the broker answers a
 * Kafka ApiVersions request, then resolve with the pod's clock. Pod and host share one kernel clock on
 * kind; on another cluster the node's clock is compared with this host's.
 */
export function kafkaAnswersAt(kc: k8s.KubeConfig, pod: string, kafka: TcpTarget, timeoutMs: number): Promise<number> {
  const script = `const net=require('net');const end=Date.now()+${timeoutMs};
const req=Buffer.alloc(4+2+2+4+2+4);req.writeInt32BE(req.length-4,0);req.writeInt16BE(18,4);req.writeInt16BE(0,6);req.writeInt32BE(7,8);req.writeInt16BE(4,12);req.write('soak',14);
(function t(){if(Date.now()>end)process.exit(2);const s=net.connect(${Number(kafka.port)},'${kafka.host}');let got=Buffer.alloc(0);
const k=setTimeout(()=>{s.destroy();setTimeout(t,20)},200);
s.on('connect',()=>{clearTimeout(k);s.write(req);setTimeout(()=>{s.destroy();setTimeout(t,20)},1000)});
s.on('data',d=>{got=Buffer.concat([got,d]);if(got.length>=8&&got.readInt32BE(4)===7){console.log(Date.now());process.exit(0)}});
s.on('error',()=>{clearTimeout(k);setTimeout(t,20)})})()`;
  return nodeScriptInPod(kc, { namespace: PROBE_NS, pod, container: 'probe' }, script, () => `Kafka did not answer within ${timeoutMs / 1000} s`).then((out) => Number(out.trim()));
}

/**
 * Runs `node -e script` in a pod's container and resolves with its stdout once it exits 0; rejects with
 * `failed(status)` otherwise (stderr is dropped). The probes print the pod's clock when they succeed.
 */
export function nodeScriptInPod(
  kc: k8s.KubeConfig,
  where: { namespace: string; pod: string; container: string },
  script: string,
  failed: (status: k8s.V1Status) => string,
): Promise<string> {
  let out = '';
  const stdout = new Writable({ write: (chunk, _e, cb) => ((out += chunk), cb()) });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return new Promise((resolve, reject) => {
    new k8s.Exec(kc)
      .exec(where.namespace, where.pod, where.container, ['node', '-e', script], stdout, sink, null, false, (st) =>
        st.status === 'Success' ? resolve(out) : reject(new Error(failed(st))),
      )
      .catch(reject);
  });
}

/** A `lab` (or controller) process from this checkout. */
export function tsx(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env });
}

export function finished(p: ChildProcess): Promise<{ code: number; out: string }> {
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d));
  p.stderr!.on('data', (d: Buffer) => (out += d));
  return new Promise((resolve) => p.on('close', (code) => resolve({ code: code ?? 1, out })));
}

/** Resolves once the controller says `ready`; rejects with its last line if it exits first. */
export function controllerReady(ctl: ChildProcess, done: Promise<{ out: string }>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let buf = '';
    ctl.stdout!.on('data', (d: Buffer) => {
      buf += d;
      if (buf.includes('ready ')) resolve();
    });
    ctl.on('close', async () => reject(new Error(`controller exited before it was ready: ${(await done).out.trim().split('\n').pop()}`)));
  });
}
