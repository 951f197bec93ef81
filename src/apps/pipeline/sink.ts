// The only thing the flusher knows about Kafka: deliver a batch or throw.
import type { LogRecord } from './record.ts';

export interface Sink {
  /** Resolves when the whole batch is acknowledged; rejects if any of it may not be. */
  send(records: readonly LogRecord[]): Promise<void>;
  close(): Promise<void>;
}
