// Token bucket for lines: `ratePerSec` tokens accrue continuously up to `burst`; sending n lines costs n.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(readonly ratePerSec: number, readonly burst: number, now: number) {
    if (ratePerSec <= 0) throw new Error('rate must be > 0');
    if (burst < 1) throw new Error('burst must be >= 1');
    this.tokens = burst;
    this.last = now;
  }

  available(now: number): number {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSec) / 1000);
      this.last = now;
    }
    return this.tokens;
  }

  take(n: number, now: number): void {
    this.available(now);
    this.tokens -= n;
  }

  /** Milliseconds until `n` tokens are available (0 if they are now). */
  waitFor(n: number, now: number): number {
    const missing = n - this.available(now);
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.ratePerSec);
  }
}
