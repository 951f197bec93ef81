import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LineBuffer } from '../../src/apps/pipeline/buffer.ts';
import { pipelineConfig } from '../../src/apps/pipeline/config.ts';
import { MemoryQueue } from '../../src/apps/pipeline/queue.ts';
import { makeRecord, type LogRecord } from '../../src/apps/pipeline/record.ts';
import { SpillQueue } from '../../src/apps/pipeline/spill-queue.ts';

const rec = (i: number): LogRecord => makeRecord('p', `line-${String(i).padStart(4, '0')}`, { stream: 's', seq: i, cursor: { off: i } });
const values = (rs: readonly LogRecord[]): string[] => rs.map((r) => r.value);

describe('unbounded buffer (the 2019 case)', () => {
  it('accepts everything and tracks the peak', () => {
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 0, maxBytes: 0, overflow: 'block' });
    let bytes = 0;
    for (let i = 0; i < 100_000; i++) {
      const r = rec(i);
      bytes += r.bytes;
      assert.equal(b.offer(r), true);
    }
    assert.equal(b.lines, 100_000);
    assert.equal(b.peakLines, 100_000);
    assert.equal(b.bytes, bytes);
    assert.equal(b.peakBytes, bytes);
    b.take(60_000, Number.MAX_SAFE_INTEGER);
    b.complete(true);
    assert.equal(b.lines, 40_000);
    assert.equal(b.peakLines, 100_000);
  });
});

describe('bounded blocking buffer', () => {
  it('refuses at the line bound and wakes waiters when a batch is acknowledged', async () => {
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 3, maxBytes: 0, overflow: 'block' });
    for (let i = 0; i < 3; i++) assert.equal(b.offer(rec(i)), true);
    assert.equal(b.offer(rec(3)), false);
    assert.equal(b.lines, 3);
    assert.equal(b.droppedLines, 0);
    let woke = false;
    const w = b.whenRoom(rec(3).bytes).then(() => (woke = true));
    b.take(2, Number.MAX_SAFE_INTEGER);
    await Promise.resolve();
    assert.equal(woke, false, 'room is only made by an acknowledgement');
    b.complete(true);
    await w;
    assert.equal(woke, true);
    assert.equal(b.offer(rec(3)), true);
  });

  it('refuses at the byte bound', () => {
    const size = rec(0).bytes;
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 0, maxBytes: size * 2, overflow: 'block' });
    assert.equal(b.offer(rec(0)), true);
    assert.equal(b.offer(rec(1)), true);
    assert.equal(b.offer(rec(2)), false);
    assert.equal(b.bytes, size * 2);
  });

  it('puts a failed batch back in front, in order', () => {
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 0, maxBytes: 0, overflow: 'block' });
    for (let i = 0; i < 10; i++) b.offer(rec(i));
    assert.deepEqual(values(b.take(4, 1e9)), ['line-0000', 'line-0001', 'line-0002', 'line-0003']);
    b.complete(false);
    assert.equal(b.lines, 10);
    assert.deepEqual(values(b.take(6, 1e9)), ['line-0000', 'line-0001', 'line-0002', 'line-0003', 'line-0004', 'line-0005']);
    b.complete(true);
    assert.deepEqual(values(b.take(100, 1e9)), ['line-0006', 'line-0007', 'line-0008', 'line-0009']);
  });

  it('takes at least one record even if it exceeds maxBytes, and respects maxBytes otherwise', () => {
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 0, maxBytes: 0, overflow: 'block' });
    for (let i = 0; i < 5; i++) b.offer(rec(i));
    assert.equal(b.take(100, 1).length, 1);
    b.complete(true);
    assert.equal(b.take(100, rec(0).bytes * 2).length, 2);
  });
});

