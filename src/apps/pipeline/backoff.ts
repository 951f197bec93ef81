// Jittered exponential backoff ("equal jitter"): the n-th consecutive failure waits a random time in
// [d/2, d] where d = min(max, initial * 2^(n-1)). Half of it is guaranteed, so a fleet of shippers
// still spreads out, and half is random, so they do not retry in lockstep when Kafka comes back.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** false: wait exactly the ceiling, so a fleet retries in lockstep (for comparing against jitter). */
  jitter?: boolean;
}

export class Backoff {
  private failures = 0;

  constructor(private readonly opts: BackoffOptions, private readonly random: () => number = Math.random) {}

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** The ceiling d for the next delay after `failures` consecutive failures. */
  ceiling(failures: number): number {
    if (failures <= 0) return 0;
    const exp = Math.min(failures - 1, 52);
    return Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** exp);
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  fail(): number {
    this.failures++;
    const d = this.ceiling(this.failures);
    if (this.opts.jitter === false) return d;
    return d / 2 + this.random() * (d / 2);
  }

  reset(): void {
    this.failures = 0;
  }
}
