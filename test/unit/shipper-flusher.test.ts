import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineBuffer } from '../../src/apps/pipeline/buffer.ts';
import { Flusher } from '../../src/apps/pipeline/flusher.ts';
import { createPolicy, type Mode } from '../../src/apps/pipeline/policy.ts';
import { MemoryQueue } from '../../src/apps/pipeline/queue.ts';
import { makeRecord } from '../../src/apps/pipeline/record.ts';
import { quietLog, ScriptedSink, seededRandom, VirtualClock } from './helpers/apps-fakes.ts';

async function until(cond: () => boolean, what: string, max = 200_000): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  assert.fail(`timed out waiting for ${what}`);
}

function setup(mode: Mode, opts: { lines: number; downMs: number; maxLines?: number; batchLines?: number; rate?: number; down?: () => boolean }) {
  const clock = new VirtualClock();
  const start = clock.now();
  const sink = new ScriptedSink(clock, opts.down ?? ((t) => t < start + opts.downMs));
  const policy = createPolicy(
    {
      mode,
      batch: { maxLines: opts.batchLines ?? (mode === 'naive' ? Number.MAX_SAFE_INTEGER : 500), maxBytes: 900_000 },
      backoff: { initialMs: 100, maxMs: 5_000 },
      rate: { linesPerSec: opts.rate ?? 1000, burst: opts.rate ?? 1000 },
    },
    clock.now(),
    seededRandom(1),
  );
  const buffer = new LineBuffer(new MemoryQueue(), { maxLines: opts.maxLines ?? 0, maxBytes: 0, overflow: policy.overflow });
  for (let i = 0; i < opts.lines; i++) buffer.offer(makeRecord('pod-a', `{"seq":${i}}`));
  const flusher = new Flusher(buffer, policy, sink, clock, quietLog);
  return { clock, start, sink, buffer, flusher };
}

const seqs = (sink: ScriptedSink): number[] => sink.delivered.map((r) => (JSON.parse(r.value) as { seq: number }).seq);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('flusher with a healthy Kafka', () => {
  for (const mode of ['naive', 'backoff', 'ratelimited', 'drop-oldest'] as const) {
    it(`${mode}: delivers every line once, in order`, async () => {
      const { sink, buffer, flusher } = setup(mode, { lines: 3000, downMs: 0, maxLines: mode === 'drop-oldest' ? 10_000 : 0 });
      flusher.start();
      await until(() => buffer.lines === 0, 'drain');
      await flusher.stop(0);
      assert.deepEqual(seqs(sink), range(3000));
      assert.equal(flusher.stats.linesSent, 3000);
      assert.equal(flusher.stats.sendErrors, 0);
    });
  }
});

describe('flusher through a 10 s Kafka outage', () => {
  it('naive retries in a tight loop, then flushes the backlog in the largest batches', async () => {
    const { sink, buffer, flusher, start } = setup('naive', { lines: 20_000, downMs: 10_000 });
    flusher.start();
    await until(() => buffer.lines === 0, 'drain');
    await flusher.stop(0);
    const failed = sink.attempts.filter((a) => !a.ok);
    // Each refused attempt costs 1 ms of virtual time and none waits: one attempt per millisecond.
    assert.ok(failed.length >= 9_990, `only ${failed.length} attempts while down`);
    const ok = sink.attempts.filter((a) => a.ok);
    assert.equal(ok.length, 1, 'the whole backlog fits one batch under the byte cap');
    assert.equal(ok[0]!.lines, 20_000);
    assert.ok(ok[0]!.at >= start + 10_000);
    assert.deepEqual(seqs(sink), range(20_000));
  });

  it('backoff makes few, growing, jittered attempts and delivers everything after recovery', async () => {
    const { sink, buffer, flusher, start } = setup('backoff', { lines: 20_000, downMs: 10_000 });
    flusher.start();
    await until(() => buffer.lines === 0, 'drain');
    await flusher.stop(0);
    const failed = sink.attempts.filter((a) => !a.ok);
    assert.ok(failed.length >= 5 && failed.length <= 15, `${failed.length} attempts while down`);
    const gaps = failed.slice(1).map((a, i) => a.at - failed[i]!.at);
    for (let i = 0; i < gaps.length; i++) {
      const ceiling = Math.min(5_000, 100 * 2 ** i);
      assert.ok(gaps[i]! >= ceiling / 2 && gaps[i]! <= ceiling + 1, `gap ${i} = ${gaps[i]} outside [${ceiling / 2}, ${ceiling + 1}]`);
    }
    const firstOk = sink.attempts.find((a) => a.ok)!;
    assert.ok(firstOk.at >= start + 10_000 && firstOk.at < start + 15_000);
    assert.deepEqual(seqs(sink), range(20_000));
    assert.ok(sink.attempts.filter((a) => a.ok).every((a) => a.lines <= 500));
  });

  it('ratelimited drains the backlog at the configured rate', async () => {
    const { sink, buffer, flusher, start } = setup('ratelimited', { lines: 20_000, downMs: 10_000, rate: 2_000 });
    flusher.start();
    await until(() => buffer.lines === 0, 'drain');
    await flusher.stop(0);
    const ok = sink.attempts.filter((a) => a.ok);
    const first = ok[0]!.at;
    const last = ok.at(-1)!.at;
    assert.ok(first >= start + 10_000);
    // 20,000 lines at 2,000/s with a 2,000 burst: about 9 s of draining, not one burst.
    assert.ok(last - first >= 8_500 && last - first <= 10_500, `drained in ${last - first} ms`);
    assert.deepEqual(seqs(sink), range(20_000));
  });

  it('drop-oldest keeps the newest lines and counts the rest as dropped', async () => {
    let down = true;
    const { sink, buffer, flusher } = setup('drop-oldest', { lines: 0, downMs: 0, maxLines: 1_000, batchLines: 500, down: () => down });
    flusher.start();
    // Lines keep coming during the outage: 5,000 lines into a 1,000-line buffer.
    for (let i = 0; i < 5_000; i++) {
      buffer.offer(makeRecord('pod-a', `{"seq":${i}}`));
      if (i % 100 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    assert.ok(flusher.stats.sendErrors > 0);
    assert.equal(buffer.lines, 1_000);
    down = false;
    await until(() => buffer.lines === 0, 'drain');
    await flusher.stop(0);
    const got = seqs(sink);
    assert.equal(got.length + buffer.droppedLines, 5_000, 'every line is either delivered or counted as dropped');
    assert.equal(buffer.droppedLines, 4_000);
    assert.ok(got.includes(4_999), 'the newest line survives');
    assert.ok(!got.includes(1_000), 'an old line was dropped');
    assert.deepEqual(got, [...got].sort((a, b) => a - b), 'delivered lines stay in order');
  });
});
