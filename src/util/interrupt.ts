import { AsyncLocalStorage } from 'node:async_hooks';
import { LabError } from './errors.ts';

/**
 * Ctrl-C and SIGTERM as an AbortSignal. A command runs inside `interruptible`: the first signal aborts
 * every wait and external command started in that scope (`waitFor`, `run`, `docker` pick the scope's
 * signal up by themselves), the command unwinds through its `finally` blocks, and cleanups that must
 * finish (heal, stop the recorder, remove a half-made cluster) run inside `uninterruptible`.
 */
export class Interrupted extends LabError {
  constructor(
    readonly signalName: NodeJS.Signals,
    /** Where it stopped, e.g. `lab up, step "create clusters"`. */
    readonly where?: string,
  ) {
    super(`stopped by ${signalName === 'SIGINT' ? 'Ctrl-C (SIGINT)' : signalName}${where ? ` during ${where}` : ''}`);
    this.name = 'Interrupted';
  }

  /** The shell's convention for a process ended by a signal. */
  get exitCode(): number {
    return this.signalName === 'SIGINT' ? 130 : 143;
  }
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
const scope = new AsyncLocalStorage<{ signal: AbortSignal | undefined }>();
let received: NodeJS.Signals | undefined;
let active: { controller: AbortController; users: number; handlers: Map<NodeJS.Signals, () => void> } | undefined;

function install(): NonNullable<typeof active> {
  const controller = new AbortController();
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of SIGNALS) {
    const h = () => {
      if (controller.signal.aborted) {
        process.stderr.write(`\n${sig} again: still undoing what was begun; it ends by itself in a few seconds\n`);
        return;
      }
      received = sig;
      process.stderr.write(`\n${sig}: stopping and undoing what was begun…\n`);
      controller.abort(new Interrupted(sig));
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  return { controller, users: 0, handlers };
}

/** Runs `fn` with SIGINT/SIGTERM turned into its abort signal (nested calls share one). */
export async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  active ??= install();
  const mine = active;
  mine.users++;
  try {
    const signal = mine.controller.signal;
    return await scope.run({ signal }, () => fn(signal));
  } finally {
    if (--mine.users === 0) {
      for (const [sig, h] of mine.handlers) process.off(sig, h);
      if (active === mine) active = undefined;
    }
  }
}

/** The signal this process was interrupted by, if any. */
export function interruptedBy(): NodeJS.Signals | undefined {
  return received;
}

/** Runs `fn` out of reach of the abort signal: for the cleanups an interrupted command must still finish. */
export function uninterruptible<T>(fn: () => Promise<T>): Promise<T> {
  return scope.run({ signal: undefined }, fn);
}

/** The abort signal of the current scope, if any: what waits and commands use when not given one. */
export function currentSignal(): AbortSignal | undefined {
  return scope.getStore()?.signal;
}

/** Throws the interruption if the signal (by default the scope's) has fired. */
export function throwIfInterrupted(signal: AbortSignal | undefined = currentSignal()): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** What an aborted wait throws: the Interrupted error, or a LabError for another kind of abort. */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new LabError(`aborted${r === undefined ? '' : `: ${String(r)}`}`);
}

/** Settles when the signal fires (never without one); for racing a step that cannot be aborted itself. */
export function whenAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) return reject(abortReason(signal));
    signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
  });
}

/** A sleep that an abort cuts short by throwing. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined = currentSignal()): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(abortReason(signal!));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** For a `.catch` that tolerates a failed wait but must not swallow an interruption. */
export function unlessInterrupted<T>(fallback: (err: unknown) => T): (err: unknown) => T {
  return (err) => {
    if (err instanceof Interrupted) throw err;
    return fallback(err);
  };
}
