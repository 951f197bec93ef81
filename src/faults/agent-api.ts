// The few API calls the agent driver makes, behind an interface so its logic is tested against a fake:
// the Lease (orders and renewal) and the agents' read-only HTTP port through the API server's pod proxy
// (`/api/v1/namespaces/lab/pods/<pod>:<port>/proxy/<path>`): the controller needs no route to the nodes.
import * as k8s from '@kubernetes/client-node';
import { AGENT_LEASE, AGENT_NAMESPACE, AGENT_PORT, ORDERS_ANNOTATION } from './agent-protocol.ts';

export interface LeaseDoc {
  orders: string | undefined;
  renewTime: Date | undefined;
  holder: string | undefined;
  durationSeconds: number | undefined;
  /** Absent for a Lease not yet created. */
  resourceVersion?: string;
}

export interface AgentPod {
  name: string;
  node: string;
  ready: boolean;
}

export class LeaseConflict extends Error {
  override name = 'LeaseConflict';
}

export interface AgentApi {
  /** undefined: there is no Lease (404). Rejects on any other failure. */
  readLease(): Promise<LeaseDoc | undefined>;
  /** Creates the Lease (no resourceVersion) or replaces the version read; LeaseConflict when it changed since. */
  writeLease(doc: LeaseDoc): Promise<void>;
  agentPods(): Promise<AgentPod[]>;
  /** The body of a 2xx answer; rejects otherwise (with the body's error when it has one). */
  proxyGet(pod: string, path: string, timeoutMs: number): Promise<string>;
}

const status = (err: unknown) => (err as { code?: number }).code;

export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

export function kubeAgentApi(kc: k8s.KubeConfig): AgentApi {
  const coord = kc.makeApiClient(k8s.CoordinationV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const ns = AGENT_NAMESPACE;
  return {
    async readLease() {
      const l = await bounded(
        coord.readNamespacedLease({ name: AGENT_LEASE, namespace: ns }).catch((err: unknown) => {
          if (status(err) === 404) return undefined;
          throw err;
        }),
        10_000,
        'reading the Lease',
      );
      if (!l) return undefined;
      return {
        orders: l.metadata?.annotations?.[ORDERS_ANNOTATION],
        renewTime: l.spec?.renewTime ? new Date(l.spec.renewTime) : undefined,
        holder: l.spec?.holderIdentity,
        durationSeconds: l.spec?.leaseDurationSeconds,
        ...(l.metadata?.resourceVersion ? { resourceVersion: l.metadata.resourceVersion } : {}),
      };
    },

    async writeLease(doc) {
      const body: k8s.V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: AGENT_LEASE,
          namespace: ns,
          labels: { app: AGENT_LEASE, 'outage-lab/component': 'fault-agent' },
          annotations: doc.orders === undefined ? {} : { [ORDERS_ANNOTATION]: doc.orders },
          ...(doc.resourceVersion ? { resourceVersion: doc.resourceVersion } : {}),
        },
        spec: {
          ...(doc.holder ? { holderIdentity: doc.holder } : {}),
          ...(doc.durationSeconds ? { leaseDurationSeconds: doc.durationSeconds } : {}),
          ...(doc.renewTime ? { renewTime: new k8s.V1MicroTime(doc.renewTime.getTime()) } : {}),
        },
      };
      try {
        if (doc.resourceVersion) await bounded(coord.replaceNamespacedLease({ name: AGENT_LEASE, namespace: ns, body }), 10_000, 'writing the Lease');
        else await bounded(coord.createNamespacedLease({ namespace: ns, body }), 10_000, 'creating the Lease');
      } catch (err) {
        if (status(err) === 409) throw new LeaseConflict('the Lease changed while it was being written');
        throw err;
      }
    },

    async agentPods() {
      const list = await bounded(core.listNamespacedPod({ namespace: ns, labelSelector: `app=${AGENT_LEASE}` }), 10_000, 'listing the fault agents');
      return list.items
        .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && p.spec?.nodeName && p.metadata?.name)
        .map((p) => ({
          name: p.metadata!.name!,
          node: p.spec!.nodeName!,
          ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        }));
    },

    async proxyGet(pod, path, timeoutMs) {
      try {
        const body = (await bounded(core.connectGetNamespacedPodProxyWithPath({ name: `${pod}:${AGENT_PORT}`, namespace: ns, path }), timeoutMs, `${pod} /${path}`)) as unknown;
        return typeof body === 'string' ? body : JSON.stringify(body);
      } catch (err) {
        // A non-2xx answer comes as an ApiException carrying the agent's JSON body: its error is the reason.
        const b = (err as { body?: unknown }).body;
        const said = typeof b === 'string' ? (() => { try { return (JSON.parse(b) as { error?: string }).error; } catch { return b.slice(0, 200); } })() : undefined;
        throw new Error(said ? `${pod} /${path}: ${said}` : (err as Error).message);
      }
    },
  };
}
