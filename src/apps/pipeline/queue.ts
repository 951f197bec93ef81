// FIFO storage behind the buffer. Bounds and policy live in LineBuffer; a queue only stores.
import type { LogRecord } from './record.ts';

export interface RecordQueue {
  readonly lines: number;
  readonly bytes: number;
  push(record: LogRecord): void;
  /**
   * Removes and returns up to maxLines oldest records within maxBytes. Unless `strict`, the first
   * record is taken even if it alone exceeds maxBytes, so an oversized line cannot block the queue.
   */
  take(maxLines: number, maxBytes: number, strict?: boolean): LogRecord[];
  /** Discards everything (used at shutdown); returns nothing because nothing was delivered. */
  close(): void;
}

export class MemoryQueue implements RecordQueue {
  private items: LogRecord[] = [];
  private head = 0;
  private _bytes = 0;

  get lines(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this._bytes;
  }

  push(record: LogRecord): void {
    this.items.push(record);
    this._bytes += record.bytes;
  }

  take(maxLines: number, maxBytes: number, strict = false): LogRecord[] {
    const out: LogRecord[] = [];
    let bytes = 0;
    while (this.head < this.items.length && out.length < maxLines) {
      const r = this.items[this.head]!;
      if ((out.length > 0 || strict) && bytes + r.bytes > maxBytes) break;
      out.push(r);
      bytes += r.bytes;
      this.head++;
    }
    this._bytes -= bytes;
    this.compact();
    return out;
  }

  close(): void {
    this.items = [];
    this.head = 0;
    this._bytes = 0;
  }

  // Shifting an array per record is O(n); a moving head with occasional compaction keeps take() cheap
  // even with millions of buffered lines (the unbounded 2019 case).
  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
