// Which pods and containers a shipper ships. Sidecar (scope `pod`): only its own pod's app container.
// DaemonSet (scope `node`): every matching pod on the node except the shipper itself.

export interface PodRef {
  namespace: string;
  pod: string;
  uid?: string;
}

export interface Selection {
  pod(p: PodRef): boolean;
  container(name: string): boolean;
}

export interface SelectionConfig {
  scope: 'pod' | 'node';
  self: { namespace: string | undefined; pod: string | undefined; uid: string | undefined };
  /** Empty = every namespace (node scope only). */
  namespaces: readonly string[];
  /** `*` = every container. */
  containers: readonly string[];
  /** Pod-name filter for the file source, which cannot see labels. */
  podPattern: RegExp | undefined;
}

export function createSelection(cfg: SelectionConfig): Selection {
  const allContainers = cfg.containers.includes('*');
  const container = (name: string): boolean => allContainers || cfg.containers.includes(name);
  if (cfg.scope === 'pod') {
    return {
      pod: (p) => p.namespace === cfg.self.namespace && p.pod === cfg.self.pod && (!cfg.self.uid || !p.uid || p.uid === cfg.self.uid),
      container,
    };
  }
  return {
    pod: (p) =>
      !(p.namespace === cfg.self.namespace && p.pod === cfg.self.pod) &&
      (cfg.namespaces.length === 0 || cfg.namespaces.includes(p.namespace)) &&
      (!cfg.podPattern || cfg.podPattern.test(p.pod)),
    container,
  };
}
