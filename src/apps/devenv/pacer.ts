// How many lines are due: the schedule is anchored to a start time, not to the previous tick, so
// timer jitter and stalls (a blocked stdout, a busy CPU) never make the app drift below its rate;
// missed lines are written on the next ticks, at most `maxBurst` per tick.

export class Pacer {
  private anchorMs: number;
  private anchorLines: number;
  private written = 0;

  constructor(private ratePerSec: number, now: number, private readonly maxBurst: number) {
    this.anchorMs = now;
    this.anchorLines = 0;
  }

  get rate(): number {
    return this.ratePerSec;
  }

  get linesWritten(): number {
    return this.written;
  }

  /** Lines the schedule expects by `now` that are not written yet. */
  behind(now: number): number {
    const due = this.anchorLines + Math.floor(((now - this.anchorMs) * this.ratePerSec) / 1000);
    return Math.max(0, due - this.written);
  }

  /** Lines to write in this tick; the caller writes them and calls wrote(). */
  due(now: number): number {
    return Math.min(this.behind(now), this.maxBurst);
  }

  wrote(n: number): void {
    this.written += n;
  }

  /** Changes the rate from now on; lines already behind stay owed. */
  setRate(ratePerSec: number, now: number): void {
    const owed = this.behind(now);
    this.anchorMs = now;
    this.anchorLines = this.written + owed;
    this.ratePerSec = ratePerSec;
  }
}
