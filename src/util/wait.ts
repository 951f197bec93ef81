import { LabError } from './errors.ts';
import { abortableSleep, currentSignal, throwIfInterrupted, whenAborted } from './interrupt.ts';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What we wait for, for the error message. */
  what: string;
  hint?: string;
  onProgress?: (state: string) => void;
  /** Ends the wait at once by throwing its reason; by default the scope's Ctrl-C/SIGTERM signal (util/interrupt.ts). */
  signal?: AbortSignal;
}

/**
 * Polls `check` until it returns a value that is not undefined/false. `check` may return a string through
 * onProgress-style state by throwing: the last error is kept for the timeout message. An abort ends the
 * wait at once, even in the middle of a check that hangs.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, o: WaitOptions): Promise<T> {
  const signal = o.signal ?? currentSignal();
  const aborted = whenAborted(signal);
  aborted.catch(() => undefined);
  const deadline = Date.now() + o.timeoutMs;
  let last = '';
  for (;;) {
    throwIfInterrupted(signal);
    try {
      const v = await Promise.race([check(), aborted]);
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      throwIfInterrupted(signal);
      last = (err as Error).message;
      o.onProgress?.(last);
    }
    if (Date.now() > deadline) {
      throw new LabError(`timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${o.what}`, o.hint, last ? `last error: ${last}` : undefined);
    }
    await abortableSleep(o.intervalMs ?? 2000, signal);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
