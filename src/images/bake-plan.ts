import { createHash } from 'node:crypto';

export type NodeRole = 'control-plane' | 'worker';
export const NODE_ROLES: readonly NodeRole[] = ['control-plane', 'worker'];

/**
 * The lab images each role's node image carries, in bake order: a prefix two roles share is one image,
 * and a change re-bakes only the steps from the changed image on. Consul runs on every node, Vault on
 * the control plane, the apps on workers (the workload) and on the control plane too (the fault agent,
 * `fault.via: agent`, runs on every node). The apps image changes with every edit of the in-pod programs,
 * so it comes last: re-baking it alone took 6 s here, while importing it at up time into three workers
 * of 0.5 CPU was `lab up`'s longest step (3 s to 46 s after the cluster was made, load-dependent).
 * Kafka runs in the cluster only on request; baking it would grow every control plane by ~400 MB.
 */
export const BAKED: Readonly<Record<NodeRole, readonly string[]>> = {
  'control-plane': ['consul', 'vault', 'apps'],
  worker: ['consul', 'apps'],
};

export function roleOf(node: string): NodeRole {
  return node.endsWith('-control-plane') ? 'control-plane' : 'worker';
}

export interface BakeStep {
  /** Lab image name (a catalog entry). */
  name: string;
  /** The tag of the node image with this and every earlier step baked in. */
  tag: string;
}

/**
 * The tags of a bake chain, computed from ids alone so a warm `lab images` needs no build to know them.
 * Ids rather than tags: a rebuilt image under the same tag (LAB_IMAGE_*, a pull) must make a new node
 * image. Each step hashes its parent's tag, which already covers everything before it.
 */
export function bakeChain(nodeVersion: string, nodeId: string, images: { name: string; id: string }[], recipe: string): BakeStep[] {
  let parent = nodeId;
  return images.map(({ name, id }) => {
    const hash = createHash('sha256').update(`${parent}\0${name}\0${id}\0${recipe}`).digest('hex').slice(0, 12);
    const tag = `outage-lab/node-baked:${nodeVersion}-${hash}`;
    parent = tag;
    return { name, tag };
  });
}

/** One image and the nodes it must be imported into. */
export interface Placement {
  ref: string;
  nodes: string[];
}

/** The placement minus what each node's own image already carries (refs baked, by role). */
export function notBaked(placement: Placement[], baked: Readonly<Record<NodeRole, readonly string[]>>): Placement[] {
  return placement
    .map((p) => ({ ...p, nodes: p.nodes.filter((n) => !baked[roleOf(n)].includes(p.ref)) }))
    .filter((p) => p.nodes.length > 0);
}
