import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { classify, TIMEOUT_CODE } from '../../src/traffic/classify.ts';
import { percentile } from '../../src/traffic/percentile.ts';
import { SecondBuckets } from '../../src/traffic/seconds.ts';
import { assertLabTarget } from '../../src/traffic/target.ts';
import { runLoad } from '../../src/traffic/loadgen.ts';
import { parseStatsCsv } from '../../src/lb/stats.ts';
import { serverNode } from '../../src/lb/read.ts';

describe('classify', () => {
  const res = (status: number, fromServer: boolean, lbServer = '') => ({ kind: 'response' as const, status, fromServer, lbServer });
  it('tells the LB\'s own 503s apart by whether it picked a server', () => {
    assert.equal(classify(res(503, false, 'pod-1:devenv')), 'dead-backend');
    assert.equal(classify(res(503, false, '')), 'no-backend');
    assert.equal(classify(res(503, false, '  ')), 'no-backend');
    assert.equal(classify(res(502, false, 'pod-1:devenv')), 'dead-backend');
  });
  it('counts a 5xx the app sent as the app\'s', () => assert.equal(classify(res(500, true, 'pod-1:devenv')), 'http-5xx'));
  it('counts a 200 only when a server sent it', () => {
    assert.equal(classify(res(200, true, 'pod-1:devenv')), 'ok');
    assert.equal(classify(res(200, false)), 'other');
    assert.equal(classify(res(404, true, 'x')), 'other');
  });
  it('maps socket errors', () => {
    assert.equal(classify({ kind: 'error', code: 'ECONNREFUSED' }), 'refused');
    assert.equal(classify({ kind: 'error', code: TIMEOUT_CODE }), 'timeout');
    assert.equal(classify({ kind: 'error', code: 'ECONNRESET' }), 'other');
  });
});

describe('percentile', () => {
  it('is nearest-rank and undefined for no samples', () => {
    assert.equal(percentile([], 50), undefined);
    assert.equal(percentile([5], 99), 5);
    assert.equal(percentile([4, 1, 3, 2], 50), 2);
    assert.equal(percentile([...Array(100).keys()].map((i) => i + 1), 99), 99);
  });
});

describe('SecondBuckets', () => {
  it('emits a second only when it is over and nothing of it is in flight', () => {
    const b = new SecondBuckets('t');
    const a = b.start(10_100);
    const c = b.start(10_900);
    const d = b.start(11_200);
    a('ok', 10);
    assert.deepEqual(b.take(12_000), [], 'c is still in flight');
    c('dead-backend', 3000);
    d('ok', 20);
    const out = b.take(11_500);
    assert.equal(out.length, 1, 'second 11 is not over yet');
    assert.deepEqual(out[0], { type: 'traffic', ts: new Date(10_000).toISOString(), sent: 2, ok: 1, errors: { 'dead-backend': 1 }, p50Ms: 10, p99Ms: 10, maxMs: 10, target: 't' });
    assert.equal(b.take(12_000)[0]!.ok, 1);
  });
  it('ignores a second settle of the same request', () => {
    const b = new SecondBuckets();
    const a = b.start(0);
    a('timeout', 5);
    a('ok', 6);
    const [s] = b.take(2_000);
    assert.deepEqual([s!.sent, s!.ok, s!.errors.timeout, s!.p50Ms], [1, 0, 1, undefined]);
  });
  it('counts a skipped request in the second it was scheduled for, not the second it would have run in', () => {
    const b = new SecondBuckets();
    b.skip(3_400);
    const late = b.start(3_900);
    late('ok', 7);
    const [s] = b.take(10_000);
    assert.deepEqual([s!.ts, s!.sent, s!.ok, s!.skipped], [new Date(3_000).toISOString(), 1, 1, 1]);
    const none = new SecondBuckets();
    none.start(0)('ok', 1);
    assert.equal('skipped' in none.take(2_000)[0]!, false, 'no field when nothing was skipped');
  });
});

