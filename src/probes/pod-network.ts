import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';

/**
 * Whether a pod can open a TCP connection to an address, asked from inside the pod (through the API
 * server's exec): the only honest answer to "was Kafka unreachable from the pods?".
 */
export async function podCanConnect(kc: k8s.KubeConfig, ns: string, pod: string, container: string, host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  const script = `const s=require('net').connect(${port},'${host}');s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),${timeoutMs});`;
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return new Promise((resolve, reject) => {
    new k8s.Exec(kc)
      .exec(ns, pod, container, ['node', '-e', script], sink, sink, null, false, (status: k8s.V1Status) => resolve(status.status === 'Success'))
      .catch(reject);
  });
}
