import { LabError } from './errors.ts';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What we wait for, for the error message. */
  what: string;
  hint?: string;
  onProgress?: (state: string) => void;
}

/**
 * Polls `check` until it returns a value that is not undefined/false. `check` may return a string through
 * onProgress-style state by throwing: the last error is kept for the timeout message.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, o: WaitOptions): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = (err as Error).message;
      o.onProgress?.(last);
    }
    if (Date.now() > deadline) {
      throw new LabError(`timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${o.what}`, o.hint, last ? `last error: ${last}` : undefined);
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 2000));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
