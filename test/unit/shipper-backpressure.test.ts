// A bounded blocking buffer that fills must hold its source back without freezing the process: the
// shipper's HTTP server and its flusher share the event loop with the source. Found in real runs: with a
// 4 MiB buffer, every shipper stopped answering (and stopped sending for good) the moment its buffer
// filled during a Kafka cut, because the room it waited for was "below the bound", not "room for the
// record it held", and its offer loop went round in microtasks alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LineBuffer } from '../../src/apps/pipeline/buffer.ts';
import { MemoryQueue } from '../../src/apps/pipeline/queue.ts';
import { makeRecord, type LogRecord } from '../../src/apps/pipeline/record.ts';
import { repoRoot } from '../../src/util/paths.ts';

const rec = (i: number, text = `line-${String(i).padStart(4, '0')}`): LogRecord => makeRecord('p', text, { stream: 's', seq: i, cursor: { off: i } });

describe('LineBuffer.whenRoom(bytes)', () => {
  it('waits until a record of that size fits, not merely until the buffer is under its bound', async () => {
    const size = rec(0).bytes;
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 0, maxBytes: size * 2 + Math.floor(size / 2), overflow: 'block' });
    assert.equal(b.offer(rec(0)), true);
    assert.equal(b.offer(rec(1)), true);
    assert.equal(b.offer(rec(2)), false, 'half a record of room left');
    let woke = false;
    const w = b.whenRoom(size).then(() => (woke = true));
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(woke, false, 'the held record still does not fit');
    b.take(1, Number.MAX_SAFE_INTEGER);
    b.complete(true);
    await w;
    assert.equal(b.offer(rec(2)), true, 'woken only when the offer succeeds');
  });

  it('an empty buffer takes one record larger than its byte bound, so such a line cannot wedge its source', () => {
    const b = new LineBuffer(new MemoryQueue(), { maxLines: 0, maxBytes: 10, overflow: 'block' });
    const big = rec(0, 'x'.repeat(100));
    assert.equal(b.offer(big), true);
    assert.equal(b.offer(rec(1)), false, 'but nothing beside it');
  });
});

describe('FileSource against a full bounded buffer', () => {
  it('holds its file back and leaves the event loop to timers and sockets', () => {
    // In a child process: a frozen event loop would freeze this test runner's timers too.
    const r = spawnSync(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'held-file-source.ts')], { cwd: repoRoot, timeout: 30_000, encoding: 'utf8' });
    assert.equal(r.error, undefined, `the held source froze its process (no answer in 30 s): ${r.error?.message}`);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as { linesWhenFull: number; offersWhileHeld: number; acceptedAfterRoom: number };
    assert.ok(out.linesWhenFull >= 10 && out.linesWhenFull <= 11, `the buffer filled: ${out.linesWhenFull} lines`);
    assert.ok(out.offersWhileHeld <= 10, `a held source retries about once a poll (100 ms), not in a loop: ${out.offersWhileHeld} offers in 500 ms`);
    assert.ok(out.acceptedAfterRoom >= 11, `room for one record let it go on: ${out.acceptedAfterRoom} accepted`);
  });
});
