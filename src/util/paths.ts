import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';

/** The repository root, found from this file so the CLI works from any working directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Per-user state of the lab: journal, credentials, logs. Machine-wide, like the kind cluster it describes:
 * a second checkout (or CI's clean clone) must find the faults and the cluster the first one left.
 */
export const stateDir = process.env.LAB_STATE_DIR ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'outage-lab');
/** Downloads and build caches that should survive `lab down`. */
export const cacheDir = process.env.LAB_CACHE ?? join(homedir(), '.cache', 'outage-lab');
export const runsDir = process.env.LAB_RUNS_DIR ?? join(repoRoot, 'runs');

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

export const logsDir = () => ensureDir(join(stateDir, 'logs'));
