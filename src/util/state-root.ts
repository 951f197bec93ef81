import { homedir } from 'node:os';
import { join } from 'node:path';

/** The lab's state folder before any foreign context moves it (paths.ts; foreign/state-dir.ts). */
export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAB_STATE_DIR ?? join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'outage-lab');
}
