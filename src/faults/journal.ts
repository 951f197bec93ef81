// The fault journal is what makes "a fault left behind after a crash" impossible to miss. Every fault is
// written down (and fsynced) BEFORE it is applied, with everything needed to undo it, so that `lab heal`
// can find and heal it from the file alone even when the controller died mid-apply (Chaos Mesh #4827,
// #1884, #3906 are all faults whose undo information lived only in a dead process).
//
// Format: `faults.jsonl` under the caller's state dir, one JSON line per state transition, append-only.
// The current state of a fault is its latest line; nothing is ever rewritten.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { containsSecret, redactText } from '../secrets/secret.ts';
import { utcIso } from '../util/time.ts';

export type FaultState = 'applying' | 'active' | 'healing' | 'healed' | 'heal-failed';

export const FAULT_STATES: readonly FaultState[] = ['applying', 'active', 'healing', 'healed', 'heal-failed'];

/**
 * Allowed transitions. `applying -> healed` is for an apply that failed and was verified to have left
 * nothing behind; `heal-failed -> healing` is a retry (e.g. by `lab heal`).
 */
const NEXT: Record<FaultState, readonly FaultState[]> = {
  applying: ['active', 'healing', 'healed', 'heal-failed'],
  active: ['healing', 'heal-failed'],
  healing: ['healed', 'heal-failed'],
  'heal-failed': ['healing', 'healed'],
  healed: [],
};

/** One line of the journal. */
export interface JournalLine {
  id: string;
  fault: string;
  state: FaultState;
  at: string;
  pid: number;
  /** Process start time (Linux clock ticks since boot) of `pid`, to tell a live owner from a reused pid. */
  pidStart?: number;
  host: string;
  runId: string;
  /** Only on the `applying` line: what the fault needs to be undone without the writer's memory. */
  params?: Record<string, unknown>;
  /** Free detail for the transition (error text, what was verified). */
  info?: Record<string, unknown>;
}

/** The derived view of one fault: its begin line plus its latest transition. */
export interface JournalEntry {
  id: string;
  fault: string;
  params: Record<string, unknown>;
  state: FaultState;
  /** When the current state was entered. */
  at: string;
  /** When the fault was begun. */
  began: string;
  /** The process that began the fault (the one that owns healing it). */
  pid: number;
  pidStart?: number;
  host: string;
  runId: string;
  info?: Record<string, unknown>;
  transitions: { state: FaultState; at: string; pid: number; info?: Record<string, unknown> }[];
}

export interface JournalWarning {
  line: number;
  message: string;
}

export class JournalError extends Error {
  override name = 'JournalError';
}

export const JOURNAL_FILE = 'faults.jsonl';

export class FaultJournal {
  readonly dir: string;
  readonly file: string;
  readonly runId: string;
  #entries = new Map<string, JournalEntry>();
  #warnings: JournalWarning[] = [];

  private constructor(dir: string, runId: string) {
    this.dir = dir;
    this.file = path.join(dir, JOURNAL_FILE);
    this.runId = runId;
  }

  /**
   * Open the journal in `dir` (created if missing) and load its state. `runId` tags the lines this
   * process writes; `lab heal` may open with its own run id and still mark other runs' faults.
   */
  static open(dir: string, opts: { runId?: string } = {}): FaultJournal {
    fs.mkdirSync(dir, { recursive: true });
    const j = new FaultJournal(dir, opts.runId ?? `pid-${process.pid}`);
    j.reload();
    return j;
  }

  /** Re-read the file (another process may have appended). */
  reload(): void {
    const { lines, warnings } = readJournalLines(this.file);
    this.#entries = fold(lines, warnings);
    this.#warnings = warnings;
  }

  get warnings(): readonly JournalWarning[] {
    return this.#warnings;
  }

