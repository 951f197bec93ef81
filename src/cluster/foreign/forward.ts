// On kind the lab reaches Consul, Vault and the in-cluster broker through loopback ports kind maps to
// NodePorts. A foreign cluster maps nothing onto this host, and its nodes' addresses may not be reachable
// from it: the same loopback ports are opened here and carried to the pods through the API server's
// port-forward, the one path to the cluster the lab is sure to have.
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import type { ClusterSettings } from '../settings.ts';
import { KAFKA_HOST_LISTENER_PORT, KAFKA_NS, KAFKA_POD } from '../../components/kafka-in-cluster.ts';

export interface ForwardSpec {
  /** For messages. */
  name: string;
  localPort: number;
  namespace: string;
  /** The pod to reach in `namespace`, asked at each connection (a restarted pod is a new one). */
  pod: (core: k8s.CoreV1Api, namespace: string) => Promise<string>;
  port: number;
}

const readyPod = (selector: string) => async (core: k8s.CoreV1Api, namespace: string) => {
  const pods = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
  const ready = pods.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ?? pods.find((p) => p.status?.phase === 'Running');
  if (!ready?.metadata?.name) throw new Error(`no running pod with ${selector} in namespace ${namespace}`);
  return ready.metadata.name;
};

/** What the lab reaches from this host on a foreign cluster: Consul's and Vault's HTTP APIs, and the in-cluster broker's host listener. */
export function forwardsFor(s: ClusterSettings, kafkaInCluster: boolean): ForwardSpec[] {
  return [
    { name: 'Consul', localPort: s.consulHostPort, namespace: 'lab', pod: readyPod('app=consul-server'), port: 8500 },
    { name: 'Vault', localPort: s.vaultHostPort, namespace: 'lab', pod: readyPod('app=vault'), port: 8200 },
    ...(kafkaInCluster ? [{ name: 'Kafka', localPort: s.kafkaInClusterHostPort, namespace: KAFKA_NS, pod: async () => KAFKA_POD, port: KAFKA_HOST_LISTENER_PORT }] : []),
  ];
}

/** Under LAB_DEBUG, one stderr line per step of a forwarded connection, with its time since accept (now). */
function debugTrace(f: ForwardSpec): (what: string) => void {
  if (!process.env.LAB_DEBUG) return () => {};
  const t0 = performance.now();
  return (what) => process.stderr.write(`(forward ${f.name} :${f.localPort}, ${(performance.now() - t0).toFixed(0)} ms: ${what})\n`);
}

const open = new Map<number, Server>();
/** Connections being carried: a finished command ends them, or they would keep its process alive. */
const live = new Set<{ end(): void }>();

/** Listens on 127.0.0.1 for each spec (once per process); every connection is one port-forward stream. */
export async function ensureForwards(kc: k8s.KubeConfig, specs: ForwardSpec[]): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const pf = new k8s.PortForward(kc, true);
  for (const f of specs) {
    if (open.has(f.localPort)) continue;
    const server = createServer((socket: Socket) => {
      const conn = { end: () => socket.destroy() };
      live.add(conn);
      const trace = debugTrace(f);
      socket.on('close', () => {
        live.delete(conn);
        trace(`closed (${socket.bytesRead} bytes in, ${socket.bytesWritten} out)`);
      });
      socket.on('error', () => socket.destroy());
      // The pod side's failure (nothing listening on the port in the pod, the pod gone) comes on the error
      // channel while the data channel stays open: left unread, the client waited for its own timeout with
      // no reason given. It ends the connection at once, and LAB_DEBUG prints it.
      const podErrors = new Writable({
        write(chunk: Buffer, _enc, done) {
          // The channel's first message is only the port number, left here as an empty chunk.
          if (chunk.length === 0) return done();
          trace(`error channel: ${chunk.toString('utf8').trim()}`);
          socket.destroy();
          done();
        },
      });
      f.pod(core, f.namespace)
        .then((pod) => {
          trace(`pod ${pod}`);
          return pf.portForward(f.namespace, pod, [f.port], socket, podErrors, socket);
        })
        .then((ws) => {
          const w = typeof ws === 'function' ? ws() : ws;
          trace('stream open');
          if (socket.destroyed) return void w?.terminate();
          socket.on('close', () => w?.terminate());
          w?.on('close', () => socket.destroy());
          w?.on('error', () => socket.destroy());
        })
        .catch((err: unknown) => {
          trace(`failed: ${(err as Error).message}`);
          socket.destroy();
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen on 127.0.0.1:${f.localPort} for ${f.name} (${err.code ?? err.message}); move it with the LAB_*_PORT variables`)),
      );
      server.listen(f.localPort, '127.0.0.1', () => resolve());
    });
    // The forwards serve the command while it runs; they never keep it alive.
    server.unref();
    open.set(f.localPort, server);
  }
}

/**
 * Ends every forward: the listeners, and each connection they carry (its WebSocket to the API server goes
 * with it; a stream whose upgrade is still under way is terminated as soon as it opens). The listeners are
 * unref'd but the carried connections are not, and the lab's HTTP clients keep idle connections open: left
 * alone, they kept `lab up --context` from ever exiting (test/unit/foreign-forward.test.ts).
 */
export function closeForwards(): void {
  for (const s of open.values()) s.close();
  open.clear();
  for (const c of live) c.end();
  live.clear();
}
