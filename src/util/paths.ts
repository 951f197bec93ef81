import { homedir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { LabError } from './errors.ts';
import { stateRoot } from './state-root.ts';

/** The repository root, found from this file so the CLI works from any working directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Per-user state of the lab: journal, credentials, logs. Machine-wide, like the kind cluster it describes:
 * a second checkout (or CI's clean clone) must find the faults and the cluster the first one left. A
 * command given `--context` runs with the folder of that context (cluster/foreign/state-dir.ts).
 */
export const stateDir = stateRoot();
/** Downloads and build caches that should survive `lab down`. */
export const cacheDir = process.env.LAB_CACHE ?? join(homedir(), '.cache', 'outage-lab');
export const runsDir = process.env.LAB_RUNS_DIR ?? join(repoRoot, 'runs');

export function ensureDir(path: string): string {
  // The state folder holds Vault's keys, the fault journal and the lock: readable by its owner only.
  if (path === stateDir || path.startsWith(stateDir + sep)) {
    try {
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      if ((statSync(stateDir).mode & 0o077) !== 0) chmodSync(stateDir, 0o700);
    } catch (err) {
      throw new LabError(`cannot create or secure the lab's state folder ${stateDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, `make it yours and private: chmod 700 ${stateDir}, or point LAB_STATE_DIR elsewhere`);
    }
  }
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw new LabError(`cannot create the folder ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'check its parent folder\'s owner and permissions');
  }
  return path;
}

export const logsDir = () => ensureDir(join(stateDir, 'logs'));
