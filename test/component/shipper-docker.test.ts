// The docker-api source against the host's real Docker Engine and a real Kafka broker: a container
// from the lab's base image, labelled the way dockershim labels a pod's app container, writes numbered
// lines when the test drops a batch file into its control folder; the shipper runs in-process and reads
// them through dockerd's logs API over /var/run/docker.sock. Checked: every line arrives, once, across a
// forced reconnect (the idle watchdog, resumed with `since`) and across a Kafka outage (`docker pause`)
// during which the full buffer holds the stream, and the retry log reports the failed flushes.
import { kafkaBrokerEnv } from '../../src/components/kafka.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { createLogger } from '../../src/apps/lib/log.ts';
import { shipperConfig } from '../../src/apps/shipper/config.ts';
import { LABELS } from '../../src/apps/shipper/docker-discovery.ts';
import { startShipper, type Shipper } from '../../src/apps/shipper/shipper.ts';
import { docker } from '../../src/docker/cli.ts';
import { DockerScope, forHttp, forLog, freePort, runContainer, SCOPE_LABEL, uniqueName, until, type Container } from '../../src/docker/containers.ts';
import { imageRef } from '../../src/images/catalog.ts';

const log = createLogger('shipper-docker-test', { level: (process.env.SHIPPER_TEST_LOG as 'debug' | undefined) ?? 'error' });
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';

/**
 * Writes batch k (a file /ctl/batch-k holding a line count) once it appears: numbered JSON lines on
 * stdout, and every tenth a line on stderr that must not be shipped (SHIPPER_STREAMS=stdout).
 */
const WRITER = `k=1; n=0
while :; do
  if [ -f /ctl/batch-$k ]; then
    c=$(cat /ctl/batch-$k); i=0
    while [ $i -lt $c ]; do
      i=$((i+1)); n=$((n+1))
      printf '{"pod":"%s","seq":%d}\\n' "$POD" $n
      if [ $((n % 10)) -eq 0 ]; then printf '{"pod":"stderr-noise","seq":%d}\\n' $n >&2; fi
    done
    k=$((k+1))
  else sleep 0.05; fi
done`;

/** Per pod, how many times each seq arrived. */
class TopicCounter {
  readonly seen = new Map<string, Map<number, number>>();
  records = 0;
  foreign = 0;
  private consumer: Consumer | null = null;

  constructor(private readonly kafka: Kafka, readonly topic: string) {}

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: `shipper-docker-test-${randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        this.records++;
        let v: { pod?: string; seq?: number };
        try {
          v = JSON.parse(message.value!.toString()) as typeof v;
        } catch {
          this.foreign++;
          return;
        }
        if (typeof v.pod !== 'string' || typeof v.seq !== 'number' || message.key?.toString() !== v.pod) this.foreign++;
        const m = this.seen.get(v.pod ?? '?') ?? new Map<number, number>();
        m.set(v.seq ?? -1, (m.get(v.seq ?? -1) ?? 0) + 1);
        this.seen.set(v.pod ?? '?', m);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  distinct(pod: string): number {
    return this.seen.get(pod)?.size ?? 0;
  }

  missing(pod: string, upTo: number): number[] {
    const m = this.seen.get(pod) ?? new Map();
    return Array.from({ length: upTo }, (_, i) => i + 1).filter((s) => !m.has(s));
  }

  duplicates(pod: string): number[] {
    return [...(this.seen.get(pod) ?? new Map<number, number>())].filter(([, n]) => n > 1).map(([s]) => s);
  }
}

describe('docker-api shipper against the host dockerd and a real Kafka', { timeout: 600_000 }, () => {
  const scope = new DockerScope('shipper-docker');
  let broker: Container;
  let external: number;
  let kafka: Kafka;
  let ctl: string;
  const cleanups: Array<() => Promise<void>> = [];

  before(async () => {
    ctl = mkdtempSync(join(tmpdir(), 'shipper-docker-ctl-'));
    external = await freePort();
    broker = await scope.run({
      name: 'kafka',
      image: await imageRef('kafka'),
      ports: [{ container: external, host: external }],
      env: kafkaBrokerEnv({ advertised: 'kafka:9092', hostPort: external, controllerHost: 'kafka', clusterId: Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url') }),
      waitFor: forLog(/Kafka Server started/),
      startupTimeoutMs: 120_000,
    });
    kafka = new Kafka({ clientId: 'shipper-docker-test', brokers: [`127.0.0.1:${external}`], logLevel: logLevel.NOTHING });
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await docker(['unpause', broker?.name ?? 'none'], { allowFailure: true });
    // Every container started here carries the scope's label, the pod containers included.
    await scope.dispose();
    rmSync(ctl, { recursive: true, force: true });
  });

  async function newTopic(): Promise<TopicCounter> {
    const topic = `logs-${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const counter = new TopicCounter(kafka, topic);
    await counter.start();
    cleanups.push(() => counter.stop());
    return counter;
  }

