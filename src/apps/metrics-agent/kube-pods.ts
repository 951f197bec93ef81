// The pod list behind node discovery: this node's pods in one namespace, through the API server with
// the pod's service account (the same client and RBAC as the shipper's kubelet-api source).
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { PodLister } from './discovery.ts';
import { withTimeout } from '../lib/timeout.ts';

export interface NodePodQuery {
  namespace: string;
  nodeName: string;
  labelSelector: string | undefined;
  /** A list the API server does not answer in time is abandoned so the next refresh can try again. */
  timeoutMs: number;
}

export function nodePodLister(kc: KubeConfig, q: NodePodQuery): PodLister {
  const api = kc.makeApiClient(CoreV1Api);
  return {
    async list(): Promise<V1Pod[]> {
      const query = { namespace: q.namespace, fieldSelector: `spec.nodeName=${q.nodeName}`, ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}) };
      return (await withTimeout(api.listNamespacedPod(query), q.timeoutMs, 'pod list')).items;
    },
  };
}
