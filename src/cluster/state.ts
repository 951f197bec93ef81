import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, stateDir } from '../util/paths.ts';
import { DEFAULT_CLUSTER, type ClusterSettings, type KafkaPlacement } from './settings.ts';

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
  if (!existsSync(file())) return undefined;
  return normaliseState(JSON.parse(readFileSync(file(), 'utf8')) as LabState);
}

export function writeState(s: LabState): void {
  writeFileSync(file(), `${JSON.stringify(s, null, 2)}\n`);
}

export function clearState(): void {
  rmSync(file(), { force: true });
}

export function currentSettings(): ClusterSettings {
  return readState()?.settings ?? DEFAULT_CLUSTER;
}
