// Which containers on the node's dockerd a shipper follows, from the labels dockershim puts on every
// container it creates. A pod's containers carry only its namespace, name and uid plus their own name;
// the pod's own labels (the ones SHIPPER_SELECTOR speaks of) go on the pod's sandbox ("pause")
// container alone, so a selector is answered by listing sandboxes and keeping their pods' containers.
import type { Selection } from './selection.ts';
import type { Target } from './source.ts';

export const LABELS = {
  namespace: 'io.kubernetes.pod.namespace',
  pod: 'io.kubernetes.pod.name',
  uid: 'io.kubernetes.pod.uid',
  container: 'io.kubernetes.container.name',
  /** `container` for an app container, `podsandbox` for a pod's pause container. */
  type: 'io.kubernetes.docker.type',
} as const;

export interface DockerTarget extends Target {
  /** dockerd's container id: a restarted container is a new one, with a log of its own. */
  containerId: string;
}

export interface DockerDiscoveryConfig {
  scope: 'pod' | 'node';
  self: { namespace: string; pod: string; uid: string | undefined };
  /** Empty = every namespace (node scope). */
  namespaces: readonly string[];
  containers: readonly string[];
  /** Pod label terms, `key=value` or `key` (exists); empty = no selector. */
  selector: readonly string[];
}

/** One entry of `GET /containers/json`, as far as discovery reads it. */
export interface ContainerSummary {
  Id: string;
  Labels?: Record<string, string> | null;
}

/** `GET /containers/json` with label filters; Docker ANDs several `label` filters. Running containers only (its default). */
export function listPath(labels: readonly string[]): string {
  return `/containers/json?filters=${encodeURIComponent(JSON.stringify({ label: labels }))}`;
}

/** Per namespace, since filters cannot OR; one list for all namespaces otherwise. */
function perNamespace(cfg: DockerDiscoveryConfig, base: readonly string[]): string[] {
  if (cfg.namespaces.length === 0) return [listPath(base)];
  return cfg.namespaces.map((ns) => listPath([...base, `${LABELS.namespace}=${ns}`]));
}

export function containerQueries(cfg: DockerDiscoveryConfig): string[] {
  const base = [`${LABELS.type}=container`];
  if (cfg.scope === 'pod') {
    const s = cfg.self;
    const labels = [...base, `${LABELS.namespace}=${s.namespace}`, `${LABELS.pod}=${s.pod}`, ...(s.uid ? [`${LABELS.uid}=${s.uid}`] : [])];
    const names = cfg.containers.filter((c) => c !== '*');
    // Several names cannot be ORed in one filter; the selection below keeps the right ones.
    if (names.length === 1) labels.push(`${LABELS.container}=${names[0]}`);
    return [listPath(labels)];
  }
  return perNamespace(cfg, base);
}

/** Sandbox lists that answer the pod label selector; null when there is none (scope pod never needs one). */
export function sandboxQueries(cfg: DockerDiscoveryConfig): string[] | null {
  if (cfg.scope === 'pod' || cfg.selector.length === 0) return null;
  return perNamespace(cfg, [`${LABELS.type}=podsandbox`, ...cfg.selector]);
}

/** Pod uids of the listed sandboxes. */
export function podUids(sandboxes: readonly ContainerSummary[]): Set<string> {
  const out = new Set<string>();
  for (const s of sandboxes) {
    const uid = s.Labels?.[LABELS.uid];
    if (uid) out.add(uid);
  }
  return out;
}

/**
 * The containers to follow. Filters already narrowed the lists; the selection is applied again because
 * it knows more (several container names, the pod-name pattern, not shipping the shipper's own pod).
 */
export function toTargets(listed: readonly ContainerSummary[], selection: Selection, selectedPods: ReadonlySet<string> | null): DockerTarget[] {
  const out = new Map<string, DockerTarget>();
  for (const c of listed) {
    const l = c.Labels ?? {};
    const namespace = l[LABELS.namespace];
    const pod = l[LABELS.pod];
    const container = l[LABELS.container];
    const uid = l[LABELS.uid];
    if (!namespace || !pod || !container || l[LABELS.type] !== 'container' || !/^[0-9a-f]{12,}$/.test(c.Id)) continue;
    if (!selection.pod({ namespace, pod, ...(uid ? { uid } : {}) }) || !selection.container(container)) continue;
    if (selectedPods && (!uid || !selectedPods.has(uid))) continue;
    const id = `${namespace}/${pod}/${uid ?? '-'}/${container}/${c.Id.slice(0, 12)}`;
    out.set(id, { id, namespace, pod, container, key: pod, containerId: c.Id });
  }
  return [...out.values()];
}

const KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$/;

/**
 * A Kubernetes label selector as Docker label filters. Docker can only require a label or a value, so
 * only `key`, `key=value` and `key==value` terms are taken; anything else (`!=`, `in (...)`, `!key`)
 * is refused at start rather than silently ignored.
 */
export function selectorTerms(selector: string | undefined): string[] {
  if (!selector) return [];
  return selector.split(',').map((raw) => {
    const term = raw.trim();
    const eq = /^([^=!\s]+)\s*==?\s*([^=!\s]*)$/.exec(term);
    if (eq && KEY.test(eq[1]!) && VALUE.test(eq[2]!)) return `${eq[1]}=${eq[2]}`;
    if (KEY.test(term)) return term;
    throw new Error(`selector term ${JSON.stringify(term)}: the docker-api source takes only key, key=value or key==value terms`);
  });
}