  /** A container labelled as dockershim labels a pod's container (or its sandbox); no network, removed with the scope. */
  async function podContainer(pod: string, uid: string, container: string, script: string, o: { namespace?: string; type?: string; podLabels?: Record<string, string> } = {}): Promise<Container> {
    return runContainer({
      name: uniqueName('outage-lab-test'),
      image: await imageRef('base'),
      entrypoint: 'sh',
      args: ['-c', script],
      env: { POD: pod },
      labels: {
        ...o.podLabels,
        [SCOPE_LABEL]: scope.id,
        [LABELS.namespace]: o.namespace ?? 'devenv',
        [LABELS.pod]: pod,
        [LABELS.uid]: uid,
        [LABELS.container]: container,
        [LABELS.type]: o.type ?? 'container',
      },
      runArgs: ['--network', 'none', '--volume', `${ctl}:/ctl:ro`, '--log-driver', 'json-file'],
    });
  }

  let batches = 0;
  const writeBatch = (lines: number): void => writeFileSync(join(ctl, `batch-${++batches}`), String(lines));

  it('ships every line once through dockerd: a forced reconnect, a Kafka pause that holds the stream, a removed container', async () => {
    const counter = await newTopic();
    const pod = `devenv-dockerapi-${randomUUID().slice(0, 6)}`;
    const uid = randomUUID();
    const app = await podContainer(pod, uid, 'app', WRITER);
    // Same pod, another container: APP_CONTAINER=app must leave it alone.
    await podContainer(pod, uid, 'shipper', `printf '{"pod":"decoy","seq":1}\\n'; exec sleep 600`);
    writeBatch(1000);

    const retryLines: string[] = [];
    const cfg = shipperConfig({
      SHIPPER_SOURCE: 'docker-api',
      DOCKER_SOCKET: SOCKET,
      SHIPPER_SCOPE: 'pod',
      POD_NAME: pod,
      POD_NAMESPACE: 'devenv',
      POD_UID: uid,
      APP_CONTAINER: 'app',
      SHIPPER_STREAMS: 'stdout',
      DISCOVERY_INTERVAL_MS: '300',
      DOCKER_IDLE_MS: '1500',
      DOCKER_RECONNECT_MS: '200',
      DOCKER_TIMEOUT_MS: '5000',
      SHIPPER_MODE: 'backoff',
      BUFFER_MAX_LINES: '300',
      BATCH_MAX_LINES: '100',
      BACKOFF_INITIAL_MS: '100',
      BACKOFF_MAX_MS: '1000',
      POSITIONS_FILE: 'none',
      KAFKA_BROKERS: `127.0.0.1:${external}`,
      LOG_TOPIC: counter.topic,
      KAFKA_CREATE_TOPIC_PARTITIONS: '0',
      KAFKA_REQUEST_TIMEOUT_MS: '3000',
      KAFKA_CONNECT_TIMEOUT_MS: '1000',
      SHIPPER_PORT: '0',
      KAFKAJS_LOG_LEVEL: 'nothing',
      DRAIN_ON_STOP_MS: '0',
      SHIPPER_RETRY_LOG: 'every',
    });
    const s: Shipper = await startShipper(cfg, log, { retryOut: (l) => retryLines.push(l) });
    cleanups.push(() => s.stop());
    const stat = (name: string): number => s.registry.values()[name]!;

    // 1. The first batch, through dockerd.
    await until('1000 lines acknowledged', async () => stat('lines_sent_total') >= 1000, 60_000, 100);
    await until('consumer has them', async () => counter.distinct(pod) >= 1000, 30_000, 100);
    assert.deepEqual(counter.missing(pod, 1000), []);
    assert.deepEqual(counter.duplicates(pod), []);
    assert.equal(stat('streams'), 1, 'one container of the pod followed');

    // 2. Silence past DOCKER_IDLE_MS: the watchdog drops the connection and resumes with `since`.
    const r0 = stat('reconnects_total');
    await until('an idle reconnect', async () => stat('reconnects_total') > r0, 15_000, 100);
    writeBatch(500);
    await until('1500 lines acknowledged', async () => stat('lines_sent_total') >= 1500, 60_000, 100);
    await until('consumer has them', async () => counter.distinct(pod) >= 1500, 30_000, 100);
    assert.deepEqual(counter.missing(pod, 1500), []);
    assert.deepEqual(counter.duplicates(pod), [], 'a reconnect sends nothing twice');
    // dockerd's since is inclusive: the line at the resume timestamp came again and was skipped.
    assert.ok(stat('lines_reread_total') >= 1, `${stat('lines_reread_total')} lines re-read after the reconnect`);
    assert.equal(stat('lines_read_total'), 1500);

    // 3. Kafka unreachable: the buffer (300) fills, the stream holds while the app goes on writing.
    await docker(['pause', broker.name]);
    let paused = true;
    try {
      writeBatch(3000);
      await until('a failed send', async () => stat('send_errors_total') >= 1, 30_000, 100);
      await until('the stream held', async () => stat('streams_blocked') === 1, 30_000, 100);
      const held = stat('lines_read_total');
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(stat('lines_read_total'), held, 'nothing read while the buffer is full');
      assert.ok(held < 4500, `read ${held} of 4500 while Kafka was away`);
      assert.equal(stat('streams_blocked'), 1);
      assert.ok(retryLines.length >= 1, 'failed flushes on the retry log');
      assert.ok(retryLines.length <= stat('send_errors_total'), 'at most one line per failed attempt');
      const first = JSON.parse(retryLines[0]!) as { msg: string; retry: number };
      assert.equal(first.msg, 'failed to flush the buffer, retrying');
      assert.equal(first.retry, 1);
      await docker(['unpause', broker.name]);
      paused = false;
    } finally {
      if (paused) await docker(['unpause', broker.name], { allowFailure: true });
    }
    // The backlog comes through dockerd at flush speed.
    await until('every line acknowledged', async () => stat('lines_read_total') >= 4500 && stat('buffer_lines') === 0, 120_000, 100);
    await until('consumer has every line', async () => counter.distinct(pod) >= 4500, 60_000, 100);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(counter.missing(pod, 4500), []);
    assert.equal(stat('lines_read_total'), 4500, 'the source read each line once');
    assert.equal(retryLines.length, stat('send_errors_total'), 'SHIPPER_RETRY_LOG=every: one line per failed attempt');
    // Kafka is at-least-once across an outage: a batch the frozen broker took in before the timeout is
    // appended after the thaw and sent again. Nothing else may be duplicated.
    const dups = counter.duplicates(pod);
    assert.ok(dups.every((seq) => seq > 1500), `duplicates only from the outage: ${dups.slice(0, 5).join(',')}`);
    assert.ok(dups.length <= stat('send_errors_total') * 100, `${dups.length} duplicates from ${stat('send_errors_total')} failed sends of at most 100 lines`);
    assert.equal(counter.seen.has('decoy'), false, 'another container of the pod is not shipped');
    assert.equal(counter.seen.has('stderr-noise'), false, 'SHIPPER_STREAMS=stdout');
    assert.equal(counter.foreign, 0, 'every record is a whole line keyed by its pod');
    console.error(
      `[shipper docker-api] reconnects ${stat('reconnects_total')}, re-read ${stat('lines_reread_total')}, send errors ${stat('send_errors_total')}, ` +
        `retry lines ${retryLines.length}, duplicates after the pause ${dups.length}, bytes through dockerd ${stat('bytes_read_total')}`,
    );

    // 4. The container goes away: its stream ends and discovery drops it.
    await app.remove();
    await until('the stream of the removed container ended', async () => stat('streams') === 0, 30_000, 100);
  });

