// The shipper's stdout account of failed flushes (what a 2019 runtime saw of a retry storm): one line per
// failed attempt by default, throttled per error, or none; written by the flusher with the count of
// attempts in a row, which a success resets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineBuffer } from '../../src/apps/pipeline/buffer.ts';
import { Flusher } from '../../src/apps/pipeline/flusher.ts';
import { createPolicy } from '../../src/apps/pipeline/policy.ts';
import { MemoryQueue } from '../../src/apps/pipeline/queue.ts';
import { makeRecord } from '../../src/apps/pipeline/record.ts';
import { RetryLog, THROTTLE_MS, type RetryLogMode } from '../../src/apps/pipeline/retry-log.ts';
import { quietLog, ScriptedSink, VirtualClock } from './helpers/apps-fakes.ts';

const fail = (error: string, retry = 1) => ({ error, lines: 10, buffered: 100, retry });

describe('retry log', () => {
  it('every: one JSON line per failed attempt', () => {
    const out: string[] = [];
    let t = 0;
    const r = new RetryLog('every', 'shipper', (l) => out.push(l), () => t);
    for (let i = 1; i <= 5; i++) {
      t += 10;
      r.failed(fail('KafkaJSConnectionError: Connection timeout', i));
    }
    assert.equal(out.length, 5);
    assert.ok(out.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
    const first = JSON.parse(out[0]!);
    assert.deepEqual(first, { ts: new Date(10).toISOString(), level: 'warn', app: 'shipper', msg: 'failed to flush the buffer, retrying', retry: 1, lines: 10, buffered: 100, error: 'KafkaJSConnectionError: Connection timeout' });
    assert.equal(JSON.parse(out[4]!).retry, 5);
  });

  it('throttled: one line per error and interval, then the count of the ones left out', () => {
    const out: string[] = [];
    let t = 0;
    const r = new RetryLog('throttled', 'shipper', (l) => out.push(l), () => t);
    for (let i = 0; i < 10; i++, t += 100) r.failed(fail('timeout'));
    r.failed(fail('refused'));
    t = THROTTLE_MS + 1;
    r.failed(fail('timeout'));
    assert.deepEqual(out.map((l) => [JSON.parse(l).error, JSON.parse(l).suppressed]), [['timeout', 0], ['refused', 0], ['timeout', 9]]);
  });

  it('off: nothing', () => {
    const out: string[] = [];
    new RetryLog('off', 'shipper', (l) => out.push(l)).failed(fail('x'));
    assert.deepEqual(out, []);
  });

  for (const [mode, expected] of [['every', 8], ['off', 0]] as [RetryLogMode, number][]) {
    it(`the flusher reports each failed attempt (${mode}): ${expected} lines for 8 failures, the count in a row reset by a success`, async () => {
      const clock = new VirtualClock();
      const start = clock.now();
      let failures = 0;
      // Down for the first 5 attempts, up for one, down for 3 more, then up.
      const sink: ScriptedSink = new ScriptedSink(clock, (): boolean => {
        const n: number = sink.attempts.length;
        const down = n < 5 || (n >= 6 && n < 9);
        if (down) failures++;
        return down;
      });
      const policy = createPolicy({ mode: 'naive', batch: { maxLines: 5, maxBytes: 900_000 }, backoff: { initialMs: 100, maxMs: 1_000 }, rate: { linesPerSec: 1000, burst: 1000 } }, start);
      const buffer = new LineBuffer(new MemoryQueue(), { maxLines: 0, maxBytes: 0, overflow: policy.overflow });
      const out: string[] = [];
      const flusher = new Flusher(buffer, policy, sink, clock, quietLog, new RetryLog(mode, 'shipper', (l) => out.push(l), () => clock.now()));
      for (let i = 0; i < 3; i++) buffer.offer(makeRecord('pod-a', `{"seq":${i}}`));
      flusher.start();
      for (let i = 0; i < 10_000 && sink.delivered.length < 3; i++) await new Promise<void>((r) => setImmediate(r));
      // New data after the first success, for the second outage.
      for (let i = 3; i < 6; i++) buffer.offer(makeRecord('pod-a', `{"seq":${i}}`));
      for (let i = 0; i < 10_000 && sink.delivered.length < 6; i++) await new Promise<void>((r) => setImmediate(r));
      await flusher.stop(0);
      assert.equal(failures, 8);
      assert.equal(out.length, expected);
      if (mode === 'every') assert.deepEqual(out.map((l) => JSON.parse(l).retry), [1, 2, 3, 4, 5, 1, 2, 3]);
    });
  }
});
