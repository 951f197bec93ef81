import type * as k8s from '@kubernetes/client-node';
import type { NodeRecord, PodRecord, RecordInput } from '../history/records.ts';
import { messageKind } from '../history/condition-message.ts';
import { ResumableWatch } from './resumable-watch.ts';

type Emit = (r: RecordInput) => void;

export function nodeRecord(n: k8s.V1Node, event: NodeRecord['event']): RecordInput {
  const conditions = (n.status?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    // Why a node is unhealthy is said here ("PLEG is not healthy: ...", "container runtime is down").
    ...(c.message ? { message: c.message.slice(0, 500) } : {}),
    ...(c.lastHeartbeatTime ? { lastHeartbeatTime: new Date(c.lastHeartbeatTime as unknown as string).toISOString() } : {}),
    ...(c.lastTransitionTime ? { lastTransitionTime: new Date(c.lastTransitionTime as unknown as string).toISOString() } : {}),
  }));
  const ready = conditions.find((c) => c.type === 'Ready');
  return {
    type: 'node',
    source: 'watch/nodes',
    name: n.metadata?.name ?? '?',
    ready: ready?.status === 'True' ? true : ready?.status === 'False' ? false : 'unknown',
    ...(event ? { event } : {}),
    conditions,
    taints: (n.spec?.taints ?? []).map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect })),
    unschedulable: n.spec?.unschedulable === true,
  };
}

function podRecord(p: k8s.V1Pod, event: PodRecord['event']): RecordInput {
  const owner = p.metadata?.ownerReferences?.[0];
  const statuses = p.status?.containerStatuses ?? [];
  const evicted = p.status?.reason === 'Evicted' || (p.status?.conditions ?? []).some((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  const disruption = (p.status?.conditions ?? []).find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  return {
    type: 'pod',
    source: 'watch/pods',
    ns: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '?',
    uid: p.metadata?.uid ?? '?',
    ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}),
    ...(p.metadata?.creationTimestamp ? { createdAt: new Date(p.metadata.creationTimestamp as unknown as string).toISOString() } : {}),
    ...(p.status?.phase ? { phase: p.status.phase } : {}),
    event,
    ...(p.status?.reason || disruption?.reason ? { reason: p.status?.reason ?? disruption?.reason } : {}),
    ...(owner ? { ownerUid: owner.uid, ownerName: owner.name, ownerKind: owner.kind } : {}),
    ...(p.metadata?.deletionTimestamp ? { deletionTimestamp: new Date(p.metadata.deletionTimestamp as unknown as string).toISOString() } : {}),
    ...(evicted ? { evicted: true } : {}),
    ...(p.status?.startTime ? { startedAt: new Date(p.status.startTime as unknown as string).toISOString() } : {}),
    restarts: statuses.reduce((s, c) => s + (c.restartCount ?? 0), 0),
    ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  };
}

/**
 * What changed in a record, ignoring fields that move on every heartbeat. A condition's cause counts (its
 * reason, and its message without the live durations): "container runtime is down" gaining "PLEG is not
 * healthy" is news, "last seen active 3m10s ago" becoming "3m20s ago" is not.
 */
export function fingerprint(r: RecordInput): string {
  if (r.type === 'node') return JSON.stringify([r.ready, r.taints, r.unschedulable, r.conditions.map((c) => [c.type, c.status, c.reason ?? '', messageKind(c.message ?? '')])]);
  return JSON.stringify({ ...r, event: undefined });
}

/**
 * Watches nodes, pods and events of the cluster and appends a record whenever something that matters
 * changes. Kubelet heartbeats alone do not make records; a Ready flip, a taint, a pod moving phase do.
 */
