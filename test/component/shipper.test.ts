// The log shipper against a real Kafka broker: fabricated CRI log files in a temp dir stand in for
// /var/log/pods; the shipper (in-process, and once as the apps image) tails them with the `file`
// source; a kafkajs consumer counts what arrived, per pod and sequence number. Kafka is made
// unreachable with `docker pause` (packets go nowhere, like a cut network: sends time out).
import { kafkaBrokerEnv } from '../../src/components/kafka.ts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { createLogger } from '../../src/apps/lib/log.ts';
import { shipperConfig } from '../../src/apps/shipper/config.ts';
import { startShipper, type Shipper } from '../../src/apps/shipper/shipper.ts';
import { docker } from '../../src/docker/cli.ts';
import { DockerScope, forHttp, forLog, freePort, until, type Container } from '../../src/docker/containers.ts';
import { imageRef } from '../../src/images/catalog.ts';

const log = createLogger('shipper-test', { level: (process.env.SHIPPER_TEST_LOG as 'debug' | undefined) ?? 'error' });

/** Writes one container's log the way containerd and the kubelet do: CRI lines, rotation, restarts. */
class FakePodLog {
  readonly dir: string;
  private restart = 0;
  private rotations = 0;
  seq = 0;

  constructor(root: string, readonly pod: string, readonly namespace = 'devenv', container = 'app') {
    this.dir = join(root, `${namespace}_${pod}_${randomUUID()}`, container);
    mkdirSync(this.dir, { recursive: true });
  }

  private get live(): string {
    return join(this.dir, `${this.restart}.log`);
  }

  /** `n` app lines; every `partialEvery`-th one split into P records like a line over 16 KiB would be. */
  write(n: number, partialEvery = 0): void {
    let out = '';
    for (let i = 0; i < n; i++) {
      const line = JSON.stringify({ pod: this.pod, seq: ++this.seq, pad: 'x'.repeat(120) });
      const ts = new Date().toISOString().replace('Z', '123456Z');
      if (partialEvery > 0 && this.seq % partialEvery === 0) {
        const third = Math.ceil(line.length / 3);
        out += `${ts} stdout P ${line.slice(0, third)}\n${ts} stdout P ${line.slice(third, 2 * third)}\n${ts} stdout F ${line.slice(2 * third)}\n`;
      } else {
        out += `${ts} stdout F ${line}\n`;
      }
    }
    appendFileSync(this.live, out);
  }

  /** The kubelet's rotation: rename the live file, the runtime reopens a new one. */
  rotate(): void {
    renameSync(this.live, `${this.live}.20240501-10000${this.rotations++}`);
  }

  /** A container restart: the next lines go to N+1.log. */
  restartContainer(): void {
    this.restart++;
  }
}

/** Everything that arrived on a topic: per pod, how many times each seq was seen. */
class TopicCounter {
  readonly seen = new Map<string, Map<number, number>>();
  records = 0;
  keyMismatch = 0;
  private consumer: Consumer | null = null;

