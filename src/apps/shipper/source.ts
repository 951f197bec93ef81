// What a log source needs from the pipeline, and the counters every source keeps.
import type { LogRecord } from '../pipeline/record.ts';

export interface Emitter {
  /** False: the buffer is full; keep the record and wait for whenRoom(record.bytes). */
  offer(record: LogRecord): boolean;
  /** Resolves once a record of `bytes` fits; never earlier, so an offer loop cannot spin. */
  whenRoom(bytes: number): Promise<void>;
}

export interface SourceStats {
  linesRead: number;
  bytesRead: number;
  /** Lines read a second time after a reconnect and skipped as duplicates (kubelet-api). */
  linesReread: number;
  parseErrors: number;
  partialJoined: number;
  rotations: number;
  reconnects: number;
  /** Log streams (container logs) followed now. */
  streams: number;
  /** Streams waiting for buffer room now (backpressure). */
  blocked: number;
}

export function newSourceStats(): SourceStats {
  return { linesRead: 0, bytesRead: 0, linesReread: 0, parseErrors: 0, partialJoined: 0, rotations: 0, reconnects: 0, streams: 0, blocked: 0 };
}

export interface Source {
  start(): void;
  stop(): Promise<void>;
}

/** One container's log: where it is and under what key its lines go to Kafka. */
export interface Target {
  /** Stable id for positions: `<ns>/<pod>/<uid or ->/<container>`. */
  id: string;
  namespace: string;
  pod: string;
  container: string;
  /** Kafka key: the pod name. */
  key: string;
}
