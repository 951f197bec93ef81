// Flush modes as pure policies: given the clock and the buffer, say whether to send (and how much) or
// wait (and how long); learn from each attempt's outcome. No I/O here, so each mode's behaviour is
// tested with a fake clock and a fake random source.
import { Backoff, type BackoffOptions } from './backoff.ts';
import type { Overflow } from './buffer.ts';
import { TokenBucket } from './token-bucket.ts';

export const MODES = ['naive', 'backoff', 'ratelimited', 'drop-oldest'] as const;
export type Mode = (typeof MODES)[number];

export type Decision = { readonly kind: 'send'; readonly maxLines: number; readonly maxBytes: number } | { readonly kind: 'wait'; readonly ms: number };

export interface FlushPolicy {
  readonly mode: Mode;
  /** What the buffer does with a new line when it is full. */
  readonly overflow: Overflow;
  /** Called only when lines are waiting. */
  next(now: number, waitingLines: number): Decision;
  /** The outcome of an attempt of `lines` lines. */
  onResult(now: number, lines: number, ok: boolean): void;
}

export interface BatchLimits {
  maxLines: number;
  maxBytes: number;
}

/**
 * The 2019 behaviour: everything as fast as possible in the largest batches Kafka accepts, and on
 * failure an immediate retry (a tight loop while Kafka is down).
 */
export class NaivePolicy implements FlushPolicy {
  readonly mode = 'naive';
  readonly overflow = 'block';
  constructor(private readonly batch: BatchLimits) {}
  next(_now: number, _waitingLines: number): Decision {
    return { kind: 'send', maxLines: this.batch.maxLines, maxBytes: this.batch.maxBytes };
  }
  onResult(_now: number, _lines: number, _ok: boolean): void {}
}

/** Normal batches; after failures, jittered exponential backoff; after a success, full speed again. */
export class BackoffPolicy implements FlushPolicy {
  readonly mode: Mode = 'backoff';
  readonly overflow: Overflow = 'block';
  private readonly backoff: Backoff;
  private retryAt = 0;

  constructor(protected readonly batch: BatchLimits, backoff: BackoffOptions, random: () => number = Math.random) {
    this.backoff = new Backoff(backoff, random);
  }

  next(now: number, _waitingLines?: number): Decision {
    if (now < this.retryAt) return { kind: 'wait', ms: this.retryAt - now };
    return { kind: 'send', maxLines: this.batch.maxLines, maxBytes: this.batch.maxBytes };
  }

  onResult(now: number, _lines: number, ok: boolean): void {
    if (ok) {
      this.backoff.reset();
      this.retryAt = 0;
    } else {
      this.retryAt = now + this.backoff.fail();
    }
  }
}

/**
 * Backoff on failure plus a token bucket on lines sent, so a recovering shipper drains its backlog at a
 * fixed rate instead of all at once. Tokens are spent on attempts, not only successes: the bucket
 * limits the load we put on the path, whatever the outcome.
 */
export class RateLimitedPolicy implements FlushPolicy {
  readonly mode = 'ratelimited';
  readonly overflow = 'block';
  private readonly inner: BackoffPolicy;
  private readonly bucket: TokenBucket;

  constructor(
    private readonly batch: BatchLimits,
    backoff: BackoffOptions,
    rate: { linesPerSec: number; burst: number },
    now: number,
    random: () => number = Math.random,
  ) {
    this.inner = new BackoffPolicy(batch, backoff, random);
    this.bucket = new TokenBucket(rate.linesPerSec, rate.burst, now);
  }

  next(now: number, waitingLines: number): Decision {
    const d = this.inner.next(now);
    if (d.kind === 'wait') return d;
    // Wait for enough tokens to send a worthwhile batch rather than dribbling single lines.
    const want = Math.max(1, Math.min(waitingLines, this.batch.maxLines, Math.floor(this.bucket.burst)));
    const wait = this.bucket.waitFor(want, now);
    if (wait > 0) return { kind: 'wait', ms: wait };
    const allowed = Math.floor(this.bucket.available(now));
    return { kind: 'send', maxLines: Math.min(this.batch.maxLines, allowed), maxBytes: this.batch.maxBytes };
  }

  onResult(now: number, lines: number, ok: boolean): void {
    this.bucket.take(lines, now);
    this.inner.onResult(now, lines, ok);
  }
}

/** Backoff like `backoff`, with a bounded buffer that evicts its oldest lines when full. */
export class DropOldestPolicy extends BackoffPolicy {
  override readonly mode = 'drop-oldest';
  override readonly overflow = 'drop-oldest';
}

export interface PolicyConfig {
  mode: Mode;
  batch: BatchLimits;
  backoff: BackoffOptions;
  rate: { linesPerSec: number; burst: number };
}

export function createPolicy(cfg: PolicyConfig, now: number, random: () => number = Math.random): FlushPolicy {
  switch (cfg.mode) {
    case 'naive':
      return new NaivePolicy(cfg.batch);
    case 'backoff':
      return new BackoffPolicy(cfg.batch, cfg.backoff, random);
    case 'ratelimited':
      return new RateLimitedPolicy(cfg.batch, cfg.backoff, cfg.rate, now, random);
    case 'drop-oldest':
      return new DropOldestPolicy(cfg.batch, cfg.backoff, random);
  }
}
