import { Kafka, logLevel, type Admin } from 'kafkajs';
import { LabError } from '../util/errors.ts';
import { capture, run, succeeds } from '../util/exec.ts';
import { DC_NETWORK, dcAddress } from './dc-network.ts';

export const KAFKA_CONTAINER = 'outage-lab-kafka';
export const KAFKA_INTERNAL_PORT = 9092;
export const LAB_TOPICS = ['logs', 'metrics'] as const;

export interface KafkaEndpoint {
  /** What pods use: the broker's address on the dc network. */
  internal: string;
  /** What the host uses: a published loopback port. */
  external: string;
}

export function kafkaEndpoint(subnet: string, hostPort: number): KafkaEndpoint {
  return { internal: `${dcAddress(subnet, 10)}:${KAFKA_INTERNAL_PORT}`, external: `127.0.0.1:${hostPort}` };
}

/**
 * A single KRaft broker+controller in the upstream apache/kafka image's convention (which the local build
 * honours too): one listener advertised to peers, one on a published loopback port for the host.
 * Shared by the lab and the component tests.
 */
export function kafkaBrokerEnv(o: {
  advertised: string;
  hostPort: number;
  /** The port the host listener binds in the broker, when something in between (a NodePort) maps hostPort to it. */
  hostListenerPort?: number;
  controllerHost?: string;
  clusterId?: string;
}): Record<string, string> {
  return {
    CLUSTER_ID: o.clusterId ?? 'b3V0YWdlLWxhYi1rYWZrYQ',
    KAFKA_NODE_ID: '1',
    KAFKA_PROCESS_ROLES: 'broker,controller',
    KAFKA_LISTENERS: `INTERNAL://0.0.0.0:${KAFKA_INTERNAL_PORT},EXTERNAL://0.0.0.0:${o.hostListenerPort ?? o.hostPort},CONTROLLER://0.0.0.0:9093`,
    KAFKA_ADVERTISED_LISTENERS: `INTERNAL://${o.advertised},EXTERNAL://127.0.0.1:${o.hostPort}`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
    KAFKA_CONTROLLER_QUORUM_VOTERS: `1@${o.controllerHost ?? '127.0.0.1'}:9093`,
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
  };
}

/** What the lab's broker adds to the single-broker settings, wherever it runs. */
export const LAB_BROKER_EXTRAS: Readonly<Record<string, string>> = { KAFKA_NUM_PARTITIONS: '3', KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m' };

function brokerEnv(ep: KafkaEndpoint, hostPort: number): Record<string, string> {
  return { ...kafkaBrokerEnv({ advertised: ep.internal, hostPort }), ...LAB_BROKER_EXTRAS };
}

async function containerRunning(name: string): Promise<boolean> {
  return (await capture('docker', ['inspect', '--format', '{{.State.Running}}', name]).catch(() => '')) === 'true';
}

/** Starts the broker on the dc network unless it already runs there. */
export async function ensureKafkaContainer(image: string, subnet: string, hostPort: number): Promise<KafkaEndpoint> {
  const ep = kafkaEndpoint(subnet, hostPort);
  const runningImage = await capture('docker', ['inspect', '--format', '{{.Config.Image}}', KAFKA_CONTAINER]).catch(() => '');
  // Reused only when it runs the image this lab wants: a rebuilt image must not leave an old broker running.
  if (runningImage === image && (await containerRunning(KAFKA_CONTAINER))) return ep;
  if (await succeeds('docker', ['inspect', KAFKA_CONTAINER])) await run('docker', ['rm', '-f', KAFKA_CONTAINER]);
  const env = Object.entries(brokerEnv(ep, hostPort)).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  await run('docker', [
    'run', '-d', '--name', KAFKA_CONTAINER, '--label', 'outage-lab=1', '--restart', 'unless-stopped',
    '--network', DC_NETWORK, '--ip', dcAddress(subnet, 10), '-p', `127.0.0.1:${hostPort}:${hostPort}`,
    ...env, image,
  ]);
  return ep;
}

export function kafkaClient(brokers: string[], clientId = 'outage-lab'): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 300 } });
}

/** Where to look when the broker does not come up: the hint and the last log lines of the placement at hand. */
export interface KafkaDiagnosis {
  hint: string;
  logs: () => Promise<string>;
}

const CONTAINER_DIAGNOSIS: KafkaDiagnosis = {
  hint: `docker logs ${KAFKA_CONTAINER}`,
  logs: () => capture('docker', ['logs', '--tail', '20', KAFKA_CONTAINER]),
};

/** Waits until the broker answers metadata requests, then creates the lab's topics. */
export async function waitForKafka(ep: KafkaEndpoint, partitions: number, timeoutMs = 120_000, diagnosis: KafkaDiagnosis = CONTAINER_DIAGNOSIS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const admin: Admin = kafkaClient([ep.external]).admin();
    try {
      await admin.connect();
      await admin.createTopics({ topics: LAB_TOPICS.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
      await admin.disconnect();
      return;
    } catch (err) {
      last = err;
      await admin.disconnect().catch(() => {});
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  const logs = await diagnosis.logs().catch(() => '(no logs)');
  throw new LabError(`Kafka did not become ready within ${timeoutMs / 1000} s: ${(last as Error)?.message}`, diagnosis.hint, logs);
}

/** A produce/consume round trip from the host: the readiness proof, and one latency sample. */
export async function kafkaRoundTrip(ep: KafkaEndpoint): Promise<number> {
  const kafka = kafkaClient([ep.external]);
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `lab-probe-${process.pid}-${Date.now()}` });
  const token = `probe-${Date.now()}-${Math.random()}`;
  const started = Date.now();
  await producer.connect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: 'metrics', fromBeginning: false });
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LabError('Kafka round trip: message not consumed within 30 s')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value?.toString() === token) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    // The consumer joins its group asynchronously; resend until it has seen one.
    const resend = setInterval(() => void producer.send({ topic: 'metrics', messages: [{ key: 'probe', value: token }] }).catch(() => {}), 1000);
    try {
      await producer.send({ topic: 'metrics', messages: [{ key: 'probe', value: token }] });
      await seen;
    } finally {
      clearInterval(resend);
    }
    return Date.now() - started;
  } finally {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
  }
}

/** Removes the external broker; says whether there was one (`docker rm -f` succeeds either way). */
export async function removeKafkaContainer(): Promise<boolean> {
  if (!(await succeeds('docker', ['inspect', '--type', 'container', KAFKA_CONTAINER]))) return false;
  await run('docker', ['rm', '-f', KAFKA_CONTAINER], { allowFailure: true });
  return true;
}