  /**
   * Record the intent to apply `fault` and return its id. Durable when this returns: call it before
   * touching anything. `params` must hold what healing needs (targets, rule specs), never secrets.
   */
  begin(fault: string, params: Record<string, unknown> = {}): string {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(fault)) throw new JournalError(`fault name ${JSON.stringify(fault)} must be kebab-case`);
    if (containsSecret(params)) throw new JournalError(`refusing to journal ${fault}: params contain a Secret`);
    const id = `${fault}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const line: JournalLine = { ...this.#stamp(id, fault, 'applying'), params: JSON.parse(JSON.stringify(params)) };
    this.#write(line);
    this.reload();
    return id;
  }

  /** Record a transition. Throws on an unknown id or a transition the state machine does not allow. */
  mark(id: string, state: FaultState, info?: Record<string, unknown>): JournalEntry {
    this.reload();
    const entry = this.#entries.get(id);
    if (!entry) throw new JournalError(`no fault ${id} in ${this.file}`);
    if (!FAULT_STATES.includes(state)) throw new JournalError(`unknown fault state ${JSON.stringify(state)}`);
    if (!NEXT[entry.state].includes(state)) {
      throw new JournalError(
        `fault ${id} cannot go from ${entry.state} to ${state}; allowed: ${NEXT[entry.state].join(', ') || '(none, it is healed)'}`,
      );
    }
    if (info && containsSecret(info)) throw new JournalError(`refusing to journal ${id}: info contains a Secret`);
    const line: JournalLine = { ...this.#stamp(id, entry.fault, state), ...(info ? { info: JSON.parse(JSON.stringify(info)) } : {}) };
    this.#write(line);
    this.reload();
    return this.#entries.get(id)!;
  }

  get(id: string): JournalEntry | undefined {
    return this.#entries.get(id);
  }

  /** Every fault ever begun here, in begin order. */
  entries(): JournalEntry[] {
    return [...this.#entries.values()];
  }

  /** Faults whose latest state is not `healed`: what `lab heal` must deal with. */
  unhealed(): JournalEntry[] {
    return this.entries().filter((e) => e.state !== 'healed');
  }

  #stamp(id: string, fault: string, state: FaultState): JournalLine {
    const pidStart = processStartTicks(process.pid);
    return {
      id,
      fault,
      state,
      at: utcIso(),
      pid: process.pid,
      ...(pidStart !== undefined ? { pidStart } : {}),
      host: os.hostname(),
      runId: this.runId,
    };
  }

  #write(line: JournalLine): void {
    appendDurably(this.file, redactText(JSON.stringify(line)) + '\n');
  }
}

/** Append and fsync; if a previous writer died mid-line, start on a fresh line. */
function appendDurably(file: string, text: string): void {
  const fd = fs.openSync(file, 'a+');
  try {
    const size = fs.fstatSync(fd).size;
    let out = text;
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) out = '\n' + text;
    }
    const buf = Buffer.from(out);
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fsyncDir(path.dirname(file));
}

function fsyncDir(dir: string): void {
  // A new file's directory entry must be durable too; not every platform allows opening a dir.
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

/** Parse journal lines, skipping (and reporting) damaged ones such as a torn last line. */
export function readJournalLines(file: string): { lines: JournalLine[]; warnings: JournalWarning[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], warnings: [] };
    throw err;
  }
  const lines: JournalLine[] = [];
  const warnings: JournalWarning[] = [];
  const raw = text.split('\n');
  raw.forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      const obj = JSON.parse(l) as JournalLine;
      if (typeof obj.id !== 'string' || !FAULT_STATES.includes(obj.state)) throw new Error('not a journal line');
      lines.push(obj);
    } catch {
      const torn = i === raw.length - 1;
      warnings.push({
        line: i + 1,
        message: torn ? `last line ${i + 1} is incomplete (writer crashed mid-write); ignored` : `line ${i + 1} is damaged; ignored`,
      });
    }
  });
  return { lines, warnings };
}

function fold(lines: JournalLine[], warnings: JournalWarning[]): Map<string, JournalEntry> {
  const map = new Map<string, JournalEntry>();
  for (const l of lines) {
    let e = map.get(l.id);
    if (!e) {
      if (l.state !== 'applying') {
        // Its begin line was lost: still surface it, since it may be a live fault.
        warnings.push({ line: 0, message: `fault ${l.id} has no 'applying' line; its params are unknown` });
      }
      e = {
        id: l.id,
        fault: l.fault,
        params: l.params ?? {},
        state: l.state,
        at: l.at,
        began: l.at,
        pid: l.pid,
        ...(l.pidStart !== undefined ? { pidStart: l.pidStart } : {}),
        host: l.host,
        runId: l.runId,
        transitions: [],
      };
      map.set(l.id, e);
    }
    e.state = l.state;
    e.at = l.at;
    if (l.info) e.info = l.info;
    else delete e.info;
    e.transitions.push({ state: l.state, at: l.at, pid: l.pid, ...(l.info ? { info: l.info } : {}) });
  }
  return map;
}

// ---- liveness ---------------------------------------------------------------------------------------

/** True if a process with this pid exists (on this host). EPERM means it exists but is not ours. */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Start time of a process in clock ticks since boot (Linux /proc), or undefined where unavailable. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses; fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]); // field 22 overall
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export type Owner = { pid: number; pidStart?: number; host: string };

/**
 * Is the process that wrote this entry (or lock) still running? A different host means we cannot
 * tell, which is reported as 'unknown' so `lab heal` asks before touching it.
 */
export function ownerStatus(owner: Owner): 'alive' | 'dead' | 'unknown' {
  if (owner.host !== os.hostname()) return 'unknown';
  if (!isPidAlive(owner.pid)) return 'dead';
  if (owner.pidStart !== undefined) {
    const now = processStartTicks(owner.pid);
    if (now !== undefined && now !== owner.pidStart) return 'dead'; // pid reused by another process
  }
  return 'alive';
}

/** An unhealed entry is an orphan when its owner is gone: nobody else will heal it. */
export function isOrphan(entry: JournalEntry): boolean {
  return entry.state !== 'healed' && ownerStatus(entry) === 'dead';
}
