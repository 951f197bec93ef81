// One writer per history file. Appends are ordered by call order (seq is assigned synchronously) and
// buffered, because watchers can emit bursts of hundreds of records a second during the flood. The
// buffer is flushed with synchronous writes at least every `flushEveryMs`, when it grows past
// `maxBufferBytes`, and on close / flushSync / process exit, so a crash loses at most what a SIGKILL
// interrupts. A failed write keeps the lines buffered and retries: records are never dropped silently.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { containsSecret, redactText } from '../secrets/secret.ts';
import { utcIso } from '../util/time.ts';
import type { HistoryRecord, RecordInput } from './records.ts';
import { isRecordType } from './records.ts';

export class HistoryError extends Error {
  override name = 'HistoryError';
}

export interface HistoryWriterOptions {
  /** Upper bound on how long an appended record may sit in memory. Default 250 ms. */
  flushEveryMs?: number;
  /** Flush immediately once this many bytes are pending. Default 64 KiB. */
  maxBufferBytes?: number;
  /** Clock for records without `ts`; tests pin it. */
  now?: () => number;
  /** Called when a write fails (the data stays buffered and is retried on the next flush). */
  onError?: (err: Error) => void;
  /** fsync on every flush, not only on close. Off by default: the page cache survives a process crash. */
  fsyncEachFlush?: boolean;
}

export type RecordListener = (record: Readonly<HistoryRecord>) => void;

export class HistoryWriter {
  readonly path: string;
  #fd: number | null;
  #seq: number;
  #count = 0;
  #pending: string[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  #listeners = new Set<RecordListener>();
  #lastError: Error | null = null;
  readonly #opts: Required<Omit<HistoryWriterOptions, 'onError'>> & Pick<HistoryWriterOptions, 'onError'>;
  readonly #onExit = () => this.flushSync();

  private constructor(file: string, fd: number, startSeq: number, opts: HistoryWriterOptions) {
    this.path = file;
    this.#fd = fd;
    this.#seq = startSeq;
    this.#opts = {
      flushEveryMs: opts.flushEveryMs ?? 250,
      maxBufferBytes: opts.maxBufferBytes ?? 64 * 1024,
      now: opts.now ?? Date.now,
      fsyncEachFlush: opts.fsyncEachFlush ?? false,
      onError: opts.onError,
    };
    process.on('exit', this.#onExit);
  }

  /**
   * Open (or create) a history for appending. Reopening an existing history continues its `seq` and,
   * if the previous writer died mid-line, starts on a fresh line so the torn record stays isolated.
   */
  static open(file: string, opts: HistoryWriterOptions = {}): HistoryWriter {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const { lastSeq, endsWithNewline } = inspectTail(file);
    const fd = fs.openSync(file, 'a');
    if (!endsWithNewline) writeAllSync(fd, '\n');
    return new HistoryWriter(file, fd, lastSeq, opts);
  }

  /** Records appended by this writer (not counting those already in a reopened file). */
  get count(): number {
    return this.#count;
  }

  get lastSeq(): number {
    return this.#seq;
  }

  get pendingRecords(): number {
    return this.#pending.length;
  }

  get closed(): boolean {
    return this.#fd === null;
  }

