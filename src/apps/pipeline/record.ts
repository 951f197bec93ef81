// What travels from a source through the buffer to Kafka.

/** Where a record came from, so the source can remember how far it got once the record is done. */
export interface Origin {
  /** The source stream (one container's log), e.g. `ns/pod/uid/container`. */
  readonly stream: string;
  /** Increasing per stream in reading order: "done" positions only ever move forward. */
  readonly seq: number;
  /** Source-specific resume point after this record (file inode and offset, or log timestamp). */
  readonly cursor: Readonly<Record<string, string | number>>;
}

export interface LogRecord {
  readonly key: string;
  readonly value: string;
  /** Key plus value bytes: what the buffer bounds count. */
  readonly bytes: number;
  readonly origin?: Origin;
}

export function makeRecord(key: string, value: string, origin?: Origin): LogRecord {
  return { key, value, bytes: Buffer.byteLength(key) + Buffer.byteLength(value), origin };
}
