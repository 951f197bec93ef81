import type * as k8s from '@kubernetes/client-node';
import { capture, run } from '../util/exec.ts';
import { LabError } from '../util/errors.ts';
import { waitFor } from '../util/wait.ts';

export function isReady(node: k8s.V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Waits until every node is Ready (and, when `expected` is given, that many are listed: a kind node that has
 * not registered yet is not missing, it is late). Progress goes to `step`.
 */
export async function waitNodesReady(
  core: k8s.CoreV1Api,
  o: { expected?: number; what: string; hint: string; step: (s: string) => void; timeoutMs?: number },
): Promise<void> {
  await waitFor(
    async () => {
      const list = (await core.listNode()).items;
      const ready = list.filter(isReady).length;
      o.step(`${ready}/${list.length} Ready`);
      return (o.expected === undefined || list.length === o.expected) && ready === list.length;
    },
    { timeoutMs: o.timeoutMs ?? 5 * 60_000, what: o.what, hint: o.hint },
  );
}

/** Gives each node container the CPU and memory of a small VM; the control plane gets its own budget. */
export async function limitNodeContainers(containers: string[], cpCpus: number, cpMem: string, cpus: number, mem: string): Promise<void> {
  for (const c of containers) {
    const isCp = c.endsWith('-control-plane');
    const [cpu, memory] = isCp ? [cpCpus, cpMem] : [cpus, mem];
    // memory-swap equal to memory: no swap, so a node that runs out behaves like a VM that runs out.
    // A limit of 0 means none (the scenario said 'none').
    const memArgs = memory === '0' ? [] : ['--memory', memory, '--memory-swap', memory];
    await run('docker', ['update', '--cpus', String(cpu), ...memArgs, c], { timeoutMs: 60_000 }).catch((err: unknown) => {
      throw new LabError(
        `could not give ${c} ${cpu} CPU / ${memory} memory`,
        'the node probably uses more memory than the new limit: remove its workload first or raise cluster.nodeMemory',
        (err as LabError).details,
      );
    });
  }
}

export async function startStoppedNodes(containers: string[]): Promise<string[]> {
  const started: string[] = [];
  for (const c of containers) {
    if ((await capture('docker', ['inspect', '--format', '{{.State.Running}}', c]).catch(() => 'false')) !== 'true') {
      await run('docker', ['start', c]);
      started.push(c);
    }
  }
  return started;
}