  /**
   * Stamp and queue a record; returns it as it will be written. Throws (and writes nothing) when the
   * record holds a `Secret` or is malformed: those are bugs in the caller, not data.
   */
  append(input: RecordInput): HistoryRecord {
    if (this.#fd === null) throw new HistoryError(`history ${this.path} is closed`);
    if (!input || typeof input !== 'object' || !isRecordType((input as { type?: unknown }).type)) {
      throw new HistoryError(`refusing record without a known type: ${JSON.stringify((input as { type?: unknown })?.type)}`);
    }
    if (typeof input.source !== 'string' || input.source === '') {
      throw new HistoryError(`refusing ${input.type} record without a source`);
    }
    if (containsSecret(input)) {
      throw new HistoryError(`refusing ${input.type} record from ${input.source}: it contains a Secret`);
    }
    const ts = normaliseTs(input.ts, this.#opts.now);
    const seq = ++this.#seq;
    // ts, seq first so a line is readable by eye; the record's own fields cannot override seq.
    const record = { ...input, ts, seq } as HistoryRecord;
    const ordered = Object.assign({ type: record.type, ts, seq, source: record.source }, record);
    const line = redactText(JSON.stringify(ordered)) + '\n';
    this.#pending.push(line);
    this.#pendingBytes += Buffer.byteLength(line);
    this.#count++;
    for (const l of this.#listeners) {
      try {
        l(record);
      } catch {
        // A listener (progress UI) must never break recording.
      }
    }
    if (this.#pendingBytes >= this.#opts.maxBufferBytes) this.flushSync();
    else this.#arm();
    return record;
  }

  /** Watch records as they are appended (terminal progress); errors in the listener are ignored. */
  subscribe(listener: RecordListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Write everything pending now. Safe in exit handlers and signal handlers. Returns false if a write failed. */
  flushSync(): boolean {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#fd === null || this.#pending.length === 0) return true;
    const chunk = this.#pending.join('');
    try {
      writeAllSync(this.#fd, chunk);
      if (this.#opts.fsyncEachFlush) fs.fsyncSync(this.#fd);
    } catch (err) {
      // Keep the lines; the next flush retries them. A partial write leaves a torn line, which the
      // reader tolerates, and the retry writes the whole chunk again on a new line.
      this.#lastError = err as Error;
      this.#pending = ['\n', chunk];
      this.#pendingBytes = Buffer.byteLength(chunk) + 1;
      this.#opts.onError?.(err as Error);
      this.#arm();
      return false;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    return true;
  }

  get lastError(): Error | null {
    return this.#lastError;
  }

  /** Flush, fsync and close. Throws if pending records could not be written. */
  close(): void {
    if (this.#fd === null) return;
    const ok = this.flushSync();
    const fd = this.#fd;
    try {
      fs.fsyncSync(fd);
    } catch {
      // fsync can fail on some filesystems (e.g. certain FUSE mounts); the data is already written.
    }
    fs.closeSync(fd);
    this.#fd = null;
    process.off('exit', this.#onExit);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!ok) {
      throw new HistoryError(
        `history ${this.path}: ${this.#pending.length} chunk(s) could not be written: ${this.#lastError?.message}`,
      );
    }
  }

  #arm(): void {
    if (this.#timer || this.#fd === null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flushSync();
    }, this.#opts.flushEveryMs);
    // The flush timer alone must not keep a finished process alive; the exit hook flushes instead.
    this.#timer.unref();
  }
}

function normaliseTs(ts: unknown, now: () => number): string {
  if (ts === undefined) return utcIso(now());
  if (typeof ts !== 'string' || Number.isNaN(Date.parse(ts))) {
    throw new HistoryError(`refusing record with invalid ts ${JSON.stringify(ts)}; expected ISO-8601`);
  }
  // Re-render so every line has the same form (UTC, ms) whatever the source gave (k8s gives seconds).
  return utcIso(Date.parse(ts));
}

function writeAllSync(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/** Last seq in an existing file and whether it ends cleanly, reading only its tail. */
function inspectTail(file: string): { lastSeq: number; endsWithNewline: boolean } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lastSeq: 0, endsWithNewline: true };
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return { lastSeq: 0, endsWithNewline: true };
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    const text = buf.toString('utf8');
    const endsWithNewline = text.endsWith('\n');
    let lastSeq = 0;
    for (const line of text.split('\n')) {
      try {
        const seq = (JSON.parse(line) as { seq?: unknown }).seq;
        if (typeof seq === 'number' && seq > lastSeq) lastSeq = seq;
      } catch {
        // torn or partial line at the window's start: not a record
      }
    }
    return { lastSeq, endsWithNewline };
  } finally {
    fs.closeSync(fd);
  }
}
