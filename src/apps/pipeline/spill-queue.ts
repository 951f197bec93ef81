// A queue that keeps its head in memory and spills its tail to segment files in BUFFER_DIR once memory
// holds `memoryBytes`. Order is kept: once anything is on disk, new records go behind it.
//
// Segments are written and read with synchronous calls: they are ~1 MiB, written once and read once,
// and keeping the queue synchronous keeps LineBuffer's accounting simple.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryQueue, type RecordQueue } from './queue.ts';
import type { LogRecord } from './record.ts';

interface Segment {
  path: string;
  lines: number;
  bytes: number;
}

export interface SpillQueueOptions {
  dir: string;
  memoryBytes: number;
  segmentBytes: number;
}

export class SpillQueue implements RecordQueue {
  private readonly mem = new MemoryQueue();
  private readonly segments: Segment[] = [];
  private tail: LogRecord[] = [];
  private tailBytes = 0;
  private diskLines = 0;
  private diskBytes = 0;
  private nextSegment = 0;
  /** Segment files written, for the stats. */
  spilledSegments = 0;

  constructor(private readonly opts: SpillQueueOptions) {
    mkdirSync(opts.dir, { recursive: true });
    // Leftovers of a previous process are not replayed: sources resume from their acknowledged
    // positions, so replaying old segments would send those lines twice.
    for (const f of readdirSync(opts.dir)) if (f.endsWith('.seg')) rmSync(join(opts.dir, f), { force: true });
  }

  get lines(): number {
    return this.mem.lines + this.diskLines + this.tail.length;
  }

  get bytes(): number {
    return this.mem.bytes + this.diskBytes + this.tailBytes;
  }

  /** Lines currently held on disk (segments written), excluding the write-behind tail. */
  get linesOnDisk(): number {
    return this.diskLines;
  }

  push(record: LogRecord): void {
    const spilling = this.segments.length > 0 || this.tail.length > 0;
    if (!spilling && this.mem.bytes + record.bytes <= this.opts.memoryBytes) {
      this.mem.push(record);
      return;
    }
    this.tail.push(record);
    this.tailBytes += record.bytes;
    if (this.tailBytes >= this.opts.segmentBytes) this.writeTail();
  }

  take(maxLines: number, maxBytes: number, strict = false): LogRecord[] {
    if (this.mem.lines === 0) this.refill();
    return this.mem.take(maxLines, maxBytes, strict);
  }

  close(): void {
    this.mem.close();
    for (const s of this.segments) rmSync(s.path, { force: true });
    this.segments.length = 0;
    this.tail = [];
    this.tailBytes = this.diskLines = this.diskBytes = 0;
  }

  private refill(): void {
    const seg = this.segments.shift();
    if (seg) {
      const text = readFileSync(seg.path, 'utf8');
      rmSync(seg.path, { force: true });
      this.diskLines -= seg.lines;
      this.diskBytes -= seg.bytes;
      for (const line of text.split('\n')) {
        if (line === '') continue;
        this.mem.push(JSON.parse(line) as LogRecord);
      }
      return;
    }
    // Nothing on disk: the write-behind tail is the oldest data, and it is already in memory.
    for (const r of this.tail) this.mem.push(r);
    this.tail = [];
    this.tailBytes = 0;
  }

  private writeTail(): void {
    const path = join(this.opts.dir, `${String(this.nextSegment++).padStart(10, '0')}.seg`);
    writeFileSync(path, this.tail.map((r) => JSON.stringify(r)).join('\n') + '\n');
    this.segments.push({ path, lines: this.tail.length, bytes: this.tailBytes });
    this.diskLines += this.tail.length;
    this.diskBytes += this.tailBytes;
    this.spilledSegments++;
    this.tail = [];
    this.tailBytes = 0;
  }
}
