// The shipper's buffer: bounds (lines and bytes, 0 = unbounded as in 2019), what happens when full
// (block the source, or evict the oldest), the batch in flight, and the accounting the lab reports.
import type { RecordQueue } from './queue.ts';
import type { LogRecord } from './record.ts';

export type Overflow = 'block' | 'drop-oldest';

export interface BufferLimits {
  /** 0 = unbounded. */
  maxLines: number;
  /** 0 = unbounded. */
  maxBytes: number;
  overflow: Overflow;
}

export interface BufferListener {
  /** Records that will never be sent (evicted or dropped); the source may move past them. */
  dropped?(records: readonly LogRecord[]): void;
  /** Records Kafka acknowledged. */
  acked?(records: readonly LogRecord[]): void;
}

export class LineBuffer {
  /** Records of a failed batch: the oldest data, retried first. */
  private retry: LogRecord[] = [];
  private retryBytes = 0;
  private inFlight: LogRecord[] | null = null;
  private inFlightBytes = 0;
  private dataWaiters: Array<() => void> = [];
  /** Sources waiting to add a record of `bytes`: woken only once that record fits. */
  private roomWaiters: Array<{ bytes: number; resolve: () => void }> = [];

  peakLines = 0;
  peakBytes = 0;
  droppedLines = 0;
  droppedBytes = 0;
  acceptedLines = 0;
  acceptedBytes = 0;

  constructor(
    private readonly queue: RecordQueue,
    readonly limits: BufferLimits,
    private readonly listener: BufferListener = {},
  ) {}

  get lines(): number {
    return this.queue.lines + this.retry.length + (this.inFlight?.length ?? 0);
  }

  get bytes(): number {
    return this.queue.bytes + this.retryBytes + this.inFlightBytes;
  }

  /** Lines waiting to be sent, excluding the batch currently in flight. */
  get waitingLines(): number {
    return this.queue.lines + this.retry.length;
  }

  private fits(extraBytes: number): boolean {
    const { maxLines, maxBytes } = this.limits;
    // An empty buffer takes any one record: a line longer than the byte bound must not wedge its source.
    return (maxLines === 0 || this.lines + 1 <= maxLines) && (maxBytes === 0 || this.bytes + extraBytes <= maxBytes || this.lines === 0);
  }

  /**
   * Adds a record. Returns false when the buffer is full and the overflow is `block`: the source must
   * keep the record and wait for `whenRoom()`. With `drop-oldest` the oldest waiting records are
   * evicted (never the batch in flight) and true is returned; if only the batch in flight is left, the
   * new record itself is dropped.
   */
  offer(record: LogRecord): boolean {
    if (!this.fits(record.bytes)) {
      if (this.limits.overflow === 'block') return false;
      const evicted: LogRecord[] = [];
      while (!this.fits(record.bytes) && this.waitingLines > 0) evicted.push(this.evictOldest()!);
      if (evicted.length > 0) this.drop(evicted);
      if (!this.fits(record.bytes)) {
        this.drop([record]);
        return true;
      }
    }
    this.queue.push(record);
    this.acceptedLines++;
    this.acceptedBytes += record.bytes;
    if (this.lines > this.peakLines) this.peakLines = this.lines;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    this.wake('data');
    return true;
  }

  hasRoomFor(bytes: number): boolean {
    return this.limits.overflow === 'drop-oldest' || this.fits(bytes);
  }

  /**
   * Resolves once a record of `bytes` fits. It must be the size of the record the source holds: a promise
   * that resolved while that record still did not fit sent the source round its offer loop in microtasks
   * alone, starving every timer and socket of the process (a bounded shipper went silent for good the
   * moment its buffer filled during a cut).
   */
  whenRoom(bytes: number): Promise<void> {
    if (this.hasRoomFor(bytes)) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ bytes, resolve }));
  }

  whenData(): Promise<void> {
    if (this.waitingLines > 0) return Promise.resolve();
    return new Promise((resolve) => this.dataWaiters.push(resolve));
  }

  /** Starts a batch: the retried records first, then the queue. Only one batch may be in flight. */
  take(maxLines: number, maxBytes: number): LogRecord[] {
    if (this.inFlight) throw new Error('a batch is already in flight');
    let batch: LogRecord[] = [];
    let bytes = 0;
    if (this.retry.length <= maxLines && this.retryBytes <= maxBytes) {
      // The common retry: the whole failed batch again, without copying it (a naive shipper does
      // this thousands of times a second while Kafka is down).
      batch = this.retry;
      bytes = this.retryBytes;
      this.retry = [];
      this.retryBytes = 0;
    } else {
      let i = 0;
      while (i < this.retry.length && batch.length < maxLines) {
        const r = this.retry[i]!;
        if (batch.length > 0 && bytes + r.bytes > maxBytes) break;
        batch.push(r);
        bytes += r.bytes;
        i++;
      }
      this.retry = this.retry.slice(i);
      this.retryBytes -= bytes;
    }
    if (batch.length < maxLines && this.retry.length === 0) {
      const rest = this.queue.take(maxLines - batch.length, maxBytes - bytes, batch.length > 0);
      for (const r of rest) {
        batch.push(r);
        bytes += r.bytes;
      }
    }
    this.inFlight = batch;
    this.inFlightBytes = bytes;
    return batch;
  }

  /** Ends the batch in flight: acknowledged records leave; failed ones go back to the front. */
  complete(ok: boolean): void {
    const batch = this.inFlight;
    if (!batch) throw new Error('no batch in flight');
    const bytes = this.inFlightBytes;
    this.inFlight = null;
    this.inFlightBytes = 0;
    if (ok) {
      this.listener.acked?.(batch);
      this.wake('room');
    } else {
      // The batch was counted while in flight, so putting it back cannot exceed the bounds.
      this.retry = this.retry.length === 0 ? batch : batch.concat(this.retry);
      this.retryBytes += bytes;
    }
  }

  /** Drops everything not yet sent (shutdown); counted as dropped. */
  discardAll(): void {
    const all = [...this.retry, ...this.queue.take(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)];
    this.retry = [];
    this.retryBytes = 0;
    if (all.length > 0) this.drop(all);
  }

  private evictOldest(): LogRecord | undefined {
    if (this.retry.length > 0) {
      const r = this.retry.shift()!;
      this.retryBytes -= r.bytes;
      return r;
    }
    return this.queue.take(1, Number.MAX_SAFE_INTEGER)[0];
  }

  private drop(records: LogRecord[]): void {
    for (const r of records) {
      this.droppedLines++;
      this.droppedBytes += r.bytes;
    }
    this.listener.dropped?.(records);
  }

  private wake(which: 'data' | 'room'): void {
    if (which === 'data') {
      const w = this.dataWaiters;
      this.dataWaiters = [];
      for (const f of w) f();
      return;
    }
    const ready = this.roomWaiters.filter((w) => this.hasRoomFor(w.bytes));
    if (ready.length === 0) return;
    this.roomWaiters = this.roomWaiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** Wakes every waiter, e.g. at shutdown so loops can observe their stop flag. */
  wakeAll(): void {
    const w = [...this.dataWaiters, ...this.roomWaiters.map((r) => r.resolve)];
    this.dataWaiters = [];
    this.roomWaiters = [];
    for (const f of w) f();
  }
}
