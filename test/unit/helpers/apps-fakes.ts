// Fakes shared by the apps' unit tests: virtual time, a scripted sink, a recording emitter.
import type { Clock } from '../../../src/apps/lib/clock.ts';
import { createLogger, type Logger } from '../../../src/apps/lib/log.ts';
import type { LogRecord } from '../../../src/apps/pipeline/record.ts';
import type { Sink } from '../../../src/apps/pipeline/sink.ts';

/** Virtual time that jumps forward whenever someone sleeps: loops run instantly and deterministically. */
export class VirtualClock implements Clock {
  constructor(public t = 1_000_000) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.t += Math.max(0, ms);
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** A Kafka stand-in: down while `down(now)` is true; each call costs `latencyMs` of virtual time. */
export class ScriptedSink implements Sink {
  readonly delivered: LogRecord[] = [];
  readonly attempts: Array<{ at: number; lines: number; ok: boolean }> = [];
  constructor(private readonly clock: VirtualClock, private readonly down: (now: number) => boolean = () => false, private readonly latencyMs = 1) {}
  async send(records: readonly LogRecord[]): Promise<void> {
    const at = this.clock.now();
    this.clock.t += this.latencyMs;
    const ok = !this.down(at);
    this.attempts.push({ at, lines: records.length, ok });
    await Promise.resolve();
    if (!ok) throw new Error('ECONNREFUSED');
    this.delivered.push(...records);
  }
  async close(): Promise<void> {}
}

export const quietLog: Logger = createLogger('test', { level: 'error', write: () => undefined });

/** Deterministic stand-in for Math.random. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
