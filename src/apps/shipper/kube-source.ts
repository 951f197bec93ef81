// The `kubelet-api` source: one log stream per selected container. Sidecar: its own pod. DaemonSet:
// the pods the API lists on this node (fieldSelector spec.nodeName, labelSelector SHIPPER_SELECTOR).
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../lib/clock.ts';
import { errorMessage, type Logger } from '../lib/log.ts';
import { PeriodicLoop } from '../lib/periodic.ts';
import { KubeLogStream, type KubeStreamOptions } from './kube-stream.ts';
import type { Positions } from './positions.ts';
import type { Selection } from './selection.ts';
import { StreamSet } from './stream-set.ts';
import type { Emitter, Source, SourceStats, Target } from './source.ts';
import { withTimeout } from '../lib/timeout.ts';

/** Longer than any healthy list, short enough that discovery resumes within a few rounds. */
const LIST_TIMEOUT_MS = 15_000;

export interface KubeSourceOptions {
  scope: 'pod' | 'node';
  /** Own pod (scope pod). */
  self: { namespace: string; pod: string; uid: string | undefined };
  nodeName: string | undefined;
  namespaces: readonly string[];
  labelSelector: string | undefined;
  containers: readonly string[];
  selection: Selection;
  discoveryMs: number;
  stream: KubeStreamOptions;
}

export class KubeSource implements Source {
  private readonly streams: StreamSet<Target, KubeLogStream>;
  private readonly api: CoreV1Api;
  private readonly loop: PeriodicLoop;

  constructor(
    private readonly opts: KubeSourceOptions,
    kc: KubeConfig,
    emit: Emitter,
    stats: SourceStats,
    positions: Positions,
    clock: Clock,
    log: Logger,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.loop = new PeriodicLoop(clock, { everyMs: opts.discoveryMs, onError: (e) => log.warn('pod discovery failed', { error: errorMessage(e) }) }, () => this.discover());
    this.streams = new StreamSet((t) => new KubeLogStream(t, opts.stream, { kc, emit, stats, log, clock, position: positions.get(t.id) }), { stats, positions, log, via: 'kubelet-api' });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.streams.stopAll();
  }

  private async targets(): Promise<Target[]> {
    const o = this.opts;
    if (o.scope === 'pod') {
      const uid = o.self.uid ?? '-';
      return o.containers
        .filter((c) => c !== '*')
        .map((c) => ({ id: `${o.self.namespace}/${o.self.pod}/${uid}/${c}`, namespace: o.self.namespace, pod: o.self.pod, container: c, key: o.self.pod }));
    }
    const query = { fieldSelector: `spec.nodeName=${o.nodeName}`, ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}) };
    const pods: V1Pod[] = [];
    if (o.namespaces.length === 0) pods.push(...(await withTimeout(this.api.listPodForAllNamespaces(query), LIST_TIMEOUT_MS, 'pod list')).items);
    else for (const namespace of o.namespaces) pods.push(...(await withTimeout(this.api.listNamespacedPod({ namespace, ...query }), LIST_TIMEOUT_MS, 'pod list')).items);
    const out: Target[] = [];
    for (const pod of pods) {
      const m = pod.metadata;
      const phase = pod.status?.phase;
      if (!m?.name || !m.namespace || phase === 'Pending' || phase === undefined) continue;
      const ref = { namespace: m.namespace, pod: m.name, uid: m.uid };
      if (!o.selection.pod(ref)) continue;
      for (const c of pod.spec?.containers ?? []) {
        if (!o.selection.container(c.name)) continue;
        out.push({ id: `${m.namespace}/${m.name}/${m.uid ?? '-'}/${c.name}`, namespace: m.namespace, pod: m.name, container: c.name, key: m.name });
      }
    }
    return out;
  }

  async discover(): Promise<void> {
    await this.streams.reconcile(await this.targets());
  }
}
