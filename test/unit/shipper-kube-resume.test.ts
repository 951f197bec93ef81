import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeTs, Resume, sinceTimeOf } from '../../src/apps/shipper/kube-resume.ts';

describe('kubelet log timestamps', () => {
  it('normalises trimmed RFC3339Nano so string order is time order', () => {
    const a = normalizeTs('2024-05-01T10:00:00.1Z')!;
    const b = normalizeTs('2024-05-01T10:00:00.12Z')!;
    const c = normalizeTs('2024-05-01T10:00:00Z')!;
    assert.equal(a, '2024-05-01T10:00:00.100000000Z');
    assert.ok(c < a && a < b);
    assert.ok('2024-05-01T10:00:00.1Z' > '2024-05-01T10:00:00.12Z', 'raw strings would sort wrongly');
    assert.equal(normalizeTs('not a time'), null);
    assert.equal(sinceTimeOf(b), '2024-05-01T10:00:00Z');
  });
});

describe('resuming after a reconnect', () => {
  it('skips what was read, including lines sharing the last timestamp', () => {
    const r = new Resume(null);
    const t1 = normalizeTs('2024-05-01T10:00:00.5Z')!;
    const t2 = normalizeTs('2024-05-01T10:00:00.7Z')!;
    const t3 = normalizeTs('2024-05-01T10:00:01Z')!;
    assert.deepEqual([t1, t2, t2].map((t) => r.accept(t)), [true, true, true]);
    // The stream drops; the kubelet replays from the start of the second.
    r.reconnect();
    assert.deepEqual([t1, t2, t2, t2, t3].map((t) => r.accept(t)), [false, false, false, true, true]);
    assert.deepEqual(r.last, { ts: t3, n: 1 });
  });

  it('takes a line stamped earlier than the one before it once past the resume point (stdout and stderr are copied apart)', () => {
    const t = (ms: number) => normalizeTs(`2024-05-01T10:00:00.${String(ms).padStart(3, '0')}Z`)!;
    const r = new Resume(null);
    // stderr's 0.150 written after stdout's 0.200: new, and the resume point stays at 0.200.
    assert.deepEqual([t(100), t(200), t(150), t(300)].map((x) => r.accept(x)), [true, true, true, true]);
    assert.deepEqual(r.last, { ts: t(300), n: 1 });
    const s = new Resume({ ts: t(200), n: 1 });
    // Re-read from 0.200: skipped until past it, then the out-of-order line is new.
    assert.deepEqual([t(200), t(150), t(250), t(220)].map((x) => s.accept(x)), [false, false, true, true]);
    assert.deepEqual(s.last, { ts: t(250), n: 1 });
    // A reconnect starts skipping again.
    s.reconnect();
    assert.deepEqual([t(220), t(250), t(260)].map((x) => s.accept(x)), [false, false, true]);
  });

  it('starts from a saved position', () => {
    const t = normalizeTs('2024-05-01T10:00:00.5Z')!;
    const r = new Resume({ ts: t, n: 2 });
    assert.deepEqual([t, t, t].map((x) => r.accept(x)), [false, false, true]);
  });
});
