// The I/O loop around a policy: wait for data, ask the policy, send a batch through the sink, report
// the outcome. One batch in flight at a time keeps acknowledgements in order, which the sources rely
// on to remember how far they got.
import type { Clock } from '../lib/clock.ts';
import { errorMessage, LogThrottle, type Logger } from '../lib/log.ts';
import type { LineBuffer } from './buffer.ts';
import type { FlushPolicy } from './policy.ts';
import type { RetryLog } from './retry-log.ts';
import type { Sink } from './sink.ts';

export interface FlushStats {
  sendAttempts: number;
  sendErrors: number;
  linesSent: number;
  bytesSent: number;
  lastError: string | null;
  lastErrorAt: number | null;
  lastSuccessAt: number | null;
  /** null until the first attempt. */
  reachable: boolean | null;
  /** Duration of the last attempt, ms. */
  lastSendMs: number;
}

export class Flusher {
  readonly stats: FlushStats = {
    sendAttempts: 0,
    sendErrors: 0,
    linesSent: 0,
    bytesSent: 0,
    lastError: null,
    lastErrorAt: null,
    lastSuccessAt: null,
    reachable: null,
    lastSendMs: 0,
  };
  private stopping = false;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private readonly throttle = new LogThrottle(5_000);
  private failuresInARow = 0;

  constructor(
    private readonly buffer: LineBuffer,
    private readonly policy: FlushPolicy,
    private readonly sink: Sink,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly retryLog?: RetryLog,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Keeps flushing for up to `drainMs` (so a SIGTERM does not lose what Kafka could still take), then stops. */
  async stop(drainMs: number): Promise<void> {
    const deadline = this.clock.now() + drainMs;
    while (this.buffer.lines > 0 && this.clock.now() < deadline && this.stats.reachable !== false) {
      await this.clock.sleep(50);
    }
    this.stopping = true;
    this.abort.abort();
    this.buffer.wakeAll();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (this.buffer.waitingLines === 0) {
        await this.buffer.whenData();
        continue;
      }
      const decision = this.policy.next(this.clock.now(), this.buffer.waitingLines);
      if (decision.kind === 'wait') {
        await this.clock.sleep(decision.ms, this.abort.signal);
        continue;
      }
      const ok = await this.attempt(decision.maxLines, decision.maxBytes);
      // A tight retry loop (naive) must still let the HTTP server and the sources run.
      if (!ok) await new Promise<void>((r) => setImmediate(r));
    }
  }

  private async attempt(maxLines: number, maxBytes: number): Promise<boolean> {
    const batch = this.buffer.take(maxLines, maxBytes);
    const started = this.clock.now();
    this.stats.sendAttempts++;
    let ok = false;
    try {
      await this.sink.send(batch);
      ok = true;
    } catch (e) {
      const msg = errorMessage(e);
      this.stats.sendErrors++;
      this.failuresInARow++;
      this.retryLog?.failed({ error: msg, lines: batch.length, buffered: this.buffer.lines, retry: this.failuresInARow });
      this.stats.lastError = msg;
      this.stats.lastErrorAt = this.clock.now();
      const suppressed = this.throttle.pass(msg);
      if (suppressed !== undefined) this.log.warn('send failed', { error: msg, lines: batch.length, suppressed, buffered: this.buffer.lines });
    }
    const now = this.clock.now();
    this.stats.lastSendMs = now - started;
    this.buffer.complete(ok);
    this.policy.onResult(now, batch.length, ok);
    if (ok) {
      this.failuresInARow = 0;
      if (this.stats.reachable === false) this.log.info('kafka reachable again', { buffered: this.buffer.lines });
      this.stats.linesSent += batch.length;
      for (const r of batch) this.stats.bytesSent += r.bytes;
      this.stats.lastSuccessAt = now;
    } else if (this.stats.reachable !== false) {
      this.log.warn('kafka unreachable, buffering', { buffered: this.buffer.lines });
    }
    this.stats.reachable = ok;
    return ok;
  }
}
