import { loadSpecs } from '../images/catalog.ts';
import { LabError } from '../util/errors.ts';
import { containerd } from './containerd.ts';
import { dockerRuntime } from './docker.ts';
import type { RuntimeProvider } from './provider.ts';

export type { RuntimeProvider } from './provider.ts';

/** Every runtime the lab can run its nodes on; the first is the default. A new runtime is one entry here. */
export const RUNTIMES = [containerd, dockerRuntime] as const satisfies readonly RuntimeProvider[];

export type RuntimeName = (typeof RUNTIMES)[number]['name'];
export const RUNTIME_NAMES: readonly RuntimeName[] = RUNTIMES.map((r) => r.name);
export const DEFAULT_RUNTIME: RuntimeName = RUNTIMES[0].name;

/** The provider of a runtime name; state written before runtimes existed has none, and ran containerd. */
export function runtimeProvider(name: string | undefined = DEFAULT_RUNTIME): RuntimeProvider {
  const r = RUNTIMES.find((x) => x.name === name);
  if (!r) throw new LabError(`unknown container runtime "${name}"`, `one of: ${RUNTIME_NAMES.join(', ')}`);
  return r;
}

/** The Kubernetes version a runtime implies: its node image's, for the whole cluster. */
export function kubernetesVersion(r: RuntimeProvider): string {
  return loadSpecs().get(r.nodeImage)?.version ?? '?';
}
