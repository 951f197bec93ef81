// One read of the Lease: its renewal, duration and orders. Bounded, because a read that hangs must not
// hold up the dead-man switch that depends on reads.
import * as k8s from '@kubernetes/client-node';
import type { LeaseView } from './dead-man.ts';

export interface LeaseRead {
  view: LeaseView;
  ordersText: string | undefined;
}

export type ReadLease = () => Promise<LeaseRead>;

export function leaseReader(kc: k8s.KubeConfig, namespace: string, name: string, annotation: string, timeoutMs: number): ReadLease {
  const api = kc.makeApiClient(k8s.CoordinationV1Api);
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const lease = await Promise.race([
        api.readNamespacedLease({ name, namespace }).catch((err: unknown) => {
          if ((err as { code?: number }).code === 404) return 'gone' as const;
          throw err;
        }),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from the API server in ${timeoutMs} ms`)), timeoutMs))),
      ]);
      if (lease === 'gone') return { view: 'gone', ordersText: undefined };
      const renew = lease.spec?.renewTime;
      const secs = lease.spec?.leaseDurationSeconds;
      return {
        view: { renewTime: renew === undefined ? undefined : new Date(renew).toISOString(), durationMs: secs === undefined ? undefined : secs * 1000 },
        ordersText: lease.metadata?.annotations?.[annotation],
      };
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
}
