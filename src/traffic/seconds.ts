// Buckets requests by the second they were *scheduled* in, so a second's record says what users who
// asked in that second got, however long the answer took, and a generator that fell behind never piles
// late requests onto the second it caught up in. A second is emitted once it is over and none of its
// requests is still in flight, so a record is never revised.
import type { TrafficErrorClass, TrafficRecord } from '../history/records.ts';
import type { Verdict } from './classify.ts';
import { percentile } from './percentile.ts';

type Second = Omit<TrafficRecord, 'ts' | 'seq' | 'type' | 'source' | 'p50Ms' | 'p99Ms' | 'maxMs' | 'skipped'> & { inFlight: number; okMs: number[]; skipped: number };
export type TrafficSecond = Omit<TrafficRecord, 'seq' | 'source'>;

export class SecondBuckets {
  readonly #open = new Map<number, Second>();

  constructor(private readonly target?: string) {}

  #bucket(atMs: number): Second {
    const key = Math.floor(atMs / 1000);
    let b = this.#open.get(key);
    if (!b) {
      b = { sent: 0, ok: 0, errors: {}, inFlight: 0, okMs: [], skipped: 0 };
      this.#open.set(key, b);
    }
    return b;
  }

  /** A request scheduled for `scheduledMs` was started; returns the function that records how it ended. */
  start(scheduledMs: number): (verdict: Verdict, ms: number) => void {
    const bucket = this.#bucket(scheduledMs);
    bucket.inFlight++;
    let done = false;
    return (verdict, ms) => {
      if (done) return;
      done = true;
      bucket.inFlight--;
      bucket.sent++;
      if (verdict === 'ok') {
        bucket.ok++;
        bucket.okMs.push(ms);
      } else {
        const cls: TrafficErrorClass = verdict;
        bucket.errors[cls] = (bucket.errors[cls] ?? 0) + 1;
      }
    };
  }

  /** A request scheduled for `scheduledMs` was never sent: the generator could not start it in time. */
  skip(scheduledMs: number): void {
    this.#bucket(scheduledMs).skipped++;
  }

  /** Seconds that are over (before `nowMs`) and complete; `all` also takes those with requests pending. */
  take(nowMs: number, all = false): TrafficSecond[] {
    const out: TrafficSecond[] = [];
    for (const key of [...this.#open.keys()].sort((a, b) => a - b)) {
      const b = this.#open.get(key)!;
      if (!all && ((key + 1) * 1000 > nowMs || b.inFlight > 0)) continue;
      this.#open.delete(key);
      out.push({
        type: 'traffic',
        ts: new Date(key * 1000).toISOString(),
        sent: b.sent,
        ok: b.ok,
        errors: b.errors,
        ...(b.skipped ? { skipped: b.skipped } : {}),
        ...(b.okMs.length ? { p50Ms: percentile(b.okMs, 50), p99Ms: percentile(b.okMs, 99), maxMs: Math.max(...b.okMs) } : {}),
        ...(this.target ? { target: this.target } : {}),
      });
    }
    return out;
  }
}
