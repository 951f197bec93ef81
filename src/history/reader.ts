// Reads a history the way analysis needs it: every intact record, in time order, plus an honest list of
// what was odd about the file. A crash can tear the last line; clocks of different samplers can disagree
// by a little, and watch events can arrive late; neither must stop a run from being analysed.
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import type { HistoryRecord } from './records.ts';
import { isRecordType } from './records.ts';

export type WarningKind =
  | 'truncated-last-line'
  | 'bad-line'
  | 'unknown-type'
  | 'bad-ts'
  | 'bad-seq'
  | 'duplicate-seq'
  | 'out-of-order';

export interface ReadWarning {
  kind: WarningKind;
  /** 1-based line number in the file (absent for summary warnings). */
  line?: number;
  message: string;
}

export interface ReadResult {
  /** Sorted stably by ts, then seq. Records of unknown type are kept (a newer lab may have written them). */
  records: HistoryRecord[];
  warnings: ReadWarning[];
  /** Records whose ts was earlier than one already seen in file order. */
  outOfOrder: number;
  /** Lines that were not records (including a torn last line). */
  skippedLines: number;
}

export interface ReadOptions {
  /** Keep records whose `type` this lab does not know. Default true (with a warning per type). */
  keepUnknownTypes?: boolean;
}

/** Incremental parser: feed lines in file order, then `finish()`. Shared by the file and text readers. */
export class HistoryParser {
  #entries: { rec: HistoryRecord; t: number; seq: number; idx: number }[] = [];
  #warnings: ReadWarning[] = [];
  #lineNo = 0;
  #lastBad: { line: number; text: string } | null = null;
  #maxT = -Infinity;
  #outOfOrder = 0;
  #maxSkewMs = 0;
  #firstOutOfOrderLine = 0;
  #seqs = new Set<number>();
  #unknownTypes = new Map<string, number>();
  #skipped = 0;
  readonly #keepUnknown: boolean;

  constructor(opts: ReadOptions = {}) {
    this.#keepUnknown = opts.keepUnknownTypes ?? true;
  }

  line(text: string): void {
    this.#lineNo++;
    // A bad line followed by more lines was not the crash's torn tail: report it as damage.
    if (this.#lastBad) {
      this.#warn('bad-line', this.#lastBad.line, `line ${this.#lastBad.line} is not a JSON record: ${clip(this.#lastBad.text)}`);
      this.#lastBad = null;
    }
    if (text.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      this.#skipped++;
      this.#lastBad = { line: this.#lineNo, text };
      return;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      this.#skipped++;
      this.#warn('bad-line', this.#lineNo, `line ${this.#lineNo} is not a JSON object`);
      return;
    }
    const rec = obj as Partial<HistoryRecord> & Record<string, unknown>;
    if (!isRecordType(rec.type)) {
      const t = String(rec.type);
      this.#unknownTypes.set(t, (this.#unknownTypes.get(t) ?? 0) + 1);
      if (!this.#keepUnknown) {
        this.#skipped++;
        return;
      }
    }
    const t = typeof rec.ts === 'string' ? Date.parse(rec.ts) : NaN;
    if (Number.isNaN(t)) {
      this.#skipped++;
      this.#warn('bad-ts', this.#lineNo, `line ${this.#lineNo}: record without a valid ts (${JSON.stringify(rec.ts)}) cannot be placed in time; skipped`);
      return;
    }
    let seq = rec.seq;
    if (typeof seq !== 'number' || !Number.isFinite(seq)) {
      this.#warn('bad-seq', this.#lineNo, `line ${this.#lineNo}: record without a numeric seq; ordered by file position`);
      seq = Number.MAX_SAFE_INTEGER;
    } else if (this.#seqs.has(seq)) {
      this.#warn('duplicate-seq', this.#lineNo, `line ${this.#lineNo}: seq ${seq} appears more than once (two writers on one file?)`);
    } else {
      this.#seqs.add(seq);
    }
    if (t < this.#maxT) {
      this.#outOfOrder++;
      this.#maxSkewMs = Math.max(this.#maxSkewMs, this.#maxT - t);
      if (this.#firstOutOfOrderLine === 0) this.#firstOutOfOrderLine = this.#lineNo;
    } else {
      this.#maxT = t;
    }
    this.#entries.push({ rec: rec as HistoryRecord, t, seq, idx: this.#entries.length });
  }

  finish(): ReadResult {
    if (this.#lastBad) {
      this.#warn(
        'truncated-last-line',
        this.#lastBad.line,
        `last line ${this.#lastBad.line} is incomplete (the writer probably crashed); ignored: ${clip(this.#lastBad.text)}`,
      );
      this.#lastBad = null;
    }
    for (const [t, n] of this.#unknownTypes) {
      this.#warn('unknown-type', undefined, `${n} record(s) of unknown type ${JSON.stringify(t)}${this.#keepUnknown ? ' kept' : ' skipped'}`);
    }
    if (this.#outOfOrder > 0) {
      this.#warn(
        'out-of-order',
        this.#firstOutOfOrderLine,
        `${this.#outOfOrder} record(s) were written out of time order (max ${this.#maxSkewMs} ms behind, first at line ${this.#firstOutOfOrderLine}); sorted by ts, then seq`,
      );
    }
    // Array.prototype.sort is stable; idx makes the tie-break explicit anyway.
    const sorted = this.#entries.sort((a, b) => a.t - b.t || a.seq - b.seq || a.idx - b.idx).map((e) => e.rec);
    return { records: sorted, warnings: this.#warnings, outOfOrder: this.#outOfOrder, skippedLines: this.#skipped };
  }

  #warn(kind: WarningKind, line: number | undefined, message: string): void {
    this.#warnings.push(line === undefined ? { kind, message } : { kind, line, message });
  }
}

/** Stream-read a history file. */
export async function readHistory(file: string, opts: ReadOptions = {}): Promise<ReadResult> {
  const parser = new HistoryParser(opts);
  const rl = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) parser.line(line);
  return parser.finish();
}

/** Parse history text already in memory (tests, small fixtures). */
export function parseHistoryText(text: string, opts: ReadOptions = {}): ReadResult {
  const parser = new HistoryParser(opts);
  const lines = text.split('\n');
  // A trailing newline yields one empty last element, which is not a line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const l of lines) parser.line(l.endsWith('\r') ? l.slice(0, -1) : l);
  return parser.finish();
}

function clip(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/**
 * Records in file order as they are read, without sorting: for following a live run or scanning a
 * history too large to hold. Damaged lines are skipped; use readHistory for the warnings.
 */
export async function* iterateHistory(file: string): AsyncGenerator<HistoryRecord> {
  const rl = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      continue;
    }
    if (obj && typeof obj === 'object' && typeof (obj as { ts?: unknown }).ts === 'string') yield obj as HistoryRecord;
  }
}
