// Buffer + policy + flusher + sink assembled, with their metrics: the part the shipper and the metrics
// agent share. Sources only call offer()/whenRoom().
import { systemClock, type Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { Registry } from '../lib/metrics.ts';
import { LineBuffer, type BufferListener } from './buffer.ts';
import type { PipelineConfig } from './config.ts';
import { Flusher } from './flusher.ts';
import { createPolicy } from './policy.ts';
import { MemoryQueue, type RecordQueue } from './queue.ts';
import type { LogRecord } from './record.ts';
import type { RetryLog } from './retry-log.ts';
import type { Sink } from './sink.ts';
import { SpillQueue } from './spill-queue.ts';

export class Pipeline {
  readonly buffer: LineBuffer;
  readonly flusher: Flusher;
  private readonly spill: SpillQueue | null;

  constructor(
    readonly config: PipelineConfig,
    private readonly sink: Sink,
    log: Logger,
    listener: BufferListener = {},
    private readonly clock: Clock = systemClock,
    /** The shipper's stdout account of failed flushes; the metrics agent keeps none. */
    retryLog?: RetryLog,
  ) {
    const policy = createPolicy(config.policy, clock.now());
    const b = config.buffer;
    this.spill = b.dir ? new SpillQueue({ dir: b.dir, memoryBytes: b.memoryBytes, segmentBytes: b.segmentBytes }) : null;
    const queue: RecordQueue = this.spill ?? new MemoryQueue();
    this.buffer = new LineBuffer(queue, { maxLines: b.maxLines, maxBytes: b.maxBytes, overflow: policy.overflow }, listener);
    this.flusher = new Flusher(this.buffer, policy, sink, clock, log, retryLog);
  }

  start(): void {
    this.flusher.start();
  }

  async stop(): Promise<void> {
    await this.flusher.stop(this.config.drainOnStopMs);
    await this.sink.close();
  }

  /** False means "full, keep the record and wait for whenRoom()" (only with a blocking overflow). */
  offer(record: LogRecord): boolean {
    return this.buffer.offer(record);
  }

  /** Resolves once a record of `bytes` (the one offer() refused) fits. */
  whenRoom(bytes: number): Promise<void> {
    return this.buffer.whenRoom(bytes);
  }

  register(registry: Registry): void {
    const b = this.buffer;
    const s = this.flusher.stats;
    registry.setInfo({ mode: this.config.policy.mode, topic: this.config.kafka.topic });
    registry.counter('lines_sent_total', 'Lines acknowledged by Kafka.', () => s.linesSent);
    registry.counter('bytes_sent_total', 'Key and value bytes acknowledged by Kafka.', () => s.bytesSent);
    registry.counter('send_attempts_total', 'Batches sent to Kafka, including failed ones.', () => s.sendAttempts);
    registry.counter('send_errors_total', 'Batches Kafka did not acknowledge.', () => s.sendErrors);
    registry.counter('lines_dropped_total', 'Lines evicted or refused by a full buffer; never sent.', () => b.droppedLines);
    registry.counter('bytes_dropped_total', 'Bytes of dropped lines.', () => b.droppedBytes);
    registry.gauge('buffer_lines', 'Lines buffered now, including the batch in flight.', () => b.lines);
    registry.gauge('buffer_bytes', 'Bytes buffered now, including the batch in flight.', () => b.bytes);
    registry.gauge('buffer_peak_lines', 'Most lines ever buffered at once.', () => b.peakLines);
    registry.gauge('buffer_peak_bytes', 'Most bytes ever buffered at once.', () => b.peakBytes);
    registry.gauge('buffer_disk_lines', 'Buffered lines spilled to BUFFER_DIR.', () => this.spill?.linesOnDisk ?? 0);
    registry.gauge('buffer_max_lines', 'Configured line bound (0 = unbounded).', () => b.limits.maxLines);
    registry.gauge('buffer_max_bytes', 'Configured byte bound (0 = unbounded).', () => b.limits.maxBytes);
    registry.gauge('kafka_reachable', 'Last send succeeded (1), failed (0), none yet (-1).', () => (s.reachable === null ? -1 : s.reachable ? 1 : 0));
    registry.gauge('seconds_since_last_send', 'Seconds since the last acknowledged batch (-1: never).', () =>
      s.lastSuccessAt === null ? -1 : (this.clock.now() - s.lastSuccessAt) / 1000,
    );
    registry.gauge('last_send_seconds', 'Duration of the last send attempt.', () => s.lastSendMs / 1000);
  }

  details(): Record<string, unknown> {
    const s = this.flusher.stats;
    return {
      kafka_reachable_now: s.reachable,
      last_error: s.lastError,
      last_error_at: s.lastErrorAt === null ? null : new Date(s.lastErrorAt).toISOString(),
      last_success_at: s.lastSuccessAt === null ? null : new Date(s.lastSuccessAt).toISOString(),
    };
  }
}
