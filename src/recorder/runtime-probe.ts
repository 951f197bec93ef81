import { docker } from '../docker/cli.ts';
import type { RecordInput } from '../history/records.ts';
import type { RuntimeProvider } from '../runtime/provider.ts';
import type { NodeTarget } from './cpu-sampler.ts';

/**
 * How long the runtime takes to list its containers, asked inside each node: what dockershim's relist
 * (and the CRI's) waits on every second, so a runtime too busy to answer shows here before PLEG gives
 * up on it. The clock is the node's own shell around the command: the host's `docker exec` overhead
 * (the outer engine, shared by every node) stays out of the number.
 */

/** Seconds the command may take inside the node before it counts as failed (kubelet's relist gives up at 3 minutes). */
export const PROBE_TIMEOUT_S = 60;

/** The shell run in the node: prints "<exit code> <elapsed ns>" and, on failure, the command's last error line. */
const SCRIPT = 'a=$(date +%s%N); timeout "$0" "$@" >/dev/null 2>/tmp/.lab-runtime-probe.err; rc=$?; b=$(date +%s%N); echo "$rc $((b - a))"; [ "$rc" = 0 ] || tail -n 1 /tmp/.lab-runtime-probe.err';

export function probeArgs(node: string, command: readonly string[], timeoutS = PROBE_TIMEOUT_S): string[] {
  return ['exec', node, 'sh', '-c', SCRIPT, String(timeoutS), ...command];
}

export type ProbeOutcome = { ms: number; error?: string } | { error: string };

/** The node shell's answer, as a latency or a failure; anything unreadable is a failure, never a number. */
export function parseProbe(stdout: string, timeoutS = PROBE_TIMEOUT_S): ProbeOutcome {
  const [first = '', ...rest] = stdout.trim().split('\n');
  const m = /^(\d+) (\d+)$/.exec(first.trim());
  if (!m) return { error: `unreadable probe output: ${JSON.stringify(stdout.slice(0, 120))}` };
  const rc = Number(m[1]);
  const ms = Number(m[2]) / 1e6;
  if (rc === 0) return { ms };
  const why = rest.join(' ').trim();
  // coreutils timeout exits 124 when it had to stop the command.
  return { ms, error: rc === 124 ? `no answer within ${timeoutS} s` : `exit ${rc}${why ? `: ${why}` : ''}` };
}

/** One probe of one node, as a history record; a failed probe is data, not a gap. */
export async function probeRuntime(n: NodeTarget, runtime: Pick<RuntimeProvider, 'probeCommand' | 'name'>, emit: (r: RecordInput) => void): Promise<void> {
  const op = runtime.probeCommand.slice(0, 2).join(' ');
  const r = await docker(probeArgs(n.name, runtime.probeCommand), { allowFailure: true, timeoutMs: (PROBE_TIMEOUT_S + 15) * 1000 });
  const o = r.code === 0 ? parseProbe(r.stdout) : { error: `docker exec exited ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}` };
  emit({
    type: 'runtime-latency', source: 'sampler/runtime', node: n.name, op, target: runtime.name,
    ...('ms' in o && o.ms !== undefined && !o.error ? { ms: o.ms } : {}),
    ...(o.error ? { error: o.error } : {}),
    ...(n.cluster !== undefined ? { cluster: n.cluster } : {}),
  });
}
