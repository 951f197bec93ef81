// One way for every in-pod program to reach the API server, so the shipper and the metrics agent
// authenticate the same way in a pod and in tests.
import { KubeConfig } from '@kubernetes/client-node';

export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  // In a pod: the service account; outside (tests, dev): KUBECONFIG or ~/.kube/config.
  kc.loadFromDefault();
  return kc;
}
