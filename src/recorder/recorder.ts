import type { HistoryWriter } from '../history/writer.ts';
import type { RecordInput } from '../history/records.ts';
import type { Clients } from '../cluster/kube.ts';
import type { Secret } from '../secrets/secret.ts';
import { LabError } from '../util/errors.ts';
import { consulClient } from '../components/consul.ts';
import { CpuSampler, cpuSamplingSupported, type NodeTarget } from './cpu-sampler.ts';
import { K8sRecorder } from './k8s-recorder.ts';
import { KubeletSummarySampler } from './kubelet-summary.ts';
import { KafkaDelivery } from './kafka-delivery.ts';
import { KubeletPlegSampler, PLEG_SAMPLE_PERIOD_MS } from './kubelet-pleg.ts';
import { NodeLeaseRecorder } from './node-leases.ts';
import { HOST_LOAD_SOURCE, HOST_SAMPLE_PERIOD_MS, HostLoadSampler, hostLoadSupported } from './host-load.ts';
import { Periodic } from './periodic.ts';
import { pollPodStats, type StatsTarget } from './pod-stats.ts';
import { probeConsul, probeConsulTelemetry, vaultProbe } from './service-probes.ts';
import { probeRuntime } from './runtime-probe.ts';
import type { RuntimeProvider } from '../runtime/provider.ts';

/** One cluster the recorder watches: its API server, its Consul and its Vault. */
export interface RecorderCluster {
  /** Written as `cluster` on every record about this cluster in a split run; unset for a lab of one cluster, whose records stay as they were. */
  index?: number;
  name: string;
  clients: Clients;
  consulPort: number;
  vaultPort: number;
  vaultToken: Secret | undefined;
}

/** The runtime probe's period: a `docker ps` every second per node would itself load the daemon it measures. */
export const RUNTIME_PROBE_PERIOD_MS = 5000;

export interface RecorderOptions {
  runId: string;
  history: HistoryWriter;
  /** One cluster, or the two of a split run. */
  clusters: RecorderCluster[];
  /** Every node container of every cluster (one CPU sampler reads them all). */
  nodes: NodeTarget[];
  podNamespaces: string[];
  samplePeriodMs: number;
  statsPeriodMs: number;
  kafkaBroker: string;
  statsTargets: StatsTarget[];
  /** Watchers only, no samplers: the baseline of the recorder-overhead benchmark. */
  samplers: boolean;
  /** The nodes' container runtime: which processes the CPU sampler counts as the runtime (containerd if unset). */
  runtime?: Pick<RuntimeProvider, 'processPart' | 'probeCommand' | 'name'>;
  /** Where node, runtime, kubelet and pod CPU come from (default: cpuSourcesFromEnv()). */
  cpuSources?: readonly CpuSource[];
}

/**
 * 'docker': the kind node containers' cgroups and processes, read on this host (1 s, shims apart);
 * 'kubelet': each kubelet's summary API through the API server (about 10 s, any cluster). On kind both
 * run and analysis prefers the Docker one per node; where the host cannot read the nodes, only the kubelet's.
 */
export const CPU_SOURCES = ['docker', 'kubelet'] as const;
export type CpuSource = (typeof CPU_SOURCES)[number];

/** LAB_CPU_SOURCES=docker,kubelet (the default), =kubelet (as on a cluster the host cannot see into)... */
export function cpuSourcesFromEnv(value: string | undefined = process.env.LAB_CPU_SOURCES): CpuSource[] {
  if (value === undefined || value.trim() === '') return [...CPU_SOURCES];
  const parts = value.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = parts.filter((x) => !(CPU_SOURCES as readonly string[]).includes(x));
  if (bad.length || parts.length === 0) {
    throw new LabError(`LAB_CPU_SOURCES: "${value}" is not a list of CPU sources`, `allowed: a comma-separated list of ${CPU_SOURCES.join(', ')}`);
  }
  return [...new Set(parts)] as CpuSource[];
}

/** The observer named in Consul pool records: the one pool of a one-cluster lab keeps the name it always had. */
export function consulObserver(c: Pick<RecorderCluster, 'index' | 'name'>): string {
  return c.index === undefined ? 'consul-server (via NodePort)' : `consul-server of ${c.name} (via NodePort)`;
}

/**
 * Everything the lab observes, appended to one history. Each part reports its own failures as gap
 * records (a watcher that could not see) or as failed probes (a component that did not answer).
 */
/** The note the recorder writes when it starts to wind down. */
export const RECORDER_STOPPING = 'recorder stopping';

export class Recorder {
  readonly #k8s: K8sRecorder[];
  readonly #leases: NodeLeaseRecorder[];
  readonly #periodic: Periodic[] = [];
  readonly delivery: KafkaDelivery;
  /** The last counters each in-pod program reported, for the end-of-run delivery check. */
  readonly lastStats = new Map<string, Record<string, number>>();

  constructor(private readonly o: RecorderOptions) {
    this.#k8s = o.clusters.map((c) => new K8sRecorder(c.clients.kc, c.clients.core, this.emitFor(c), o.podNamespaces));
    // Lease renewals are how the control plane judges a kubelet alive: watched like nodes, samplers or not.
    this.#leases = o.clusters.map((c) => new NodeLeaseRecorder(c.clients.kc, this.emitFor(c)));
    this.delivery = new KafkaDelivery(o.kafkaBroker, o.runId);
  }

  emit = (r: RecordInput): void => {
    this.o.history.append(r);
  };

