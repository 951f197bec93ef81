// The lab's Kafka image is a real KRaft broker that kafkajs 2.2.4 (the client the log shippers use)
// can produce to and consume from without losing or duplicating messages.
import { kafkaBrokerEnv } from '../../src/components/kafka.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { DockerScope, forLog, freePort, type Container } from '../../src/docker/containers.ts';
import { imageRef } from '../../src/images/catalog.ts';

const MESSAGES = 5000;
const BATCH = 500;

/** KRaft wants a 16-byte UUID in URL-safe base64 without padding. */
function clusterId(): string {
  return Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
}

describe('kafka image', { timeout: 180_000 }, () => {
  const scope = new DockerScope('kafka');
  let broker: Container;
  let external: number;

  before(async () => {
    // The broker must advertise the address the host's client dials, so the host port is chosen first.
    external = await freePort();
    broker = await scope.run({
      name: 'kafka',
      image: await imageRef('kafka'),
      ports: [{ container: external, host: external }],
      env: kafkaBrokerEnv({ advertised: 'kafka:9092', hostPort: external, controllerHost: 'kafka', clusterId: clusterId() }),
      waitFor: forLog(/Kafka Server started/),
      startupTimeoutMs: 90_000,
    });
  });

  after(() => scope.dispose());

  it('renders server.properties from KAFKA_* variables the way apache/kafka does', async () => {
    const props = (await broker.exec(['cat', '/opt/kafka/config/server.properties'])).stdout;
    assert.match(props, /^offsets\.topic\.replication\.factor=1$/m);
    assert.match(props, /^controller\.quorum\.voters=1@kafka:9093$/m);
    assert.doesNotMatch(props, /heap|jmx/i);
  });

  it(`produces and consumes ${MESSAGES} messages, none lost and none duplicated`, async () => {
    // Silent: kafkajs logs retriable coordinator-loading answers as ERROR; real failures still throw.
    const kafka = new Kafka({ clientId: 'component-test', brokers: [`127.0.0.1:${external}`], logLevel: logLevel.NOTHING });
    const topic = 'component-test';
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }), true);
    } finally {
      await admin.disconnect();
    }

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    try {
      for (let start = 0; start < MESSAGES; start += BATCH) {
        const messages = Array.from({ length: BATCH }, (_, i) => ({ key: `k-${start + i}`, value: String(start + i) }));
        await producer.send({ topic, messages, acks: -1 });
      }
    } finally {
      await producer.disconnect();
    }

    const seen = new Map<number, number>();
    const consumer = kafka.consumer({ groupId: `component-${randomUUID()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${seen.size} of ${MESSAGES} distinct messages after 60 s`)), 60_000);
        consumer
          .run({
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) {
                const seq = Number(m.value?.toString());
                assert.equal(m.key?.toString(), `k-${seq}`, 'key and value belong together');
                seen.set(seq, (seen.get(seq) ?? 0) + 1);
              }
              if (seen.size >= MESSAGES) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([seq]) => seq);
    assert.deepEqual(duplicated, [], 'no message delivered twice');
    const missing = Array.from({ length: MESSAGES }, (_, i) => i).filter((i) => !seen.has(i));
    assert.deepEqual(missing, [], 'no message lost');
  });
});
