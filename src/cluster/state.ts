import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, stateDir } from '../util/paths.ts';
import { LabError } from '../util/errors.ts';
import { DEFAULT_CLUSTER, type ClusterSettings, type KafkaPlacement } from './settings.ts';
import type { ForeignTarget } from './foreign/target.ts';

/** What `lab up` made, so that `status`, `down` and the controller act on the same cluster. */
export interface LabState {
  /** The lab's cluster; with split clusters, the first of the two. */
  settings: ClusterSettings;
  /** The second cluster of a split lab (`lab up --clusters 2`, scenario `clusters: 2`): its own control plane, Consul and Vault. */
  second?: ClusterSettings;
  images: Record<string, string>;
  /** Which Kafka runs: `status` probes it, the replay cuts it, the next `up` knows what to replace. */
  kafkaPlacement: KafkaPlacement;
  kafka: { internal: string; external: string };
  /** The dc network's subnet; only an external broker has one. */
  dcSubnet?: string;
  upAt: string;
  /**
   * A lab deployed into a cluster that is not its kind cluster (`lab up --context`): the context and the
   * identity consent was given to. Later commands are refused when the context no longer has it.
   */
  foreign?: ForeignTarget;
}

const file = () => join(ensureDir(stateDir), 'cluster.json');

/**
 * A state file written by an older lab lacks the newer fields: settings take the defaults for what is
 * missing, and a lab without a placement ran the only Kafka there was then, the external one.
 */
export function normaliseState(raw: Partial<LabState> & Pick<LabState, 'settings' | 'images' | 'kafka' | 'upAt'>): LabState {
  return {
    ...raw,
    settings: { ...DEFAULT_CLUSTER, ...raw.settings },
    ...(raw.second ? { second: { ...DEFAULT_CLUSTER, ...raw.second } } : {}),
    kafkaPlacement: raw.kafkaPlacement ?? 'external',
  };
}

/** Every cluster of the lab, first one first. */
export function labClusters(s: Pick<LabState, 'settings' | 'second'>): ClusterSettings[] {
  return s.second ? [s.settings, s.second] : [s.settings];
}

export function readState(): LabState | undefined {
  const f = file();
  if (!existsSync(f)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(f, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LabError(
      `the lab's state file ${f} ${code ? `cannot be read (${code})` : 'is not valid JSON'}`,
      code ? `check its owner and permissions (it should be yours, mode 600)` : `remove it (rm ${f}) and run \`npx lab down\` to remove the lab's kind clusters by name, then \`npx lab up\``,
    );
  }
  const r = raw as Partial<LabState> | null;
  if (!r || typeof r !== 'object' || !r.settings || typeof r.settings.name !== 'string') {
    throw new LabError(`the lab's state file ${f} lacks the cluster settings`, `remove it (rm ${f}) and run \`npx lab down\`, then \`npx lab up\``);
  }
  return normaliseState(r as LabState);
}

export function writeState(s: LabState): void {
  const f = file();
  try {
    writeFileSync(f, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    throw new LabError(`cannot write the lab's state file ${f} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'check the state folder\'s owner and permissions');
  }
}

export function clearState(): void {
  rmSync(file(), { force: true });
}

export function currentSettings(): ClusterSettings {
  return readState()?.settings ?? DEFAULT_CLUSTER;
}
