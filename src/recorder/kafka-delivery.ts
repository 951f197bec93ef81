import type { Consumer, Producer } from 'kafkajs';
import type { RecordInput } from '../history/records.ts';
import { kafkaClient } from '../components/kafka.ts';

export interface PodDelivery {
  /** Distinct sequence numbers received: lines delivered. */
  unique: number;
  /** Messages received more than once (retries that did land twice). */
  duplicates: number;
  maxSeq: number;
}

/**
 * Counts, from the host, every log line that reached Kafka, per pod and sequence number: the ground truth
 * against which the apps' "lines written" and the shippers' counters are compared. The host's path to the
 * broker is never cut, so this sees exactly what the cluster managed to deliver.
 */
export class KafkaDelivery {
  readonly #seen = new Map<string, Set<number>>();
  readonly #dups = new Map<string, number>();
  readonly #maxSeq = new Map<string, number>();
  #sinceLast = new Map<string, number>();
  /** Write-to-receive delays (line timestamp to consumption) since the previous sample. */
  #delays: number[] = [];
  #consumer: Consumer | undefined;
  #producer: Producer | undefined;

  constructor(
    private readonly broker: string,
    private readonly runId: string,
  ) {}

  /** Resolves once the consumer has joined its group, so no line produced afterwards can be missed. */
  async start(): Promise<void> {
    const kafka = kafkaClient([this.broker], `outage-lab-recorder-${this.runId}`);
    this.#consumer = kafka.consumer({ groupId: `outage-lab-recorder-${this.runId}`, maxWaitTimeInMs: 500 });
    this.#producer = kafka.producer();
    await this.#producer.connect();
    await this.#consumer.connect();
    const joined = new Promise<void>((resolve) => this.#consumer!.on(this.#consumer!.events.GROUP_JOIN, () => resolve()));
    await this.#consumer.subscribe({ topic: 'logs', fromBeginning: false });
    await this.#consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) this.#count(m.value?.toString() ?? '', m.key?.toString());
      },
    });
    await joined;
  }

  #count(value: string, key: string | undefined): void {
    const written = /^\{"ts":"([^"]+)"/.exec(value);
    if (written) {
      const d = Date.now() - Date.parse(written[1]!);
      if (Number.isFinite(d) && this.#delays.length < 100_000) this.#delays.push(d);
    }
    const m = /"pod":"([^"]+)","seq":(\d+)/.exec(value);
    const pod = m?.[1] ?? key ?? '?';
    // Only the app's numbered stdout lines are accounted line by line; its own stderr logs ship too.
    if (m) {
      const seq = Number(m[2]);
      let set = this.#seen.get(pod);
      if (!set) this.#seen.set(pod, (set = new Set()));
      if (set.has(seq)) this.#dups.set(pod, (this.#dups.get(pod) ?? 0) + 1);
      else set.add(seq);
      if (seq > (this.#maxSeq.get(pod) ?? -1)) this.#maxSeq.set(pod, seq);
    }
    this.#sinceLast.set(pod, (this.#sinceLast.get(pod) ?? 0) + 1);
  }

  /** One sample: lines received per pod since the previous one, and a produce round trip from the host. */
  async sample(emit: (r: RecordInput) => void): Promise<void> {
    const received = Object.fromEntries(this.#sinceLast);
    this.#sinceLast = new Map();
    const delays = this.#delays.sort((a, b) => a - b);
    this.#delays = [];
    const q = (f: number) => delays[Math.min(delays.length - 1, Math.floor(delays.length * f))]!;
    const delay = delays.length ? { delay: { count: delays.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: delays.at(-1)! } } : {};
    const started = performance.now();
    try {
      await this.#producer!.send({ topic: 'metrics', messages: [{ key: 'recorder-probe', value: String(Date.now()) }] });
      emit({ type: 'kafka', source: 'probe/kafka', topic: 'logs', received, ...delay, produceMs: performance.now() - started });
    } catch (err) {
      emit({ type: 'kafka', source: 'probe/kafka', topic: 'logs', received, ...delay, error: (err as Error).message });
    }
  }

  totals(): Record<string, PodDelivery> {
    const out: Record<string, PodDelivery> = {};
    for (const [pod, set] of this.#seen) {
      out[pod] = { unique: set.size, duplicates: this.#dups.get(pod) ?? 0, maxSeq: this.#maxSeq.get(pod) ?? -1 };
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect().catch(() => {});
    await this.#producer?.disconnect().catch(() => {});
  }
}
