import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLine } from '../../src/apps/devenv/line.ts';
import { Pacer } from '../../src/apps/devenv/pacer.ts';

describe('dev-env pacing', () => {
  it('keeps the average rate despite irregular ticks (no drift)', () => {
    const p = new Pacer(1000, 0, 100_000);
    let t = 0;
    for (let i = 0; i < 1000; i++) {
      t += 7 + (i % 5) * 13; // jittery timer
      p.wrote(p.due(t));
    }
    assert.equal(p.linesWritten, Math.floor(t));
  });

  it('catches up after a stall in bounded bursts', () => {
    const p = new Pacer(100, 0, 50);
    assert.equal(p.due(10_000), 50);
    p.wrote(50);
    assert.equal(p.behind(10_000), 950);
    let ticks = 0;
    while (p.behind(10_000) > 0) {
      p.wrote(p.due(10_000));
      ticks++;
    }
    assert.equal(ticks, 19);
    assert.equal(p.linesWritten, 1000);
  });

  it('changes rate without losing owed lines', () => {
    const p = new Pacer(10, 0, 1_000);
    p.wrote(5); // 5 of 10 written after 1 s
    p.setRate(100, 1_000);
    assert.equal(p.behind(1_000), 5);
    assert.equal(p.behind(2_000), 105);
  });
});

describe('dev-env log line', () => {
  it('is JSON with pod and seq, padded to the requested size', () => {
    const line = formatLine('devenv-1', 42, Date.UTC(2024, 4, 1), 200);
    assert.equal(Buffer.byteLength(line), 200);
    const o = JSON.parse(line) as { pod: string; seq: number; ts: string };
    assert.equal(o.pod, 'devenv-1');
    assert.equal(o.seq, 42);
    assert.equal(o.ts, '2024-05-01T00:00:00.000Z');
    assert.ok(Buffer.byteLength(formatLine('p', 1, 0, 10)) > 10, 'never cut: minimal line is longer than tiny targets');
  });
});
