// kafkajs behind the Sink interface. kafkajs's own retries are switched off (client and producer):
// the flush mode alone decides when to try again, otherwise a "naive" shipper would quietly back off
// inside kafkajs and a "backoff" one would retry twice as much as it says.
import { Kafka, logLevel, Partitioners, type LogEntry, type Producer } from 'kafkajs';
import { errorMessage, LogThrottle, type Logger } from '../lib/log.ts';
import type { PipelineConfig } from './config.ts';
import type { LogRecord } from './record.ts';
import type { Sink } from './sink.ts';

export interface KafkaSinkOptions {
  brokers: string[];
  clientId: string;
  topic: string;
  /** -1 all in-sync replicas, 1 leader, 0 none. */
  acks: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Create the topic on first contact (partitions), or 0 to leave it to the broker's auto-creation. */
  createTopicPartitions: number;
  log: Logger;
  kafkaLogLevel: 'error' | 'warn' | 'info' | 'debug' | 'nothing';
}

const levels = { nothing: logLevel.NOTHING, error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG };

export class KafkaSink implements Sink {
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;
  private topicChecked = false;
  /** Producer (re)connections, for the stats: a naive shipper makes one per retry while Kafka is down. */
  connects = 0;

  constructor(private readonly opts: KafkaSinkOptions) {
    const throttle = new LogThrottle(5_000);
    const log = opts.log.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      connectionTimeout: opts.connectTimeoutMs,
      requestTimeout: opts.requestTimeoutMs,
      enforceRequestTimeout: true,
      retry: { retries: 0 },
      logLevel: levels[opts.kafkaLogLevel],
      logCreator: () => (entry: LogEntry) => {
        const { message, timestamp: _t, ...extra } = entry.log;
        const suppressed = throttle.pass(`${entry.label}:${message}`);
        if (suppressed === undefined) return;
        const fields = { namespace: entry.namespace, ...extra, ...(suppressed > 0 ? { suppressed } : {}) };
        if (entry.level <= logLevel.ERROR) log.error(message, fields);
        else if (entry.level === logLevel.WARN) log.warn(message, fields);
        else log.debug(message, fields);
      },
    });
  }

  async send(records: readonly LogRecord[]): Promise<void> {
    const producer = await this.connected();
    try {
      await producer.send({
        topic: this.opts.topic,
        acks: this.opts.acks,
        timeout: this.opts.requestTimeoutMs,
        messages: records.map((r) => ({ key: r.key, value: r.value })),
      });
    } catch (e) {
      // A broker that answered with an error keeps its connection; anything else (refused, reset,
      // timed out) gets a fresh producer next time, so a paused or cut broker is really re-dialled.
      if (!isProtocolError(e)) this.reset();
      throw e;
    }
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    if (p) await p.disconnect().catch(() => undefined);
  }

  private connected(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<Producer> {
    const producer = this.kafka.producer({
      // Explicit, so kafkajs does not warn about its v2 default on every (re)connection.
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
      idempotent: false,
      maxInFlightRequests: 1,
      retry: { retries: 0 },
    });
    this.connects++;
    try {
      await producer.connect();
    } catch (e) {
      producer.disconnect().catch(() => undefined);
      throw e;
    }
    this.producer = producer;
    if (!this.topicChecked && this.opts.createTopicPartitions > 0) await this.ensureTopic();
    return producer;
  }

  private async ensureTopic(): Promise<void> {
    const admin = this.kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(this.opts.topic)) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic: this.opts.topic, numPartitions: this.opts.createTopicPartitions, replicationFactor: 1 }],
        });
        this.opts.log.info('created topic', { topic: this.opts.topic, partitions: this.opts.createTopicPartitions });
      }
      this.topicChecked = true;
    } catch (e) {
      // Another shipper may have created it at the same moment, or auto-creation will: not fatal.
      this.opts.log.warn('topic check failed', { topic: this.opts.topic, error: errorMessage(e) });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private reset(): void {
    const p = this.producer;
    this.producer = null;
    if (p) p.disconnect().catch(() => undefined);
  }
}

function isProtocolError(e: unknown): boolean {
  return e instanceof Error && e.name === 'KafkaJSProtocolError';
}

export function kafkaSinkFromConfig(cfg: PipelineConfig, clientId: string, log: Logger): KafkaSink {
  return new KafkaSink({ ...cfg.kafka, kafkaLogLevel: cfg.kafka.logLevel, clientId, log });
}
