import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../src/apps/pipeline/backoff.ts';
import { BackoffPolicy, createPolicy, NaivePolicy, RateLimitedPolicy } from '../../src/apps/pipeline/policy.ts';
import { TokenBucket } from '../../src/apps/pipeline/token-bucket.ts';
import { seededRandom } from './helpers/apps-fakes.ts';

const batch = { maxLines: 500, maxBytes: 900_000 };
const backoff = { initialMs: 100, maxMs: 10_000 };

describe('naive policy', () => {
  it('always sends, never waits, even right after failures', () => {
    const p = new NaivePolicy({ maxLines: Number.MAX_SAFE_INTEGER, maxBytes: 900_000 });
    for (let i = 0; i < 100; i++) {
      p.onResult(i, 10, false);
      const d = p.next(i, 1_000_000);
      assert.equal(d.kind, 'send');
      if (d.kind === 'send') assert.equal(d.maxLines, Number.MAX_SAFE_INTEGER);
    }
    assert.equal(p.overflow, 'block');
  });
});

describe('backoff', () => {
  it('ceilings double from the initial delay up to the maximum', () => {
    const b = new Backoff(backoff);
    assert.deepEqual([1, 2, 3, 4, 7, 8, 20].map((n) => b.ceiling(n)), [100, 200, 400, 800, 6400, 10_000, 10_000]);
  });

  it('each delay lies in [ceiling/2, ceiling] and the delays are not all equal (jitter)', () => {
    const random = seededRandom(7);
    const delays: number[] = [];
    for (let run = 0; run < 50; run++) {
      const b = new Backoff(backoff, random);
      for (let n = 1; n <= 10; n++) {
        const d = b.fail();
        const c = b.ceiling(n);
        assert.ok(d >= c / 2 && d <= c, `failure ${n}: ${d} not in [${c / 2}, ${c}]`);
        if (n === 3) delays.push(d);
      }
    }
    assert.ok(new Set(delays.map(Math.round)).size > 10, 'jitter should spread delays');
  });

  it('without jitter waits exactly the ceiling', () => {
    const b = new Backoff({ ...backoff, jitter: false }, () => 0.3);
    assert.deepEqual([b.fail(), b.fail(), b.fail()], [100, 200, 400]);
  });

  it('extreme random values hit the bounds exactly', () => {
    assert.equal(new Backoff(backoff, () => 0).fail(), 50);
    assert.equal(new Backoff(backoff, () => 1).fail(), 100);
  });

  it('policy waits after a failure, grows, and resets on success', () => {
    const p = new BackoffPolicy(batch, backoff, () => 1);
    assert.equal(p.next(0).kind, 'send');
    p.onResult(0, 500, false);
    assert.deepEqual(p.next(0), { kind: 'wait', ms: 100 });
    assert.deepEqual(p.next(60), { kind: 'wait', ms: 40 });
    assert.equal(p.next(100).kind, 'send');
    p.onResult(100, 500, false);
    assert.deepEqual(p.next(100), { kind: 'wait', ms: 200 });
    p.onResult(300, 500, true);
    assert.deepEqual(p.next(300), { kind: 'send', maxLines: 500, maxBytes: 900_000 });
  });
});

describe('token bucket', () => {
  it('starts full, refills at the rate, caps at the burst', () => {
    const b = new TokenBucket(100, 50, 0);
    assert.equal(b.available(0), 50);
    b.take(50, 0);
    assert.equal(b.available(0), 0);
    assert.equal(b.available(100), 10);
    assert.equal(b.waitFor(30, 100), 200);
    assert.equal(b.available(10_000), 50);
  });
});

describe('ratelimited policy', () => {
  it('never sends more than rate*t + burst lines, and keeps close to the rate', () => {
    const rate = 1000;
    const burst = 200;
    const p = new RateLimitedPolicy(batch, backoff, { linesPerSec: rate, burst }, 0, () => 0.5);
    let now = 0;
    let sent = 0;
    const backlog = 1_000_000;
    while (now < 60_000) {
      const d = p.next(now, backlog - sent);
      if (d.kind === 'wait') {
        assert.ok(d.ms > 0);
        now += d.ms;
        continue;
      }
      const n = Math.min(d.maxLines, backlog - sent);
      p.onResult(now, n, true);
      sent += n;
      assert.ok(sent <= (rate * now) / 1000 + burst, `at ${now} ms sent ${sent}`);
      now += 1; // the send itself takes a millisecond
    }
    assert.ok(sent >= rate * 59, `sent only ${sent} in 60 s`);
  });

  it('backs off on failure before spending tokens again', () => {
    const p = new RateLimitedPolicy(batch, backoff, { linesPerSec: 1000, burst: 1000 }, 0, () => 1);
    assert.equal(p.next(0, 10).kind, 'send');
    p.onResult(0, 10, false);
    assert.deepEqual(p.next(0, 10), { kind: 'wait', ms: 100 });
  });
});

describe('createPolicy', () => {
  it('maps each mode to its overflow behaviour', () => {
    const cfg = { batch, backoff, rate: { linesPerSec: 10, burst: 10 } };
    assert.equal(createPolicy({ ...cfg, mode: 'naive' }, 0).overflow, 'block');
    assert.equal(createPolicy({ ...cfg, mode: 'backoff' }, 0).overflow, 'block');
    assert.equal(createPolicy({ ...cfg, mode: 'ratelimited' }, 0).overflow, 'block');
    const d = createPolicy({ ...cfg, mode: 'drop-oldest' }, 0);
    assert.equal(d.overflow, 'drop-oldest');
    assert.equal(d.mode, 'drop-oldest');
  });
});
