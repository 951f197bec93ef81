import * as k8s from '@kubernetes/client-node';
import type { RecordInput } from '../history/records.ts';
import { ResumableWatch } from './resumable-watch.ts';

/**
 * Every renewal of the nodes' Leases in kube-node-lease: the kubelet's heartbeat (every 10 s by default)
 * that the node lifecycle controller reads; a node whose Lease is not renewed within the node-monitor
 * grace period goes Unknown ("Kubelet stopped posting node status"). One record per distinct renewTime,
 * so the analysis can find the longest silence between renewals; a relist that sees a renewTime already
 * recorded writes nothing. Blind spots are the watch's own gap records (source LEASE_SOURCE).
 */
export const LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_SOURCE = 'watch/leases';

const iso = (t: unknown): string | undefined => {
  if (t === undefined || t === null) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(String(t));
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
};

/** A Lease as a record, or null when it carries no renewTime (nothing renewed yet). */
export function leaseRecord(l: k8s.V1Lease, event: 'added' | 'modified' | 'deleted'): RecordInput | null {
  const renewTime = iso(l.spec?.renewTime);
  const node = l.metadata?.name;
  if (!renewTime || !node) return null;
  return {
    type: 'node-lease',
    source: LEASE_SOURCE,
    node,
    renewTime,
    ...(l.spec?.holderIdentity ? { holder: l.spec.holderIdentity } : {}),
    ...(typeof l.spec?.leaseDurationSeconds === 'number' ? { durationS: l.spec.leaseDurationSeconds } : {}),
    event,
  };
}

export class NodeLeaseRecorder {
  readonly #watch: ResumableWatch<k8s.V1Lease>;
  readonly #last = new Map<string, string>();

  constructor(kc: k8s.KubeConfig, emit: (r: RecordInput) => void) {
    const api = kc.makeApiClient(k8s.CoordinationV1Api);
    this.#watch = new ResumableWatch<k8s.V1Lease>({
      kc,
      path: `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`,
      source: LEASE_SOURCE,
      emit,
      list: async () => {
        const l = await api.listNamespacedLease({ namespace: LEASE_NAMESPACE });
        return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? '' };
      },
      onObject: (type, l) => {
        const r = leaseRecord(l, type === 'DELETED' ? 'deleted' : type === 'ADDED' ? 'added' : 'modified');
        if (!r || r.type !== 'node-lease') return;
        if (type !== 'DELETED' && this.#last.get(r.node) === r.renewTime) return;
        this.#last.set(r.node, r.renewTime);
        emit(r);
      },
    });
  }

  start(): void {
    this.#watch.start();
  }

  async stop(): Promise<void> {
    await this.#watch.stop();
  }

  relists(): number {
    return this.#watch.relists;
  }
}