  constructor(private readonly kafka: Kafka, readonly topic: string) {}

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: `shipper-test-${randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const v = JSON.parse(message.value!.toString()) as { pod: string; seq: number };
        if (message.key?.toString() !== v.pod) this.keyMismatch++;
        const m = this.seen.get(v.pod) ?? new Map<number, number>();
        m.set(v.seq, (m.get(v.seq) ?? 0) + 1);
        this.seen.set(v.pod, m);
        this.records++;
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  distinct(): number {
    let n = 0;
    for (const m of this.seen.values()) n += m.size;
    return n;
  }

  duplicates(): number {
    return this.records - this.distinct();
  }

  missing(pod: string, upTo: number): number[] {
    const m = this.seen.get(pod) ?? new Map();
    return Array.from({ length: upTo }, (_, i) => i + 1).filter((s) => !m.has(s));
  }
}

describe('log shipper against a real Kafka', { timeout: 600_000 }, () => {
  const scope = new DockerScope('shipper');
  let broker: Container;
  let external: number;
  let kafka: Kafka;
  let root: string;
  const cleanups: Array<() => Promise<void>> = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'shipper-component-'));
    external = await freePort();
    broker = await scope.run({
      name: 'kafka',
      image: await imageRef('kafka'),
      ports: [{ container: external, host: external }],
      env: kafkaBrokerEnv({ advertised: 'kafka:9092', hostPort: external, controllerHost: 'kafka', clusterId: Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url') }),
      waitFor: forLog(/Kafka Server started/),
      startupTimeoutMs: 120_000,
    });
    kafka = new Kafka({ clientId: 'shipper-test', brokers: [`127.0.0.1:${external}`], logLevel: logLevel.NOTHING });
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await docker(['unpause', broker?.name ?? 'none'], { allowFailure: true });
    await scope.dispose();
    rmSync(root, { recursive: true, force: true });
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

  async function ship(logRoot: string, topic: string, env: Record<string, string>): Promise<Shipper> {
    const cfg = shipperConfig({
      SHIPPER_SOURCE: 'file',
      SHIPPER_SCOPE: 'node',
      SHIPPER_NAMESPACES: 'devenv',
      APP_CONTAINER: 'app',
      LOG_ROOT: logRoot,
      POSITIONS_FILE: join(logRoot, '..', `${topic}-positions.json`),
      POSITIONS_SAVE_MS: '200',
      TAIL_POLL_MS: '50',
      DISCOVERY_INTERVAL_MS: '200',
      KAFKA_BROKERS: `127.0.0.1:${external}`,
      LOG_TOPIC: topic,
      KAFKA_CREATE_TOPIC_PARTITIONS: '0',
      KAFKA_REQUEST_TIMEOUT_MS: '3000',
      KAFKA_CONNECT_TIMEOUT_MS: '1000',
      BACKOFF_INITIAL_MS: '100',
      BACKOFF_MAX_MS: '1000',
      SHIPPER_PORT: '0',
      KAFKAJS_LOG_LEVEL: 'nothing',
      DRAIN_ON_STOP_MS: '0',
      // The retry log goes to stdout, here the test runner's; naive's tight loop would flood it
      // (shipper-docker.test.ts checks the retry log).
      SHIPPER_RETRY_LOG: 'off',
      ...env,
    });
    const s = await startShipper(cfg, log);
    cleanups.push(() => s.stop());
    return s;
  }

  const stat = (s: Shipper, name: string): number => s.registry.values()[name]!;

  it('(a) delivers every line exactly once: partial lines, rotation, restart, and a shipper restart', async () => {
    const logRoot = join(root, 'a');
    mkdirSync(logRoot);
    const counter = await newTopic();
    const pods = ['devenv-a', 'devenv-b', 'devenv-c'].map((p) => new FakePodLog(logRoot, p));
    const other = new FakePodLog(logRoot, 'kafka-0', 'infra'); // another namespace: not shipped
    other.write(50);
    for (const p of pods) p.write(2000, 7);
    let s = await ship(logRoot, counter.topic, { SHIPPER_MODE: 'backoff' });
    await until('first 6000 lines acknowledged', async () => stat(s, 'lines_sent_total') >= 6000, 60_000, 100);
    pods[0]!.rotate();
    pods[1]!.restartContainer();
    for (const p of pods) p.write(1000, 5);
    await until('9000 lines acknowledged', async () => stat(s, 'lines_sent_total') >= 9000, 60_000, 100);
    await s.stop();

    // A new shipper process with the same positions file must resume, not resend.
    for (const p of pods) p.write(500);
    s = await ship(logRoot, counter.topic, { SHIPPER_MODE: 'backoff' });
    await until('the 1500 new lines acknowledged', async () => stat(s, 'lines_sent_total') >= 1500, 60_000, 100);
    await until('consumer caught up', async () => counter.records >= 10_500, 30_000, 100);
    await new Promise((r) => setTimeout(r, 1500)); // anything extra (a resend) would show up now

    for (const p of pods) assert.deepEqual(counter.missing(p.pod, 3500), [], `${p.pod}: lines missing`);
    assert.equal(counter.duplicates(), 0, 'no line delivered twice');
    assert.equal(counter.records, 10_500);
    assert.equal(counter.seen.has('kafka-0'), false, 'other namespaces are not shipped');
    assert.equal(counter.keyMismatch, 0, 'key = pod name');
    assert.equal(stat(s, 'lines_read_total'), 1500, 'the restarted shipper read only the new lines');
    assert.equal(stat(s, 'lines_sent_total'), 1500);
    assert.equal(stat(s, 'buffer_lines'), 0);
    assert.equal(stat(s, 'send_errors_total'), 0);
  });

  for (const mode of ['naive', 'backoff', 'ratelimited'] as const) {
    it(`(b) ${mode}: buffers while Kafka is unreachable and delivers everything when it is back`, async () => {
      const logRoot = join(root, `b-${mode}`);
      mkdirSync(logRoot);
      const counter = await newTopic();
      const pod = new FakePodLog(logRoot, `devenv-${mode}`);
      pod.write(500);
      const s = await ship(logRoot, counter.topic, { SHIPPER_MODE: mode, RATE_LINES_PER_SEC: '2000', BATCH_MAX_LINES: '200' });
      await until('warm-up lines acknowledged', async () => stat(s, 'lines_sent_total') >= 500, 60_000, 100);

      await docker(['pause', broker.name]);
      let paused = true;
      try {
        for (let i = 0; i < 10; i++) {
          pod.write(400);
          await new Promise((r) => setTimeout(r, 300));
        }
        await until('lines read during the outage', async () => stat(s, 'lines_read_total') >= 4500, 30_000, 100);
        await until('a failed send', async () => stat(s, 'send_errors_total') >= 1, 30_000, 100);
        assert.ok(stat(s, 'buffer_lines') >= 3500, `buffered ${stat(s, 'buffer_lines')}`);
        assert.equal(stat(s, 'kafka_reachable'), 0);
        const attemptsWhileDown = stat(s, 'send_attempts_total');
        await docker(['unpause', broker.name]);
        paused = false;
        await until('backlog acknowledged', async () => stat(s, 'buffer_lines') === 0 && stat(s, 'lines_sent_total') >= 4500, 60_000, 100);
        await until('consumer has every line', async () => counter.distinct() >= 4500, 30_000, 100);
        assert.deepEqual(counter.missing(pod.pod, 4500), []);
        assert.equal(stat(s, 'lines_dropped_total'), 0);
        assert.equal(stat(s, 'kafka_reachable'), 1);
        assert.ok(stat(s, 'buffer_peak_lines') >= 3500);
        // A batch the frozen broker had already received may be appended after the timeout and then
        // resent: delivery is at-least-once across a cut, bounded by the batches that timed out.
        const dups = counter.duplicates();
        assert.ok(dups <= stat(s, 'send_errors_total') * 4500, `${dups} duplicates`);
        console.error(
          `[shipper ${mode}] attempts while down: ${attemptsWhileDown}, send errors: ${stat(s, 'send_errors_total')}, ` +
            `peak buffer: ${stat(s, 'buffer_peak_lines')} lines, duplicates after the cut: ${dups}`,
        );
      } finally {
        if (paused) await docker(['unpause', broker.name], { allowFailure: true });
      }
    });
  }

  it('(b) stopped broker: naive retries in a tight loop, backoff a few times; both deliver everything after the restart', async () => {
    const logRoot = join(root, 'b-stop');
    mkdirSync(logRoot);
    const cNaive = await newTopic();
    const cBackoff = await newTopic();
    // Two shippers over disjoint pods, so their attempts are counted separately over the same outage.
    const naiveRoot = join(logRoot, 'naive');
    const backoffRoot = join(logRoot, 'backoff');
    mkdirSync(naiveRoot);
    mkdirSync(backoffRoot);
    const pN = new FakePodLog(naiveRoot, 'devenv-stop-naive');
    const pB = new FakePodLog(backoffRoot, 'devenv-stop-backoff');
    pN.write(100);
    pB.write(100);
    const naive = await ship(naiveRoot, cNaive.topic, { SHIPPER_MODE: 'naive' });
    const backoff = await ship(backoffRoot, cBackoff.topic, { SHIPPER_MODE: 'backoff', BACKOFF_INITIAL_MS: '100', BACKOFF_MAX_MS: '2000' });
    await until('warm-up', async () => stat(naive, 'lines_sent_total') >= 100 && stat(backoff, 'lines_sent_total') >= 100, 60_000, 100);
    await docker(['stop', '--time', '5', broker.name]);
    const t0 = Date.now();
    const a0 = { n: stat(naive, 'send_attempts_total'), b: stat(backoff, 'send_attempts_total') };
    pN.write(1000);
    pB.write(1000);
    await new Promise((r) => setTimeout(r, 10_000));
    const downS = (Date.now() - t0) / 1000;
    const attempts = { n: stat(naive, 'send_attempts_total') - a0.n, b: stat(backoff, 'send_attempts_total') - a0.b };
    await docker(['start', broker.name]);
    console.error(
      `[shipper stopped broker ${downS.toFixed(1)} s] naive: ${attempts.n} attempts (${(attempts.n / downS).toFixed(0)}/s); ` +
        `backoff: ${attempts.b} attempts (${(attempts.b / downS).toFixed(1)}/s)`,
    );
    assert.ok(attempts.n > 10 * attempts.b, `naive ${attempts.n} vs backoff ${attempts.b} attempts`);
    assert.ok(attempts.b >= 3 && attempts.b <= 20, `backoff made ${attempts.b} attempts in ${downS} s`);
    await until('both backlogs acknowledged after the restart', async () => stat(naive, 'buffer_lines') === 0 && stat(backoff, 'buffer_lines') === 0, 120_000, 200);
    await until('consumers caught up', async () => cNaive.distinct() >= 1100 && cBackoff.distinct() >= 1100, 60_000, 200);
    assert.deepEqual(cNaive.missing(pN.pod, 1100), []);
    assert.deepEqual(cBackoff.missing(pB.pod, 1100), []);
  });

  it('(b) drop-oldest: keeps the newest lines within its bound and counts every dropped one', async () => {
    const logRoot = join(root, 'b-drop');
    mkdirSync(logRoot);
    const counter = await newTopic();
    const pod = new FakePodLog(logRoot, 'devenv-drop');
    pod.write(100);
    const s = await ship(logRoot, counter.topic, { SHIPPER_MODE: 'drop-oldest', BUFFER_MAX_LINES: '300' });
    await until('warm-up lines acknowledged', async () => stat(s, 'lines_sent_total') >= 100, 60_000, 100);
    await docker(['pause', broker.name]);
    let paused = true;
    try {
      pod.write(3000);
      await until('all lines read', async () => stat(s, 'lines_read_total') >= 3100, 30_000, 100);
      assert.ok(stat(s, 'buffer_lines') <= 300, `buffer ${stat(s, 'buffer_lines')} over its bound`);
      assert.ok(stat(s, 'lines_dropped_total') >= 2700 - 150, `${stat(s, 'lines_dropped_total')} dropped`);
      await docker(['unpause', broker.name]);
      paused = false;
      await until('buffer drained', async () => stat(s, 'buffer_lines') === 0, 60_000, 100);
      await until('consumer caught up', async () => counter.distinct() >= stat(s, 'lines_sent_total') - counter.duplicates(), 30_000, 100);
      await new Promise((r) => setTimeout(r, 1000));
      const missing = counter.missing(pod.pod, 3100);
      assert.equal(missing.length, stat(s, 'lines_dropped_total'), 'every line not delivered is counted as dropped');
      assert.equal(counter.distinct() + stat(s, 'lines_dropped_total'), 3100);
      assert.ok(!missing.includes(3100), 'the newest line was kept');
      assert.ok(missing.includes(1000), 'old lines were dropped');
      console.error(`[shipper drop-oldest] dropped ${stat(s, 'lines_dropped_total')} of 3000 written during the outage; delivered ${counter.distinct()}`);
    } finally {
      if (paused) await docker(['unpause', broker.name], { allowFailure: true });
    }
  });

  it('the apps image ships a mounted pod log directory to Kafka', async () => {
    const logRoot = join(root, 'image');
    mkdirSync(logRoot);
    const counter = await newTopic();
    const pod = new FakePodLog(logRoot, 'devenv-img');
    pod.write(2000, 9);
    const port = await freePort();
    const shipper = await scope.run({
      name: 'shipper',
      image: await imageRef('apps'),
      args: ['node', '/app/shipper.mjs'],
      runArgs: ['--volume', `${logRoot}:/var/log/pods:ro`],
      ports: [{ container: 9101, host: port }],
      env: {
        SHIPPER_SCOPE: 'node',
        SHIPPER_SOURCE: 'file',
        SHIPPER_MODE: 'naive',
        APP_CONTAINER: 'app',
        KAFKA_BROKERS: 'kafka:9092',
        LOG_TOPIC: counter.topic,
        POSITIONS_FILE: '/tmp/positions.json',
      },
      waitFor: forHttp(9101, '/healthz'),
      startupTimeoutMs: 30_000,
    });
    const stats = async () => (await (await fetch(`http://127.0.0.1:${shipper.hostPort(9101)}/stats`)).json()) as Record<string, number | string>;
    await until('2000 lines acknowledged by the shipper in the image', async () => (await stats()).lines_sent_total === 2000, 60_000, 200);
    await until('consumer has them', async () => counter.distinct() >= 2000, 30_000, 100);
    assert.deepEqual(counter.missing(pod.pod, 2000), []);
    assert.equal(counter.duplicates(), 0);
    const st = await stats();
    assert.equal(st.mode, 'naive');
    assert.equal(st.source, 'file');
    assert.equal(st.partial_lines_joined_total, Math.floor(2000 / 9));
    const metrics = await (await fetch(`http://127.0.0.1:${shipper.hostPort(9101)}/metrics`)).text();
    assert.match(metrics, /^shipper_lines_sent_total 2000$/m);
    assert.doesNotMatch(await shipper.logs(), /"level":"error"/);
  });
});
