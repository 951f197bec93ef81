import type { HistoryWriter } from '../history/writer.ts';
import type { RecordInput } from '../history/records.ts';
import type { Clients } from '../cluster/kube.ts';
import type { Secret } from '../secrets/secret.ts';
import { consulClient } from '../components/consul.ts';
import { CpuSampler, cpuSamplingSupported, type NodeTarget } from './cpu-sampler.ts';
import { K8sRecorder } from './k8s-recorder.ts';
import { KafkaDelivery } from './kafka-delivery.ts';
import { Periodic } from './periodic.ts';
import { pollPodStats, type StatsTarget } from './pod-stats.ts';
import { probeConsul, probeConsulTelemetry, vaultProbe } from './service-probes.ts';

export interface RecorderOptions {
  runId: string;
  history: HistoryWriter;
  clients: Clients;
  nodes: NodeTarget[];
  podNamespaces: string[];
  samplePeriodMs: number;
  statsPeriodMs: number;
  consulPort: number;
  vaultPort: number;
  vaultToken: Secret | undefined;
  kafkaBroker: string;
  statsTargets: StatsTarget[];
  /** Watchers only, no samplers: the baseline of the recorder-overhead benchmark. */
  samplers: boolean;
}

/**
 * Everything the lab observes, appended to one history. Each part reports its own failures as gap
 * records (a watcher that could not see) or as failed probes (a component that did not answer).
 */
/** The note the recorder writes when it starts to wind down. */
export const RECORDER_STOPPING = 'recorder stopping';

export class Recorder {
  readonly #k8s: K8sRecorder;
  readonly #periodic: Periodic[] = [];
  readonly delivery: KafkaDelivery;
  /** The last counters each in-pod program reported, for the end-of-run delivery check. */
  readonly lastStats = new Map<string, Record<string, number>>();

  constructor(private readonly o: RecorderOptions) {
    this.#k8s = new K8sRecorder(o.clients.kc, o.clients.core, this.emit, o.podNamespaces);
    this.delivery = new KafkaDelivery(o.kafkaBroker, o.runId);
  }

  emit = (r: RecordInput): void => {
    this.o.history.append(r);
  };

  #sampler(name: string, periodMs: number, fn: () => Promise<void> | void): void {
    let failingSince: string | undefined;
    const p = new Periodic(
      periodMs,
      async () => {
        await fn();
        if (failingSince) {
          // The closing record of the gap: same source and start, now with its end.
          this.emit({ type: 'gap', source: `sampler/${name}`, from: failingSince, to: new Date().toISOString(), reason: 'sampler-error' });
          failingSince = undefined;
        }
      },
      (err) => {
        // A sampler that throws could not observe: that is a gap in its series, said out loud.
        if (!failingSince) {
          failingSince = new Date().toISOString();
          this.emit({ type: 'gap', source: `sampler/${name}`, from: failingSince, reason: 'sampler-error', error: (err as Error).message });
        }
      },
    );
    this.#periodic.push(p);
  }

  async start(): Promise<void> {
    this.#k8s.start();
    await this.delivery.start();
    this.#sampler('kafka', this.o.samplePeriodMs, () => this.delivery.sample(this.emit));
    if (this.o.samplers) {
      if (cpuSamplingSupported()) {
        const cpu = new CpuSampler(this.o.nodes, this.emit);
        this.#sampler('cpu', this.o.samplePeriodMs, () => cpu.sample());
      } else {
        this.emit({ type: 'gap', source: 'sampler/cpu', from: new Date().toISOString(), reason: 'unsupported', error: 'no cgroup v1 accounting for Docker containers on this host: per-node CPU is not observed' });
      }
      const consul = consulClient(this.o.consulPort, Math.max(2000, this.o.samplePeriodMs * 3));
      this.#sampler('consul', this.o.samplePeriodMs, () => probeConsul(consul, this.emit));
      this.#sampler('consul-telemetry', this.o.statsPeriodMs, () => probeConsulTelemetry(this.o.consulPort, this.emit));
      const vault = vaultProbe(this.o.vaultPort, this.o.vaultToken);
      this.#sampler('vault', this.o.samplePeriodMs, () => vault(this.emit));
      for (const t of this.o.statsTargets) {
        this.#sampler(`stats-${t.component}`, this.o.statsPeriodMs, () =>
          pollPodStats(this.o.clients.core, t, this.emit, (pod, counters) => this.lastStats.set(`${t.component}/${pod}`, counters)),
        );
      }
    }
    for (const p of this.#periodic) p.start();
  }

  async stop(): Promise<void> {
    // Samplers end at different moments (a pod-stats sweep can take seconds): this marks where observing
    // ended on purpose, so the analysis does not read the wind-down as a blind spot.
    this.emit({ type: 'note', source: 'recorder', text: RECORDER_STOPPING });
    await Promise.all(this.#periodic.map((p) => p.stop()));
    await this.#k8s.stop();
    await this.delivery.stop();
  }

  relists(): number {
    return this.#k8s.relists();
  }
}