export class K8sRecorder {
  readonly #watches: ResumableWatch<any>[] = [];
  readonly #last = new Map<string, string>();
  readonly #seenPods = new Map<string, k8s.V1Pod>();

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly core: k8s.CoreV1Api,
    private readonly emit: Emit,
    private readonly podNamespaces: string[],
  ) {}

  #emitIfChanged(key: string, r: RecordInput): void {
    const fp = fingerprint(r);
    if (this.#last.get(key) === fp) return;
    this.#last.set(key, fp);
    this.emit(r);
  }

  start(): void {
    const nodes = new ResumableWatch<k8s.V1Node>({
      kc: this.kc,
      path: '/api/v1/nodes',
      source: 'watch/nodes',
      emit: this.emit,
      list: async () => {
        const l = await this.core.listNode();
        return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? '' };
      },
      onObject: (type, n) => {
        const name = n.metadata?.name ?? '?';
        if (type === 'DELETED') {
          this.#last.delete(`node/${name}`);
          this.emit(nodeRecord(n, 'deleted'));
        } else this.#emitIfChanged(`node/${name}`, nodeRecord(n, type === 'ADDED' ? 'added' : 'modified'));
      },
    });
    this.#watches.push(nodes);

    for (const ns of this.podNamespaces) {
      const pods = new ResumableWatch<k8s.V1Pod>({
        kc: this.kc,
        path: `/api/v1/namespaces/${ns}/pods`,
        source: `watch/pods/${ns}`,
        emit: this.emit,
        list: async () => {
          const l = await this.core.listNamespacedPod({ namespace: ns });
          return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? '' };
        },
        onObject: (type, p) => {
          const uid = p.metadata?.uid ?? '?';
          if (type === 'DELETED') {
            this.#seenPods.delete(uid);
            this.#last.delete(`pod/${uid}`);
            this.emit(podRecord(p, 'deleted'));
            return;
          }
          const isNew = !this.#seenPods.has(uid);
          this.#seenPods.set(uid, p);
          this.#emitIfChanged(`pod/${uid}`, podRecord(p, isNew ? 'added' : 'modified'));
        },
        // A pod deleted while the watch was blind is still a deletion: record it, marked as inferred.
        onRelist: (present) => {
          for (const [uid, p] of this.#seenPods) {
            if (p.metadata?.namespace !== ns || present.has(uid)) continue;
            this.#seenPods.delete(uid);
            this.emit({ ...podRecord(p, 'deleted'), reason: 'deleted-during-gap' } as RecordInput);
          }
        },
      });
      this.#watches.push(pods);
    }

    const events = new ResumableWatch<k8s.CoreV1Event>({
      kc: this.kc,
      path: '/api/v1/events',
      source: 'watch/events',
      emit: this.emit,
      list: async () => {
        // Old events are history before the run; only the resourceVersion matters here.
        const l = await this.core.listEventForAllNamespaces({ limit: 1 });
        return { items: [], resourceVersion: l.metadata?.resourceVersion ?? '' };
      },
      onObject: (type, e) => {
        if (type === 'DELETED') return;
        this.emit({
          type: 'k8s-event',
          source: 'watch/events',
          involved: {
            kind: e.involvedObject.kind ?? '?',
            ...(e.involvedObject.namespace ? { ns: e.involvedObject.namespace } : {}),
            name: e.involvedObject.name ?? '?',
            ...(e.involvedObject.uid ? { uid: e.involvedObject.uid } : {}),
          },
          reason: e.reason ?? '',
          message: (e.message ?? '').slice(0, 500),
          ...(e.count ? { count: e.count } : {}),
          ...(e.type ? { eventType: e.type } : {}),
          reporter: [e.source?.component ?? e.reportingComponent, e.source?.host ?? e.reportingInstance].filter(Boolean).join('/'),
          ...(e.lastTimestamp ? { lastTimestamp: new Date(e.lastTimestamp as unknown as string).toISOString() } : {}),
        });
      },
    });
    this.#watches.push(events);
    for (const w of this.#watches) w.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#watches.map((w) => w.stop()));
  }

  relists(): number {
    return this.#watches.reduce((s, w) => s + w.relists, 0);
  }
}
