// Environment of the buffer, the flush mode and the Kafka producer, shared by the shipper and the
// metrics agent (documented in src/apps/README.md).
import { EnvError, envBool, envEnum, envInt, envList, envNumber, envOptional, envString, type Env } from '../lib/env.ts';
import { MODES, type Mode, type PolicyConfig } from './policy.ts';

export interface PipelineConfig {
  policy: PolicyConfig;
  buffer: { maxLines: number; maxBytes: number; dir: string | undefined; memoryBytes: number; segmentBytes: number };
  kafka: {
    brokers: string[];
    topic: string;
    acks: number;
    connectTimeoutMs: number;
    requestTimeoutMs: number;
    createTopicPartitions: number;
    logLevel: 'error' | 'warn' | 'info' | 'debug' | 'nothing';
  };
  drainOnStopMs: number;
}

/** Kafka's default message.max.bytes is ~1 MiB per record batch; stay under it. */
const KAFKA_SAFE_BATCH_BYTES = 900_000;
const DROP_OLDEST_DEFAULT_LINES = 10_000;

export function pipelineConfig(env: Env, topicVar: string, topicDefault: string): PipelineConfig {
  const mode: Mode = envEnum(env, 'SHIPPER_MODE', MODES, 'naive');
  let maxLines = envInt(env, 'BUFFER_MAX_LINES', 0);
  const maxBytes = envInt(env, 'BUFFER_MAX_BYTES', 0);
  // drop-oldest without a bound would never drop: give it one rather than silently behave like backoff.
  if (mode === 'drop-oldest' && maxLines === 0 && maxBytes === 0) maxLines = DROP_OLDEST_DEFAULT_LINES;
  const batchBytes = envInt(env, 'BATCH_MAX_BYTES', KAFKA_SAFE_BATCH_BYTES, 1);
  let batchLines = mode === 'naive' ? Number.MAX_SAFE_INTEGER : envInt(env, 'BATCH_MAX_LINES', 500, 1);
  let batchBytesCapped = batchBytes;
  // A batch in flight cannot be evicted; keeping it to half the bound leaves room for new lines to push
  // out old ones, so drop-oldest really keeps the newest.
  if (mode === 'drop-oldest') {
    if (maxLines > 0) batchLines = Math.min(batchLines, Math.max(1, Math.floor(maxLines / 2)));
    if (maxBytes > 0) batchBytesCapped = Math.min(batchBytes, Math.max(1, Math.floor(maxBytes / 2)));
  }
  // 0 reads as "not set" so a scenario can pass the same variables to every mode.
  let rate = envNumber(env, 'RATE_LINES_PER_SEC', 0, { min: 0 });
  if (rate === 0) {
    if (mode === 'ratelimited') throw new EnvError('SHIPPER_MODE=ratelimited needs RATE_LINES_PER_SEC > 0');
    rate = 1000;
  }
  return {
    policy: {
      mode,
      batch: { maxLines: batchLines, maxBytes: batchBytesCapped },
      backoff: { initialMs: envInt(env, 'BACKOFF_INITIAL_MS', 100, 1), maxMs: envInt(env, 'BACKOFF_MAX_MS', 30_000, 1), jitter: envBool(env, 'BACKOFF_JITTER', true) },
      rate: { linesPerSec: rate, burst: envNumber(env, 'RATE_BURST_LINES', Math.max(1, rate), { min: 1 }) },
    },
    buffer: {
      maxLines,
      maxBytes,
      dir: envOptional(env, 'BUFFER_DIR'),
      memoryBytes: envInt(env, 'BUFFER_MEMORY_BYTES', 64 * 1024 * 1024, 1),
      segmentBytes: envInt(env, 'BUFFER_SEGMENT_BYTES', 1024 * 1024, 1),
    },
    kafka: {
      brokers: envList(env, 'KAFKA_BROKERS', ['kafka:9092']),
      topic: envString(env, topicVar, topicDefault),
      acks: envNumber(env, 'KAFKA_ACKS', -1, { integer: true, min: -1, max: 1 }),
      connectTimeoutMs: envInt(env, 'KAFKA_CONNECT_TIMEOUT_MS', 3_000, 1),
      requestTimeoutMs: envInt(env, 'KAFKA_REQUEST_TIMEOUT_MS', 10_000, 1),
      createTopicPartitions: envInt(env, 'KAFKA_CREATE_TOPIC_PARTITIONS', 1),
      logLevel: envEnum(env, 'KAFKAJS_LOG_LEVEL', ['error', 'warn', 'info', 'debug', 'nothing'] as const, 'warn'),
    },
    drainOnStopMs: envInt(env, 'DRAIN_ON_STOP_MS', 5_000),
  };
}
