import * as k8s from '@kubernetes/client-node';
import { LabError } from '../util/errors.ts';
import { LAB_CLUSTER_NAMES, kubeContextName } from './settings.ts';
import { activeForeign, identify, identityChange, type ForeignTarget } from './foreign/target.ts';

export interface ContextChoice {
  clusterName: string;
  /**
   * A cluster that is not the lab's, with the identity consent was given to (foreign/consent.ts). Unset:
   * the one the command consented to (foreign/target.ts), else the lab's kind cluster.
   */
  foreign?: ForeignTarget;
}

/**
 * The user's kube config (KUBECONFIG, else ~/.kube/config), as every lab command reads it. A file that is
 * named but cannot be read or parsed is one line naming it, never client-node's stack trace.
 */
export function userKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    const where = process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : 'the default kube config';
    throw new LabError(`cannot read ${where}: ${(err as Error).message.split('\n')[0]}`, 'point KUBECONFIG at a readable kube config file, or unset it');
  }
  return kc;
}

function isLoopback(server: string): boolean {
  try {
    const host = new URL(server).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}

/**
 * The kube config the lab acts through. It never follows the user's current context: it selects one of the
 * lab's own kind contexts (`kind-outage-lab`, and `kind-outage-lab-b` of a split lab) and checks it points at
 * a local kind API server, or the one foreign context the user named on the command line. Anything else is
 * refused, before a single request is sent.
 */
export function labKubeConfig(choice: ContextChoice): k8s.KubeConfig {
  const foreign = choice.foreign ?? activeForeign();
  if (foreign) return foreignKubeConfig(foreign);
  // Only the lab's own clusters (the second one of a split lab included), even local ones: another kind
  // cluster on this machine is someone else's.
  if (!LAB_CLUSTER_NAMES.includes(choice.clusterName)) {
    throw new LabError(
      `refusing kube context "${kubeContextName(choice.clusterName)}": ${choice.clusterName} is not one of the lab's clusters (${LAB_CLUSTER_NAMES.join(', ')})`,
      "the lab acts only on the kind clusters it creates; if the lab's state names another, run `npx lab down` and `npx lab up`",
    );
  }
  const kc = userKubeConfig();
  const wanted = kubeContextName(choice.clusterName);
  const ctx = kc.getContextObject(wanted);
  if (!ctx) throw new LabError(`the lab's kube context "${wanted}" does not exist`, 'bring the lab up first: `npx lab up`');
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster || !isLoopback(cluster.server)) {
    throw new LabError(
      `refusing kube context "${wanted}": its API server ${cluster?.server ?? '(none)'} is not a local kind cluster`,
      `the lab acts only on its own kind cluster; if "${wanted}" was rewritten (a proxy or a tunnel), recreate it with \`npx lab down\` and \`npx lab up\``,
    );
  }
  kc.setCurrentContext(wanted);
  reuseConnections(kc);
  return kc;
}

/**
 * The consented foreign context, and only while its API server and CA are still the ones consent was
 * given to: checked at every kube config the lab makes, so a kubeconfig rewritten mid-run is refused too.
 */
function foreignKubeConfig(consented: ForeignTarget): k8s.KubeConfig {
  const kc = userKubeConfig();
  const changed = identityChange(consented, identify(kc, consented.context));
  if (changed) throw new LabError(`refusing kube context "${consented.context}": ${changed}`);
  kc.setCurrentContext(consented.context);
  reuseConnections(kc);
  return kc;
}

/**
 * client-node builds a fresh undici Agent for every API call, so every call paid a TLS handshake with a
 * client certificate and left an idle connection behind. The recorder polls the API server every second
 * for the whole run: one kept-alive dispatcher for the one cluster a KubeConfig here ever talks to.
 */
function reuseConnections(kc: k8s.KubeConfig): void {
  const patchable = kc as unknown as { createDispatcher: (cluster: unknown, opts: unknown) => unknown };
  const create = patchable.createDispatcher.bind(kc);
  let cached: unknown;
  patchable.createDispatcher = (cluster, opts) => (cached ??= create(cluster, opts));
}

export interface Clients {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  objects: k8s.KubernetesObjectApi;
  context: string;
}

export function clients(choice: ContextChoice): Clients {
  const kc = labKubeConfig(choice);
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
    context: kc.getCurrentContext(),
  };
}