  it('the apps image as a DaemonSet shipper with the node\'s socket mounted: the pods its selector picks, through their sandboxes\' labels', async () => {
    const counter = await newTopic();
    const id = randomUUID().slice(0, 6);
    const namespace = `devenv-${id}`;
    const lines = (n: number) => `i=0; while [ $i -lt ${n} ]; do i=$((i+1)); printf '{"pod":"%s","seq":%d}\\n' "$POD" $i; done; exec sleep 600`;
    const pods = [
      { pod: `app-${id}-a`, uid: randomUUID(), app: `sel-${id}` },
      { pod: `app-${id}-b`, uid: randomUUID(), app: `other-${id}` },
    ];
    for (const p of pods) {
      // dockershim puts the pod's own labels on its sandbox only.
      await podContainer(p.pod, p.uid, 'POD', 'exec sleep 600', { namespace, type: 'podsandbox', podLabels: { app: p.app } });
      await podContainer(p.pod, p.uid, 'app', lines(2000), { namespace });
    }
    const shipper = await scope.run({
      name: 'shipper',
      image: await imageRef('apps'),
      args: ['node', '/app/shipper.mjs'],
      runArgs: ['--volume', `${SOCKET}:/var/run/docker.sock`],
      ports: [9101],
      env: {
        SHIPPER_SOURCE: 'docker-api',
        SHIPPER_SCOPE: 'node',
        SHIPPER_NAMESPACES: namespace,
        SHIPPER_SELECTOR: `app=sel-${id}`,
        APP_CONTAINER: 'app',
        SHIPPER_MODE: 'naive',
        KAFKA_BROKERS: 'kafka:9092',
        LOG_TOPIC: counter.topic,
        POSITIONS_FILE: '/tmp/positions.json',
        DISCOVERY_INTERVAL_MS: '500',
      },
      waitFor: forHttp(9101, '/healthz'),
      startupTimeoutMs: 30_000,
    });
    const stats = async () => (await (await fetch(`http://127.0.0.1:${shipper.hostPort(9101)}/stats`)).json()) as Record<string, number | string>;
    await until('2000 lines acknowledged by the shipper in the image', async () => (await stats()).lines_sent_total === 2000, 60_000, 200);
    await until('consumer has them', async () => counter.distinct(pods[0]!.pod) >= 2000, 30_000, 100);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(counter.missing(pods[0]!.pod, 2000), []);
    assert.deepEqual(counter.duplicates(pods[0]!.pod), []);
    assert.equal(counter.seen.has(pods[1]!.pod), false, 'a pod the selector does not pick is not shipped');
    const st = await stats();
    assert.equal(st.source, 'docker-api');
    assert.equal(st.streams, 1);
    assert.equal(st.retry_log, 'every');
    assert.doesNotMatch(await shipper.logs(), /"level":"(error|warn)"/);
  });
});
