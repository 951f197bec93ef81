// The kubelet-api source against a fake API server on loopback: the real @kubernetes/client-node Log
// class, a follow stream that the server cuts every few lines, sinceTime with second precision as the
// API server passes it to the kubelet, and a buffer that fills up.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { systemClock } from '../../src/apps/lib/clock.ts';
import type { LogRecord } from '../../src/apps/pipeline/record.ts';
import { KubeLogStream } from '../../src/apps/shipper/kube-stream.ts';
import { newSourceStats, type Emitter } from '../../src/apps/shipper/source.ts';
import { quietLog } from './helpers/apps-fakes.ts';

interface LogLine {
  ts: string;
  msg: string;
}

/** 300 lines, 10 per second of fake time, with trimmed RFC3339Nano stamps like the kubelet prints. */
const LINES: LogLine[] = Array.from({ length: 300 }, (_, i) => {
  const sec = Math.floor(i / 10);
  const frac = (i % 10) * 100; // ms; .000 prints without a fraction, .100 as .1
  const d = new Date(Date.UTC(2024, 4, 1, 10, 0, sec, frac)).toISOString();
  return { ts: d.replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z'), msg: `{"seq":${i + 1}}` };
});

describe('kubelet-api log stream', () => {
  let server: Server;
  let kc: KubeConfig;
  const requests: URL[] = [];
  /** The server cuts every connection after this many lines. */
  const cutAfter = 37;

  before(async () => {
    server = createServer((req, res: ServerResponse) => {
      const url = new URL(req.url!, 'http://x');
      requests.push(url);
      if (url.pathname !== '/api/v1/namespaces/dev/pods/app-1/log') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 404, message: 'not found' }));
        return;
      }
      const since = url.searchParams.get('sinceTime');
      assert.ok(since === null || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(since), `sinceTime ${since} has second precision`);
      const from = since ? LINES.findIndex((l) => new Date(l.ts) >= new Date(since)) : 0;
      res.writeHead(200, { 'content-type': 'text/plain' });
      const slice = LINES.slice(from, from + cutAfter);
      // Split writes mid-line to exercise line reassembly across chunks.
      const text = slice.map((l) => `${l.ts} ${l.msg}\n`).join('');
      res.write(text.slice(0, 101));
      setTimeout(() => {
        // Past the end: keep following (an idle stream) until the client gives up.
        res.write(text.slice(101), () => {
          if (from + cutAfter < LINES.length) res.destroy();
        });
      }, 5);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'ctx', cluster: 'fake', user: 'u' }],
      currentContext: 'ctx',
    });
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('reconnects after every cut, resumes with sinceTime and skips what it had: each line once', async () => {
    const got: LogRecord[] = [];
    let full = false;
    const waiters: Array<() => void> = [];
    const emit: Emitter = {
      offer: (r) => {
        if (full) return false;
        got.push(r);
        // Fill up once, for a moment, to hold the stream back.
        if (got.length === 100) {
          full = true;
          setTimeout(() => {
            full = false;
            waiters.splice(0).forEach((w) => w());
          }, 50);
        }
        return true;
      },
      whenRoom: () => (full ? new Promise((r) => waiters.push(r)) : Promise.resolve()),
    };
    const stats = newSourceStats();
    const target = { id: 'dev/app-1/uid/app', namespace: 'dev', pod: 'app-1', container: 'app', key: 'app-1' };
    const s = new KubeLogStream(target, { reconnectMs: 5, idleMs: 2_000, readFrom: 'head' }, { kc, emit, stats, log: quietLog, clock: systemClock, position: undefined });
    s.start();
    const deadline = Date.now() + 20_000;
    while (got.length < LINES.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await s.stop();
    assert.deepEqual(
      got.map((r) => r.value),
      LINES.map((l) => l.msg),
    );
    assert.ok(got.every((r) => r.key === 'app-1'));
    assert.ok(stats.reconnects >= Math.floor(LINES.length / cutAfter) - 1, `${stats.reconnects} reconnects`);
    assert.ok(stats.linesReread > 0, 'a reconnect re-reads the tail of the last second');
    assert.equal(stats.linesRead, LINES.length);
    const logReqs = requests.filter((u) => u.pathname.endsWith('/log'));
    assert.equal(logReqs[0]!.searchParams.get('follow'), 'true');
    assert.equal(logReqs[0]!.searchParams.get('timestamps'), 'true');
    assert.equal(logReqs[0]!.searchParams.get('container'), 'app');
    assert.equal(logReqs[0]!.searchParams.has('sinceTime'), false);
    assert.ok(logReqs.slice(1).every((u) => u.searchParams.has('sinceTime')));
  });

  it('marks a pod the API does not know as gone instead of retrying forever', async () => {
    const stats = newSourceStats();
    const target = { id: 'dev/nope/uid/app', namespace: 'dev', pod: 'nope', container: 'app', key: 'nope' };
    const emit: Emitter = { offer: () => true, whenRoom: () => Promise.resolve() };
    const s = new KubeLogStream(target, { reconnectMs: 5, idleMs: 2_000, readFrom: 'head' }, { kc, emit, stats, log: quietLog, clock: systemClock, position: undefined });
    s.start();
    const deadline = Date.now() + 5_000;
    while (!s.gone && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await s.stop();
    assert.equal(s.gone, true);
  });
});
