// The lab's images on a cluster it cannot side-load into: either they are already on every node (a node
// image or a pre-pull put them there: checked, never assumed), or the lab pushes what it built to the
// user's registry and the nodes pull from there.
import type * as k8s from '@kubernetes/client-node';
import { finalTag } from '../../images/catalog.ts';
import { run } from '../../util/exec.ts';
import { LabError } from '../../util/errors.ts';

/** What a foreign lab runs: the platform, the broker (in-cluster only), the apps (workload and fault agent). */
export const FOREIGN_IMAGES = ['consul', 'vault', 'kafka', 'apps'] as const;

/** The content-tagged references this checkout builds, renamed into the registry when one is given. */
export function foreignImageRefs(registry: string | undefined, tag: (name: string) => string = finalTag): Record<string, string> {
  return Object.fromEntries(FOREIGN_IMAGES.map((n) => [n, registry ? `${registry.replace(/\/+$/, '')}/${tag(n)}` : tag(n)]));
}

/**
 * A reference without what a runtime may write out around it: a digest, the registry host it resolved a
 * short name to (a first path part with a dot or a port, or localhost) and that registry's `library/`.
 * Any host, not one named here: the references checked are the lab's short names, each tagged by the
 * hash of its recipe, so the same name and tag under another host is the same build.
 */
function normal(ref: string): string {
  const [first, ...rest] = ref.replace(/@sha256:[0-9a-f]+$/, '').split('/');
  const path = rest.length > 0 && (/[.:]/.test(first!) || first === 'localhost') ? rest : [first!, ...rest];
  return path.join('/').replace(/^library\//, '');
}

/** For each node, the wanted references its kubelet does not report (node.status.images). */
export function missingOnNodes(nodes: k8s.V1Node[], refs: readonly string[]): { node: string; missing: string[] }[] {
  return nodes
    .map((n) => {
      const there = new Set((n.status?.images ?? []).flatMap((i) => i.names ?? []).map(normal));
      return { node: n.metadata?.name ?? '?', missing: refs.filter((r) => !there.has(normal(r))) };
    })
    .filter((x) => x.missing.length > 0);
}

/**
 * Refuses, naming what is missing where, when the images are meant to be on the nodes already. As on kind
 * (up/placement.ts): the apps image (workload and fault agent) and Consul (the pods' agents) on every node;
 * Vault and the broker on the nodes they are pinned to (the control plane, when one is schedulable), on
 * one node at least otherwise: the scheduler may then put them anywhere, and says so if it cannot.
 */
export function assertImagesPresent(nodes: k8s.V1Node[], images: Record<string, string>, pinned: (n: k8s.V1Node) => boolean): void {
  const everywhere = ['apps', 'consul'].filter((k) => images[k]).map((k) => images[k]!);
  const somewhere = ['vault', 'kafka'].filter((k) => images[k]).map((k) => images[k]!);
  const problems = missingOnNodes(nodes, everywhere).map((m) => `${m.node} lacks ${m.missing.join(', ')}`);
  const hosts = nodes.filter(pinned).length ? nodes.filter(pinned) : nodes;
  for (const ref of somewhere) {
    if (missingOnNodes(hosts, [ref]).length === hosts.length) problems.push(`no ${hosts.length === nodes.length ? '' : 'control-plane '}node has ${ref}`);
  }
  if (problems.length === 0) return;
  throw new LabError(
    `the lab's images are not on the nodes (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; ${problems.length - 3} more` : ''})`,
    'give `--image-registry REGISTRY/PATH` (the lab pushes what it built there), or put these images on the nodes first',
  );
}

/** Tags the locally built images into the registry and pushes them (the host's Docker, which built them). */
export async function pushImages(local: Record<string, string>, remote: Record<string, string>, logFile: string): Promise<void> {
  for (const name of Object.keys(remote)) {
    await run('docker', ['tag', local[name]!, remote[name]!], { logFile });
    await run('docker', ['push', remote[name]!], { logFile });
  }
}
