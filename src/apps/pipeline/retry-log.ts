// A shipper's own account of failed flushes, written to stdout the way fluentd ("failed to flush the
// buffer") and filebeat ("Failed to publish events") do. The container runtime copies stdout like any
// log line, so a fleet of shippers retrying against a dead Kafka is itself a log flood through the
// runtime: the retry storm the scenario's `shipper.retryLog` sets the size of. Diagnostics stay on
// stderr (log.ts); this is the part a runtime of 2019 saw. Node writes to a pipe synchronously on Linux,
// so a runtime slow to drain stdout slows the retry loop too, as it would have slowed a 2019 shipper.
import { LogThrottle } from '../lib/log.ts';

export type RetryLogMode = 'every' | 'throttled' | 'off';

export interface FailedFlush {
  error: string;
  /** Lines in the batch that failed. */
  lines: number;
  /** Lines buffered now, the failed batch included. */
  buffered: number;
  /** Consecutive failed attempts, this one included. */
  retry: number;
}

/** `throttled`: like the stderr diagnostics, one line per error and interval with a count of the rest. */
export const THROTTLE_MS = 5_000;

export class RetryLog {
  private readonly throttle: LogThrottle;

  constructor(
    readonly mode: RetryLogMode,
    private readonly app: string,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
    private readonly now: () => number = Date.now,
  ) {
    this.throttle = new LogThrottle(THROTTLE_MS, now);
  }

  failed(f: FailedFlush): void {
    if (this.mode === 'off') return;
    let suppressed: number | undefined;
    if (this.mode === 'throttled') {
      suppressed = this.throttle.pass(f.error);
      if (suppressed === undefined) return;
    }
    const entry = {
      ts: new Date(this.now()).toISOString(),
      level: 'warn',
      app: this.app,
      msg: 'failed to flush the buffer, retrying',
      retry: f.retry,
      lines: f.lines,
      buffered: f.buffered,
      error: f.error,
      ...(suppressed !== undefined ? { suppressed } : {}),
    };
    this.write(JSON.stringify(entry) + '\n');
  }
}
