// The fault agent's answer to "does traffic to Kafka flow from this node's pods?": the same script as every
// driver (src/faults/pod-tcp-probe.ts), run in the agent's pod with the host's /run mounted at HOST_RUN so it
// sees the pods' namespaces as the node does.
import type { ProbeOrder } from '../../faults/agent-protocol.ts';
import { POD_TCP_PROBE, probeSeconds, probeVerdict } from '../../faults/pod-tcp-probe.ts';
import type { Run } from './iptables.ts';

export interface ProbeAnswer {
  connected: boolean;
  from: string;
}

export async function probeFromPods(run: Run, target: ProbeOrder, hostRun: string): Promise<ProbeAnswer> {
  const r = await run('bash', ['-c', POD_TCP_PROBE, 'probe', target.host, String(target.port), probeSeconds(target.timeoutMs), hostRun], target.timeoutMs + 10_000);
  const verdict = probeVerdict(r.stdout);
  if (r.code !== 0 || !verdict) throw new Error(`the probe gave no answer (exit ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''})`);
  return verdict;
}
