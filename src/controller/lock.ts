// One controller per state dir: the lock that stops two replays (or a replay and `lab up`, `lab heal`,
// `lab down`) from cutting, healing and deleting the same lab at once.
//
// Why not one lock file: taking over a dead holder's file is "remove, then create exclusively", and two
// contenders that both judged the holder dead can both remove and both create (seen: 2 winners in 1 of 6
// rounds of 4). And a file created empty and written afterwards looks torn to a contender that reads it
// in between, which then takes it over from a live holder.
//
// So the lock is a folder of numbered slots, `controller-lock/<n>.json`, and the slot with the highest
// number is the lock's state: a holder, or `free`. To take the lock, a process reads the highest slot n;
// if it is free, or its holder is dead (or the slot is unreadable, which no live holder leaves: see
// below), it creates slot n+1 exclusively. Exactly one process can create n+1. A slot is written in full
// to a private temp file and then hard-linked to its name, so a slot's name never appears without its
// content. Release adds a `free` slot above. The highest number therefore never goes down (only lower
// slots are ever removed), so a contender that read an old highest slot and created a removed lower
// number finds a higher one when it looks again, and steps back.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ownerStatus, processStartTicks, type Owner } from '../faults/journal.ts';
import { LabError } from '../util/errors.ts';
import { utcIso } from '../util/time.ts';

/** The folder of lock slots under the state dir. */
export const LOCK_DIR = 'controller-lock';
/** The single lock file of earlier versions: honoured while its owner lives, never written. */
export const LEGACY_LOCK_FILE = 'controller.lock';

export interface LockInfo extends Owner {
  runId: string;
  at: string;
  /** The `lab` command holding the lock (replay, up, heal, down, ...), for the one line that names it. */
  command?: string;
}

export function describeHolder(h: LockInfo): string {
  const where = h.host === os.hostname() ? `pid ${h.pid}` : `pid ${h.pid} on host ${h.host}`;
  return `${h.command ? `lab ${h.command}` : 'a controller'} (${where}, run ${h.runId}, since ${h.at})`;
}

export class LockHeldError extends LabError {
  override name = 'LockHeldError';
  constructor(
    readonly holder: LockInfo,
    hint = 'wait for it to finish, or stop it with `npx lab heal` (stops it and heals the network)',
  ) {
    super(`another controller holds the lab: ${describeHolder(holder)}`, hint);
  }
}

export interface LabLock {
  release: () => void;
  /** The dead holder this lock was taken over from: its faults are orphans the caller heals first. */
  stale?: LockInfo;
}

type Slot = { n: number; state: 'free' } | { n: number; state: 'held'; holder: LockInfo } | { n: number; state: 'unreadable' } | { n: number; state: 'gone' };

const SLOT = /^(\d+)\.json$/;
const FREE = '{"free":true}\n';

const slotFile = (lockDir: string, n: number) => path.join(lockDir, `${n}.json`);