describe('drop-oldest buffer', () => {
  it('evicts the oldest, counts them, keeps the newest', () => {
    const dropped: LogRecord[] = [];
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 5, maxBytes: 0, overflow: 'drop-oldest' }, { dropped: (r) => dropped.push(...r) });
    for (let i = 0; i < 12; i++) assert.equal(b.offer(rec(i)), true);
    assert.equal(b.lines, 5);
    assert.equal(b.droppedLines, 7);
    assert.equal(b.droppedBytes, 7 * rec(0).bytes);
    assert.deepEqual(values(dropped), [0, 1, 2, 3, 4, 5, 6].map((i) => `line-000${i}`));
    assert.deepEqual(values(b.take(100, 1e9)), ['line-0007', 'line-0008', 'line-0009', 'line-0010', 'line-0011']);
  });

  it('never evicts the batch in flight; a failed batch is evicted first afterwards', () => {
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 4, maxBytes: 0, overflow: 'drop-oldest' });
    for (let i = 0; i < 4; i++) b.offer(rec(i));
    b.take(2, 1e9); // 0,1 in flight
    b.offer(rec(4)); // evicts 2
    b.offer(rec(5)); // evicts 3
    b.offer(rec(6)); // evicts 4
    assert.equal(b.droppedLines, 3);
    b.complete(false); // 0,1 back in front: 0,1,5,6
    assert.equal(b.lines, 4);
    b.offer(rec(7)); // evicts 0, the oldest, although it had been in flight
    assert.equal(b.droppedLines, 4);
    assert.deepEqual(values(b.take(100, 1e9)), ['line-0001', 'line-0005', 'line-0006', 'line-0007']);
  });

  it('drops the new line when only the batch in flight is left to evict', () => {
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 2, maxBytes: 0, overflow: 'drop-oldest' });
    b.offer(rec(0));
    b.offer(rec(1));
    b.take(2, 1e9);
    assert.equal(b.offer(rec(2)), true);
    assert.equal(b.droppedLines, 1);
    assert.equal(b.lines, 2);
    b.complete(true);
    assert.equal(b.lines, 0);
  });

  it('config gives drop-oldest a bound and half-size batches', () => {
    const cfg = pipelineConfig({ SHIPPER_MODE: 'drop-oldest' }, 'LOG_TOPIC', 'logs');
    assert.equal(cfg.buffer.maxLines, 10_000);
    assert.equal(cfg.policy.batch.maxLines, 500);
    const small = pipelineConfig({ SHIPPER_MODE: 'drop-oldest', BUFFER_MAX_LINES: '100' }, 'LOG_TOPIC', 'logs');
    assert.equal(small.policy.batch.maxLines, 50);
    assert.equal(pipelineConfig({}, 'LOG_TOPIC', 'logs').buffer.maxLines, 0, 'default is unbounded like 2019');
    assert.equal(pipelineConfig({ RATE_LINES_PER_SEC: '0' }, 'LOG_TOPIC', 'logs').policy.mode, 'naive', '0 = unset outside ratelimited');
    assert.throws(() => pipelineConfig({ SHIPPER_MODE: 'ratelimited', RATE_LINES_PER_SEC: '0' }, 'LOG_TOPIC', 'logs'), /RATE_LINES_PER_SEC > 0/);
    assert.throws(() => pipelineConfig({ SHIPPER_MODE: 'fast' }, 'LOG_TOPIC', 'logs'), /SHIPPER_MODE="fast" is not one of naive, backoff, ratelimited, drop-oldest/);
  });
});

describe('spill queue', () => {
  it('keeps order across memory, disk segments and the write-behind tail', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spill-'));
    try {
      const size = rec(0).bytes;
      const q = new SpillQueue({ dir, memoryBytes: size * 10, segmentBytes: size * 25 });
      for (let i = 0; i < 100; i++) q.push(rec(i));
      assert.equal(q.lines, 100);
      assert.equal(q.bytes, 100 * size);
      assert.equal(readdirSync(dir).filter((f) => f.endsWith('.seg')).length, 3, '90 spilled lines = 3 segments of 25 + 15 in the tail');
      assert.equal(q.linesOnDisk, 75);
      const out: LogRecord[] = [];
      for (let i = 0; i < 7; i++) q.push(rec(100 + i)); // arrives while draining: must queue behind
      while (q.lines > 0) out.push(...q.take(13, 1e9));
      assert.deepEqual(out.map((r) => r.origin!.seq), Array.from({ length: 107 }, (_, i) => i));
      assert.equal(readdirSync(dir).filter((f) => f.endsWith('.seg')).length, 0, 'segments are deleted once read');
      assert.equal(q.bytes, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works as the storage of a bounded drop-oldest buffer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spill-'));
    try {
      const size = rec(0).bytes;
      const b = new LineBuffer(new SpillQueue({ dir, memoryBytes: size * 2, segmentBytes: size * 3 }), { maxLines: 10, maxBytes: 0, overflow: 'drop-oldest' });
      for (let i = 0; i < 30; i++) b.offer(rec(i));
      assert.equal(b.droppedLines, 20);
      const seqs: number[] = [];
      while (b.lines > 0) {
        seqs.push(...b.take(100, 1e9).map((r) => r.origin!.seq));
        b.complete(true);
      }
      assert.deepEqual(seqs, [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('batches after a failure', () => {
  it('retry the failed batch and top it up from the queue only within the byte cap', () => {
    const size = rec(0).bytes;
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 0, maxBytes: 0, overflow: 'block' });
    for (let i = 0; i < 10; i++) b.offer(rec(i));
    assert.equal(b.take(100, size * 4).length, 4);
    b.complete(false);
    const again = b.take(100, size * 4);
    assert.deepEqual(again.map((r) => r.origin!.seq), [0, 1, 2, 3], 'no fifth line squeezed past the cap');
    b.complete(false);
    assert.deepEqual(b.take(100, size * 6).map((r) => r.origin!.seq), [0, 1, 2, 3, 4, 5]);
  });
});