  /** What the parts watching one cluster write through: the cluster's index on every record, gaps included. */
  emitFor(c: Pick<RecorderCluster, 'index'>): (r: RecordInput) => void {
    const index = c.index;
    return index === undefined ? this.emit : (r) => this.emit({ ...r, cluster: index });
  }

  #sampler(name: string, periodMs: number, fn: () => Promise<void> | void, emit: (r: RecordInput) => void = this.emit): void {
    let failingSince: string | undefined;
    const p = new Periodic(
      periodMs,
      async () => {
        await fn();
        if (failingSince) {
          // The closing record of the gap: same source and start, now with its end.
          emit({ type: 'gap', source: `sampler/${name}`, from: failingSince, to: new Date().toISOString(), reason: 'sampler-error' });
          failingSince = undefined;
        }
      },
      (err) => {
        // A sampler that throws could not observe: that is a gap in its series, said out loud.
        if (!failingSince) {
          failingSince = new Date().toISOString();
          emit({ type: 'gap', source: `sampler/${name}`, from: failingSince, reason: 'sampler-error', error: (err as Error).message });
        }
      },
    );
    this.#periodic.push(p);
  }

  async start(): Promise<void> {
    for (const k of this.#k8s) k.start();
    for (const l of this.#leases) l.start();
    await this.delivery.start();
    this.#sampler('kafka', this.o.samplePeriodMs, () => this.delivery.sample(this.emit));
    if (this.o.samplers) {
      const sources = this.o.cpuSources ?? cpuSourcesFromEnv();
      if (sources.includes('docker') && cpuSamplingSupported()) {
        const cpu = new CpuSampler(this.o.nodes, this.emit, this.o.runtime);
        this.#sampler('cpu', this.o.samplePeriodMs, () => cpu.sample());
      } else if (sources.includes('docker')) {
        this.emit({ type: 'gap', source: 'sampler/cpu', from: new Date().toISOString(), reason: 'unsupported', error: 'no cgroup v1 accounting for Docker containers on this host: per-node CPU is not observed' });
      }
      // What else this machine ran beside the nodes: only where the nodes are containers on this host.
      const host = hostLoadSupported(this.o.nodes);
      if (host.ok) {
        const sampler = new HostLoadSampler(this.emit);
        this.#sampler('host', HOST_SAMPLE_PERIOD_MS, () => sampler.sample());
      } else {
        this.emit({ type: 'gap', source: HOST_LOAD_SOURCE, from: new Date().toISOString(), reason: 'unsupported', affects: ['host-load'], error: host.why });
      }
      if (this.o.runtime) {
        const runtime = this.o.runtime;
        // Each node on its own clock: a node whose runtime hangs must not delay the probes of the others.
        for (const n of this.o.nodes) this.#sampler(`runtime-${n.name}`, RUNTIME_PROBE_PERIOD_MS, () => probeRuntime(n, runtime, this.emit));
      }
      for (const c of this.o.clusters) {
        // Per-node gaps are the sampler's own (affects kubelet-pleg, one node); a sweep that throws (the node
        // list) is a gap of the whole sampler.
        const pleg = new KubeletPlegSampler(c.clients.core, this.emitFor(c));
        this.#sampler('kubelet-pleg', PLEG_SAMPLE_PERIOD_MS, () => pleg.sample(), this.emitFor(c));
      }
      if (sources.includes('kubelet')) {
        for (const c of this.o.clusters) {
          // The kubelet refreshes its numbers about every 10 s: polling faster only loads the API server.
          const kubelet = new KubeletSummarySampler(c.clients.core, this.emitFor(c));
          this.#sampler('kubelet-summary', this.o.statsPeriodMs, async () => void (await kubelet.sample()), this.emitFor(c));
        }
      }
      // Each cluster's own Consul, Vault and in-pod programs, through its own loopback ports and API server.
      for (const c of this.o.clusters) {
        const emit = this.emitFor(c);
        const observer = consulObserver(c);
        const consul = consulClient(c.consulPort, Math.max(2000, this.o.samplePeriodMs * 3));
        this.#sampler('consul', this.o.samplePeriodMs, () => probeConsul(consul, emit, observer), emit);
        this.#sampler('consul-telemetry', this.o.statsPeriodMs, () => probeConsulTelemetry(c.consulPort, emit, observer), emit);
        const vault = vaultProbe(c.vaultPort, c.vaultToken);
        this.#sampler('vault', this.o.samplePeriodMs, () => vault(emit), emit);
        for (const t of this.o.statsTargets) {
          this.#sampler(`stats-${t.component}`, this.o.statsPeriodMs, () =>
            pollPodStats(c.clients.core, t, emit, (pod, counters) => this.lastStats.set(`${t.component}/${pod}`, counters)),
          emit);
        }
      }
    }
    for (const p of this.#periodic) p.start();
  }

  async stop(): Promise<void> {
    // Samplers end at different moments (a pod-stats sweep can take seconds): this marks where observing
    // ended on purpose, so the analysis does not read the wind-down as a blind spot.
    this.emit({ type: 'note', source: 'recorder', text: RECORDER_STOPPING });
    await Promise.all(this.#periodic.map((p) => p.stop()));
    await Promise.all([...this.#k8s, ...this.#leases].map((k) => k.stop()));
    await this.delivery.stop();
  }

  relists(): number {
    return [...this.#k8s, ...this.#leases].reduce((n, k) => n + k.relists(), 0);
  }
}
