import { run, type RunResult } from '../util/exec.ts';

/**
 * Runs a command inside a kind node container. Faults act from inside the nodes because that works the
 * same on a Linux host and on Docker Desktop, where the host cannot reach the nodes' network namespaces.
 * Faults go through the node-exec driver (drivers/node-exec.ts), which tells a failed exec from a "no".
 */
export function nodeExec(node: string, args: string[], allowFailure = false, timeoutMs = 30_000): Promise<RunResult> {
  return run('docker', ['exec', node, ...args], { allowFailure, timeoutMs });
}
