// "Does traffic to Kafka flow from this node's pods?", asked the way a pod's packets go: from a pod's
// network namespace (through FORWARD), else from the node's own (through OUTPUT). The host's /run is
// mounted at HOST_RUN so the agent sees the pods' namespaces as the node does: containerd's CNI names
// them /run/netns/cni-<id>; under dockershim they are dockerd's /run/docker/netns ("default" there is
// the node's own). bash's /dev/tcp opens a plain TCP connection; `timeout` bounds a connect into a DROP.
import type { ProbeOrder } from '../../faults/agent-protocol.ts';
import type { Run } from './iptables.ts';

const PROBE = `
root=$4
for f in "$root"/netns/cni-* "$root"/docker/netns/*; do
  [ -e "$f" ] && [ "\${f##*/}" != default ] || continue
  nsenter --net="$f" ip -o link show eth0 >/dev/null 2>&1 || continue
  if nsenter --net="$f" timeout "$3" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; then echo "connected pod netns \${f##*/}"; else echo "blocked pod netns \${f##*/}"; fi
  exit 0
done
if timeout "$3" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; then echo "connected node netns"; else echo "blocked node netns"; fi`;

export interface ProbeAnswer {
  connected: boolean;
  from: string;
}

export async function probeFromPods(run: Run, target: ProbeOrder, hostRun: string): Promise<ProbeAnswer> {
  const secs = String(Math.max(1, Math.ceil(target.timeoutMs / 1000)));
  const r = await run('bash', ['-c', PROBE, 'probe', target.host, String(target.port), secs, hostRun], target.timeoutMs + 10_000);
  const m = /^(connected|blocked) (.+)$/m.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`the probe gave no answer (exit ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''})`);
  return { connected: m[1] === 'connected', from: m[2]!.trim() };
}
