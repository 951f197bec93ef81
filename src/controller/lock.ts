// One controller per state dir: the lock that stops two replays (or a replay and `lab heal`) from
// cutting and healing the same network at once. Its owner is told apart from a reused pid the same
// way the fault journal tells a live fault owner from a dead one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JournalError, ownerStatus, processStartTicks, type Owner } from '../faults/journal.ts';
import { utcIso } from '../util/time.ts';

export const LOCK_FILE = 'controller.lock';

export interface LockInfo extends Owner {
  runId: string;
  at: string;
}

export class LockHeldError extends JournalError {
  override name = 'LockHeldError';
  constructor(readonly holder: LockInfo) {
    super(`another controller (pid ${holder.pid}, run ${holder.runId}, since ${holder.at}) holds the lab lock`);
  }
}

/**
 * Take the one-controller-per-state-dir lock. A lock whose owner is dead is taken over (and the
 * previous holder returned as `stale`, so the caller can heal its faults first).
 */
export function acquireLock(dir: string, runId: string): { release: () => void; stale?: LockInfo } {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const pidStart = processStartTicks(process.pid);
  const mine: LockInfo = {
    pid: process.pid,
    ...(pidStart !== undefined ? { pidStart } : {}),
    host: os.hostname(),
    runId,
    at: utcIso(),
  };
  let stale: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(mine) + '\n');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      const release = () => {
        const cur = readLock(dir);
        if (cur && cur.pid === mine.pid && cur.runId === mine.runId) fs.rmSync(file, { force: true });
      };
      return stale ? { release, stale } : { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(dir);
      if (holder && ownerStatus(holder) !== 'dead') throw new LockHeldError(holder);
      // Dead holder, or a lock file torn by a crash: take it over.
      stale = holder ?? stale;
      fs.rmSync(file, { force: true });
    }
  }
  throw new JournalError(`could not acquire ${file}: it keeps reappearing`);
}

export function readLock(dir: string): LockInfo | undefined {
  try {
    const obj = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockInfo;
    return typeof obj.pid === 'number' ? obj : undefined;
  } catch {
    return undefined;
  }
}