describe('assertLabTarget', () => {
  it('allows loopback and listed lab addresses only', () => {
    assertLabTarget(new URL('http://127.0.0.1:8080/'));
    assertLabTarget(new URL('http://[::1]:8080/'));
    assertLabTarget(new URL('http://172.18.0.5:8080/'), ['172.18.0.5']);
    assert.throws(() => assertLabTarget(new URL('http://172.18.0.6:8080/'), ['172.18.0.5']), /neither loopback/);
    assert.throws(() => assertLabTarget(new URL('http://example.invalid/')), /neither loopback/);
    assert.throws(() => assertLabTarget(new URL('https://127.0.0.1/')), /only http/);
  });
});

describe('runLoad', () => {
  it('keeps its rate and bounds, and records every request in its second', async () => {
    let hits = 0;
    const srv = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'x-lb-from-server': '1', 'x-lb-server': 'n:devenv' });
      res.end('ok');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const seconds: { sent: number; ok: number }[] = [];
    const t0 = Date.now();
    const sum = await runLoad({ url: `http://127.0.0.1:${port}/`, service: 'devenv', ratePerSec: 50, durationMs: 1_500, maxRequests: 40, timeoutMs: 1_000, onSecond: (s) => seconds.push(s) });
    srv.close();
    assert.equal(sum.sent, 40, 'stopped at maxRequests');
    assert.equal(sum.ok, 40);
    assert.equal(hits, 40);
    assert.equal(seconds.reduce((n, s) => n + s.sent, 0), 40);
    assert.ok(Date.now() - t0 < 1_500, 'maxRequests ended it before the duration');
  });
  it('skips what a stall made late instead of sending it in a burst', async () => {
    const perSecond = new Map<number, number>();
    const srv = createServer((_req, res) => {
      const k = Math.floor(Date.now() / 1000);
      perSecond.set(k, (perSecond.get(k) ?? 0) + 1);
      res.writeHead(200, { 'x-lb-from-server': '1', 'x-lb-server': 'n:devenv' });
      res.end('ok');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    // Block this process's event loop for 2.5 s shortly after the start: the generator's own stall.
    setTimeout(() => {
      const until = Date.now() + 2_500;
      while (Date.now() < until);
    }, 300);
    const sum = await runLoad({ url: `http://127.0.0.1:${port}/`, service: 'devenv', ratePerSec: 20, durationMs: 4_000, timeoutMs: 1_000, onSecond: () => {} });
    srv.close();
    assert.ok(sum.skipped >= 20, `a 2.5 s stall at 20/s leaves at least 1.5 s of requests more than 1 s late: ${sum.skipped}`);
    assert.equal(sum.sent + sum.skipped, 80, 'every scheduled request is either sent or skipped');
    assert.ok(Math.max(...perSecond.values()) <= 45, `no catch-up burst: busiest second ${Math.max(...perSecond.values())}`);
  });
  it('refuses rates and targets outside its bounds', async () => {
    const base = { service: 'x', durationMs: 1000, timeoutMs: 1000, onSecond: () => {} };
    await assert.rejects(runLoad({ ...base, url: 'http://127.0.0.1:1/', ratePerSec: 10_000 }), /rate must be/);
    await assert.rejects(runLoad({ ...base, url: 'http://192.0.2.1:1/', ratePerSec: 1 }), /neither loopback/);
  });
});

describe('HAProxy CSV stats', () => {
  it('finds servers per backend by column name', () => {
    const csv = '# pxname,svname,qcur,status,addr,x\ntraffic,FRONTEND,,OPEN,,\nbe_devenv,pod-1:devenv,0,UP,10.0.0.1:8080,\nbe_devenv,BACKEND,0,UP,,\nbe_none,BACKEND,0,UP,,\n';
    const m = parseStatsCsv(csv);
    assert.deepEqual(m.get('be_devenv'), [{ name: 'pod-1:devenv', address: '10.0.0.1:8080', status: 'UP' }]);
    assert.deepEqual(m.get('be_none'), []);
    assert.equal(m.has('traffic'), false);
    assert.throws(() => parseStatsCsv('<html>'), /not HAProxy CSV/);
  });
  it('reads the node from a server name', () => assert.equal(serverNode('devenv-7c9-abc:devenv'), 'devenv-7c9-abc'));
});
