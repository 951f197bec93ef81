import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { RecordInput } from '../../src/history/records.ts';
import { ResumableWatch } from '../../src/recorder/resumable-watch.ts';
import { classify } from '../../src/recorder/cpu-sampler.ts';

/** A fake API server for one collection: scripted list and watch responses, on loopback. */
function fakeApi(script: { watches: Array<(res: import('node:http').ServerResponse, rv: string) => void> }) {
  const seen: string[] = [];
  let watchNo = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    seen.push(`${url.searchParams.get('watch') ? 'watch' : 'list'}@${url.searchParams.get('resourceVersion') ?? ''}`);
    if (url.searchParams.get('watch')) {
      const handler = script.watches[watchNo++];
      if (!handler) return void setTimeout(() => res.end(), 50);
      res.writeHead(200, { 'content-type': 'application/json' });
      return handler(res, url.searchParams.get('resourceVersion') ?? '');
    }
    res.end();
  });
  return new Promise<{ kc: k8s.KubeConfig; seen: string[]; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
        users: [{ name: 'u' }],
        contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
        currentContext: 'ctx',
      });
      resolve({ kc, seen, close: () => server.close() });
    }),
  );
}

const node = (name: string, rv: string) => ({ metadata: { name, uid: `uid-${name}`, resourceVersion: rv } });

test('a 410 Gone relists, records the blind interval as a gap, and sees the objects again', async () => {
  const api = await fakeApi({
    watches: [
      (res) => {
        res.write(`${JSON.stringify({ type: 'MODIFIED', object: node('a', '11') })}\n`);
        res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old' } })}\n`);
      },
      (res) => res.end(`${JSON.stringify({ type: 'ADDED', object: node('c', '31') })}\n`),
    ],
  });
  let lists = 0;
  const objects: string[] = [];
  const emitted: RecordInput[] = [];
  const w = new ResumableWatch<k8s.V1Node>({
    kc: api.kc,
    path: '/api/v1/nodes',
    source: 'watch/nodes',
    emit: (r) => emitted.push(r),
    list: async () => {
      lists++;
      return lists === 1 ? { items: [node('a', '10')], resourceVersion: '10' } : { items: [node('a', '20'), node('b', '21')], resourceVersion: '30' };
    },
    onObject: (type, o, fromList) => objects.push(`${type}:${o.metadata?.name}:${fromList ? 'list' : 'watch'}`),
  });
  w.start();
  await new Promise((r) => setTimeout(r, 800));
  await w.stop();
  api.close();
  assert.equal(lists, 2, 'relisted once after 410');
  assert.deepEqual(api.seen.slice(0, 2), ['watch@10', 'watch@30'], 'resumed from the list RV, then from the relist RV');
  assert.deepEqual(objects, ['ADDED:a:list', 'MODIFIED:a:watch', 'ADDED:a:list', 'ADDED:b:list', 'ADDED:c:watch']);
  const gaps = emitted.filter((r) => r.type === 'gap');
  assert.equal(gaps.length, 2, 'the gap is opened and then closed');
  assert.equal((gaps[0] as any).reason, 'watch-410-relist');
  assert.ok((gaps[1] as any).to, 'the closing record carries the end of the gap');
  assert.equal(w.relists, 1);
});

test('a watch that ends normally resumes from the last resourceVersion without a gap', async () => {
  const api = await fakeApi({
    watches: [(res) => res.end(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '55' } } })}\n`), (res) => res.end()],
  });
  const emitted: RecordInput[] = [];
  const w = new ResumableWatch<k8s.V1Node>({
    kc: api.kc,
    path: '/api/v1/nodes',
    source: 'watch/nodes',
    emit: (r) => emitted.push(r),
    list: async () => ({ items: [], resourceVersion: '50' }),
    onObject: () => {},
  });
  w.start();
  await new Promise((r) => setTimeout(r, 500));
  await w.stop();
  api.close();
  assert.deepEqual(api.seen.slice(0, 2), ['watch@50', 'watch@55'], 'a bookmark moves the resume point');
  assert.equal(emitted.filter((r) => r.type === 'gap').length, 0);
});

test('CPU parts: pod by cgroup, runtime, kubelet and shims by name', () => {
  assert.deepEqual(classify('node', '/docker/x/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f3c2a9e_1b2c_4d5e_8f90_123456789abc.slice/cri-containerd-1.scope'), {
    part: 'pod',
    uid: '0f3c2a9e-1b2c-4d5e-8f90-123456789abc',
  });
  assert.deepEqual(classify('containerd', '/docker/x/system.slice/containerd.service'), { part: 'runtime', daemon: 'containerd' });
  assert.deepEqual(classify('kubelet', '/docker/x/kubelet.slice/kubelet.service'), { part: 'kubelet' });
  assert.deepEqual(classify('containerd-shim', '/docker/x/system.slice/containerd.service'), { part: 'shims' });
  assert.equal(classify('systemd', '/docker/x/init.scope'), undefined);
});
