import type * as k8s from '@kubernetes/client-node';
import type { RecordInput, ShipperRecord } from '../history/records.ts';

export interface StatsTarget {
  /** Pods whose programs to poll, by label selector in the namespace. */
  namespace: string;
  selector: string;
  component: NonNullable<ShipperRecord['component']>;
  port: number;
}

/**
 * Polls the in-pod programs' /stats through the API server's pod proxy: the host has no route to pod IPs,
 * and the API server's path stays open while the flood runs. A pod that does not answer is data (its
 * node may be drowning), recorded as a failed read, not a gap.
 */
export async function pollPodStats(core: k8s.CoreV1Api, t: StatsTarget, emit: (r: RecordInput) => void, onFinal?: (pod: string, counters: Record<string, number>) => void): Promise<void> {
  const pods = (await core.listNamespacedPod({ namespace: t.namespace, labelSelector: t.selector })).items.filter(
    (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
  );
  await Promise.all(
    pods.map(async (p) => {
      const name = p.metadata?.name ?? '?';
      try {
        // Bounded: a drowning node must not stall the sampler (or the end-of-run drain) behind it.
        const text = (await Promise.race([
          core.connectGetNamespacedPodProxyWithPath({ name: `${name}:${t.port}`, namespace: t.namespace, path: 'stats' }),
          new Promise((_, reject) => setTimeout(() => reject(new Error('stats timeout')), 5000).unref()),
        ])) as unknown;
        const obj = (typeof text === 'string' ? JSON.parse(text) : text) as Record<string, unknown>;
        const counters: Record<string, number> = {};
        for (const [k, v] of Object.entries(obj)) if (typeof v === 'number' && Number.isFinite(v)) counters[k] = v;
        counters.reachable = 1;
        const where = { pod: name, ...(p.metadata?.uid ? { uid: p.metadata.uid } : {}), ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}) };
        if (t.component === 'app') emit({ type: 'app', source: 'probe/app', ...where, counters });
        else emit({ type: 'shipper', source: `probe/${t.component}`, component: t.component, pod: name, ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}), counters });
        onFinal?.(name, counters);
      } catch {
        if (t.component === 'app') emit({ type: 'app', source: 'probe/app', pod: name, ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}), counters: { reachable: 0 } });
        else emit({ type: 'shipper', source: `probe/${t.component}`, component: t.component, pod: name, ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}), counters: { reachable: 0 } });
      }
    }),
  );
}
