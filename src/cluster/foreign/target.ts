// A cluster that is not the lab's own kind cluster, identified the way the guard identifies the lab's:
// by its API server and the CA that signs it. A context is only a name in a kubeconfig; the same name can
// point at another cluster tomorrow, so consent is given to the name and checked against the identity.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { LabError } from '../../util/errors.ts';

export interface ForeignTarget {
  context: string;
  server: string;
  /** sha256 of the API server's CA bundle, as the kubeconfig gives it (PEM, data or file). */
  caSha256: string;
}

/** What the kubeconfig says the context points at now; throws one line when it cannot say. */
export function identify(kc: k8s.KubeConfig, context: string): ForeignTarget {
  const ctx = kc.getContextObject(context);
  if (!ctx) throw new LabError(`refusing kube context "${context}": it does not exist in the kubeconfig`, 'check `kubectl config get-contexts`');
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster?.server) throw new LabError(`refusing kube context "${context}": its cluster has no API server address`);
  let ca: Buffer | undefined;
  if (cluster.caData) ca = Buffer.from(cluster.caData, 'base64');
  else if (cluster.caFile) {
    try {
      ca = readFileSync(cluster.caFile);
    } catch (err) {
      throw new LabError(`refusing kube context "${context}": its CA file ${cluster.caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  // Without a CA the lab cannot tell this cluster from another one answering at the same address.
  if (!ca || ca.length === 0 || cluster.skipTLSVerify) {
    throw new LabError(`refusing kube context "${context}": its API server ${cluster.server} is not identified by a CA (none given, or TLS verification skipped)`);
  }
  return { context, server: cluster.server, caSha256: createHash('sha256').update(ca).digest('hex') };
}

/** Why `now` is not the cluster consent was given to, or undefined when it is. */
export function identityChange(consented: ForeignTarget, now: ForeignTarget): string | undefined {
  if (consented.context !== now.context) return `consent was given to "${consented.context}", not "${now.context}"`;
  const what: string[] = [];
  if (consented.server !== now.server) what.push(`server ${consented.server} → ${now.server}`);
  if (consented.caSha256 !== now.caSha256) what.push(`CA sha256 ${consented.caSha256.slice(0, 12)}… → ${now.caSha256.slice(0, 12)}…`);
  return what.length ? `its ${what.join(', ')} since consent was given` : undefined;
}

/**
 * The one foreign cluster this process may act on, set by the command once consent is checked. While it
 * is set, every kube config the lab makes goes to it and nowhere else (kube.ts); a process without it
 * never leaves the lab's kind clusters.
 */
let active: ForeignTarget | undefined;

export function useForeign(t: ForeignTarget | undefined): void {
  active = t;
}

export function activeForeign(): ForeignTarget | undefined {
  return active;
}

/** The foreign path is on: no kind, no Docker, faults through the agent only. */
export function isForeign(): boolean {
  return active !== undefined;
}
