// What each `lab` command does while another controller holds the lab (see README, Troubleshooting):
//   replay, matrix, up, down   refuse with one line naming the holder (down would delete a live run's
//                              cluster and journal, up would reshape it under the run)
//   status                     reads only: names the holder and leaves its faults alone
//   heal                       asks the holder to stop (SIGINT, which a replay answers by healing and
//                              exiting), waits a bounded time, then heals what is left; --force kills a
//                              holder that does not stop in time (or takes over from one on another host)
import * as os from 'node:os';
import { acquireLock, describeHolder, liveHolder, LockHeldError, type LabLock, type LockInfo } from '../controller/lock.ts';
import { isPidAlive, ownerStatus } from '../faults/journal.ts';
import { LabError } from '../util/errors.ts';
import { stateDir } from '../util/paths.ts';
import { fileStamp } from '../util/time.ts';
import { info } from '../ui/progress.ts';

export const WHILE_RUNNING_HINT = 'wait for it to finish, or stop it with `npx lab heal` (it heals the network and exits)';

/** Take the lab for `command`, or refuse naming the live holder. */
export function holdLab(command: string, opts: { hint?: string; evict?: LockInfo } = {}): LabLock {
  try {
    return acquireLock(stateDir, `${command}-${fileStamp()}`, { command, ...(opts.evict ? { evict: opts.evict } : {}) });
  } catch (err) {
    if (err instanceof LockHeldError) throw new LockHeldError(err.holder, opts.hint ?? WHILE_RUNNING_HINT);
    throw err;
  }
}

/** Run `fn` holding the lab; the lock is released however `fn` ends. */
export async function withLab<T>(command: string, fn: () => Promise<T>, opts: { hint?: string } = {}): Promise<T> {
  const lock = holdLab(command, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** Refuse before any slow or outward work when a controller runs; the command takes the lock itself later. */
export function refuseWhileRunning(hint = WHILE_RUNNING_HINT): void {
  const h = liveHolder(stateDir);
  if (h) throw new LockHeldError(h, hint);
}

/** The controller holding the lab right now, if any. */
export function runningController(): LockInfo | undefined {
  return liveHolder(stateDir);
}

/** Commands that are asked to stop; the others (heal, down, status) are finishing their own work and are waited for. */
const STOPPABLE = new Set(['replay', 'up', undefined]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * For `lab heal`: make the lab free of any running controller, then hold it. A controller on this host is
 * sent SIGINT (a replay heals and exits on it) and waited for up to `waitMs`; with `force`, one that is
 * still there is killed (SIGKILL: its faults are then orphans this heal undoes from the journal), and
 * one on another host, which cannot be signalled or checked from here, is taken over.
 * The lock is released when the process exits.
 */
export async function takeLabForHeal(opts: { waitMs: number; force: boolean }): Promise<LabLock> {
  const holder = runningController();
  let evict: LockInfo | undefined;
  if (holder) {
    const what = describeHolder(holder);
    if (holder.host !== os.hostname()) {
      if (!opts.force) {
        throw new LabError(
          `${what} holds the lab and runs on another host: it cannot be stopped from here`,
          'stop it on its host (Ctrl-C heals and exits), or, only if you know it is gone, `npx lab heal --force` takes the lab over from it',
        );
      }
      info(`▶ ${what} holds the lab from another host: taking over (--force)`);
      evict = holder;
    } else {
      if (STOPPABLE.has(holder.command)) {
        info(`▶ ${what} holds the lab: asking it to stop and heal (SIGINT), waiting up to ${Math.round(opts.waitMs / 1000)} s…`);
        signal(holder.pid, 'SIGINT');
      } else {
        info(`▶ ${what} holds the lab: waiting up to ${Math.round(opts.waitMs / 1000)} s for it to finish…`);
      }
      const started = Date.now();
      while (Date.now() - started < opts.waitMs && isStill(holder)) await sleep(250);
      if (isStill(holder)) {
        if (!opts.force) {
          throw new LabError(
            `${what} did not stop within ${Math.round(opts.waitMs / 1000)} s; nothing was healed`,
            `wait longer with \`npx lab heal --wait <seconds>\`, or \`npx lab heal --force\` kills it (SIGKILL) and heals its faults from the journal`,
          );
        }
        info(`▶ it is still running: killing it (--force); its faults are healed from the journal`);
        signal(holder.pid, 'SIGKILL');
        const killed = Date.now();
        while (Date.now() - killed < 10_000 && isPidAlive(holder.pid)) await sleep(100);
      } else {
        info(`✔ ${holder.command ? `lab ${holder.command}` : 'the controller'} stopped after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    }
  }
  const lock = holdLab('heal', {
    hint: 'another controller took the lab in the meantime: run `npx lab heal` again',
    ...(evict ? { evict } : {}),
  });
  process.once('exit', lock.release);
  return lock;
}

/** `lab heal`'s --wait and --force. */
export function healLockOptions(v: Record<string, unknown>): { waitMs: number; force: boolean } {
  const wait = Number(v.wait);
  if (!Number.isFinite(wait) || wait < 0 || wait > 3600) throw new LabError(`--wait must be a number of seconds from 0 to 3600, got "${String(v.wait)}"`);
  return { waitMs: wait * 1000, force: v.force === true };
}

/** The holder still holds the lab: alive, and the lock still names it. */
function isStill(holder: LockInfo): boolean {
  const now = runningController();
  return now !== undefined && now.pid === holder.pid && now.runId === holder.runId && ownerStatus(holder) === 'alive';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    // Gone already: nothing to stop. Not ours (EPERM): say so instead of a stack trace.
    if ((err as NodeJS.ErrnoException).code === 'EPERM') throw new LabError(`cannot signal pid ${pid}: it belongs to another user`, 'stop it as that user');
  }
}
