import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, stateDir } from '../util/paths.ts';
import { DEFAULT_CLUSTER, type ClusterSettings } from './settings.ts';

/** What `lab up` made, so that `status`, `down` and the controller act on the same cluster. */
export interface LabState {
  settings: ClusterSettings;
  images: Record<string, string>;
  kafka: { internal: string; external: string };
  dcSubnet: string;
  upAt: string;
}

const file = () => join(ensureDir(stateDir), 'cluster.json');

export function readState(): LabState | undefined {
  if (!existsSync(file())) return undefined;
  return JSON.parse(readFileSync(file(), 'utf8')) as LabState;
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