/** The slot numbers present, highest last. */
function slotNumbers(lockDir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(lockDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .map((n) => SLOT.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .filter(Number.isSafeInteger)
    .sort((a, b) => a - b);
}

function readSlot(lockDir: string, n: number): Slot {
  let text: string;
  try {
    text = fs.readFileSync(slotFile(lockDir, n), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { n, state: 'gone' };
    throw err;
  }
  return { n, ...parseHolder(text) } as Slot;
}

function parseHolder(text: string): { state: 'free' } | { state: 'held'; holder: LockInfo } | { state: 'unreadable' } {
  try {
    const obj = JSON.parse(text) as Partial<LockInfo> & { free?: boolean };
    if (obj.free === true) return { state: 'free' };
    if (typeof obj.pid === 'number' && typeof obj.host === 'string' && typeof obj.runId === 'string') return { state: 'held', holder: obj as LockInfo };
  } catch {
    /* below */
  }
  return { state: 'unreadable' };
}

/**
 * Create slot n with `text`, or return false when it exists. The text goes to a private temp file first
 * and the slot is a hard link to it: link(2) fails if the name exists and never shows a partial file.
 */
function createSlot(lockDir: string, n: number, text: string): boolean {
  const tmp = path.join(lockDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(tmp, slotFile(lockDir, n));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      throw new LabError(`the lab's lock needs hard links, which ${lockDir} does not allow (${code})`, 'set LAB_STATE_DIR to a folder on a local disk');
    }
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Remove slots below `keep` and temp files a crashed process left. Only the current holder calls it. */
function prune(lockDir: string, keep: number): void {
  for (const n of slotNumbers(lockDir)) if (n < keep) fs.rmSync(slotFile(lockDir, n), { force: true });
  for (const name of fs.readdirSync(lockDir)) {
    if (!name.startsWith('.tmp-')) continue;
    const pid = Number(name.split('-')[1]);
    if (!Number.isInteger(pid) || ownerStatus({ pid, host: os.hostname() }) === 'dead') fs.rmSync(path.join(lockDir, name), { force: true });
  }
}

/** Sleep without giving up the event loop's synchronous section (the lock is taken synchronously). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function legacyHolder(dir: string): LockInfo | undefined {
  try {
    const r = parseHolder(fs.readFileSync(path.join(dir, LEGACY_LOCK_FILE), 'utf8'));
    return r.state === 'held' && ownerStatus(r.holder) !== 'dead' ? r.holder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Take the one-controller-per-state-dir lock, or throw LockHeldError naming the live holder. A lock whose
 * holder is dead is taken over, atomically, and the dead holder returned as `stale` so the caller can heal
 * its faults first. A holder on another host cannot be checked and counts as alive, unless it is `evict`
 * (`lab heal --force`: the user says it is gone).
 */
export function acquireLock(dir: string, runId: string, opts: { command?: string; evict?: LockInfo } = {}): LabLock {
  fs.mkdirSync(dir, { recursive: true });
  const lockDir = path.join(dir, LOCK_DIR);
  fs.mkdirSync(lockDir, { recursive: true, mode: 0o700 });
  const pidStart = processStartTicks(process.pid);
  const mine: LockInfo = {
    pid: process.pid,
    ...(pidStart !== undefined ? { pidStart } : {}),
    host: os.hostname(),
    runId,
    at: utcIso(),
    ...(opts.command ? { command: opts.command } : {}),
  };
  const legacy = legacyHolder(dir);
  if (legacy) throw new LockHeldError(legacy);
  // Each lost race means another process moved the lock on; a handful of contenders settle in a few rounds.
  for (let attempt = 0; attempt < 200; attempt++) {
    const top = slotNumbers(lockDir).at(-1) ?? 0;
    let stale: LockInfo | undefined;
    if (top > 0) {
      const cur = readSlot(lockDir, top);
      if (cur.state === 'gone') continue; // pruned under us: look again
      if (cur.state === 'held') {
        if (ownerStatus(cur.holder) !== 'dead' && !sameHolder(cur.holder, opts.evict)) throw new LockHeldError(cur.holder);
        stale = cur.holder;
      }
      // 'unreadable': slots are linked only once written, so no live holder left it (a disk that lost
      // it in a crash did): it is taken over like a dead holder's.
    }
    const n = top + 1;
    if (!createSlot(lockDir, n, `${JSON.stringify(mine)}\n`)) {
      pause(1 + Math.random() * 4);
      continue;
    }
    // n may be a number pruned long ago that this process re-created from an old view: then a higher
    // slot exists, which this process must not override.
    if ((slotNumbers(lockDir).at(-1) ?? 0) !== n) {
      fs.rmSync(slotFile(lockDir, n), { force: true });
      pause(1 + Math.random() * 4);
      continue;
    }
    prune(lockDir, n);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      // A free slot above ours; if the name is taken, someone already took over (judged us dead) and the
      // lock is theirs: nothing to release.
      if (createSlot(lockDir, n + 1, FREE)) prune(lockDir, n + 1);
    };
    return stale ? { release, stale } : { release };
  }
  throw new LabError(`could not take the lab lock in ${lockDir}: it kept changing hands`, 'retry; if it persists, see who runs `lab` commands on this machine');
}

function sameHolder(a: LockInfo, b: LockInfo | undefined): boolean {
  return b !== undefined && a.pid === b.pid && a.host === b.host && a.runId === b.runId;
}

/** The process that holds (or last held and died holding) the lock, or undefined when it is free. */
export function readLock(dir: string): LockInfo | undefined {
  const legacy = legacyHolder(dir);
  if (legacy) return legacy;
  const lockDir = path.join(dir, LOCK_DIR);
  for (let attempt = 0; attempt < 20; attempt++) {
    const top = slotNumbers(lockDir).at(-1);
    if (top === undefined) return undefined;
    const s = readSlot(lockDir, top);
    if (s.state === 'gone') continue;
    return s.state === 'held' ? s.holder : undefined;
  }
  return undefined;
}

/** The live holder of the lock (alive here, or on another host and so not known dead), if any. */
export function liveHolder(dir: string): LockInfo | undefined {
  const h = readLock(dir);
  return h && ownerStatus(h) !== 'dead' ? h : undefined;
}
