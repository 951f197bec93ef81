// The node-exec fault driver: every action is a `docker exec` into a kind node container. It works the
// same on a Linux host and on Docker Desktop, where the host cannot reach the nodes' network namespaces.
//
// A failed `docker exec` (node gone, daemon error, timeout) and a command that ran and said "no" both
// exit non-zero, so every command here prints a marker line with its own exit status: an answer without
// the marker is "could not ask", never "no".
import { capture } from '../../util/exec.ts';
import type { FaultDriver, TcpProbeResult, TcpTarget } from '../driver.ts';
import { nodeExec } from '../node-exec.ts';
import { POD_TCP_PROBE, probeSeconds, probeVerdict } from '../pod-tcp-probe.ts';

const MARK = '__outage_lab_rc=';

export class DriverError extends Error {
  override name = 'DriverError';
}

/** Runs `script` (POSIX sh, args as $1...) on the node; resolves with its exit status and output only when it really ran. */
async function shOnNode(node: string, script: string, args: readonly string[], timeoutMs: number): Promise<{ rc: number; out: string }> {
  // In a subshell: an `exit` in the script must not skip the marker.
  const r = await nodeExec(node, ['sh', '-c', `(\n${script}\n)\necho "${MARK}$?"`, 'sh', ...args], true, timeoutMs).catch((err: unknown) => {
    throw new DriverError(`docker exec ${node} could not start: ${(err as Error).message}`);
  });
  const at = r.stdout.lastIndexOf(MARK);
  if (at < 0) {
    const why = (r.stderr || r.stdout).trim().split('\n').pop() || `exit ${r.code}`;
    throw new DriverError(`docker exec ${node} failed (${why})`);
  }
  return { rc: Number(r.stdout.slice(at + MARK.length).trim()), out: r.stdout.slice(0, at) };
}

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;

function checkTarget(t: TcpTarget): void {
  // Both go into a shell on the node: only an address and a port are accepted.
  if (!IPV4.test(t.host)) throw new DriverError(`probe target ${JSON.stringify(t.host)} is not an IPv4 address`);
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) throw new DriverError(`probe port ${t.port} is not a TCP port`);
}

export const nodeExecDriver: FaultDriver = {
  name: 'node-exec',

  async nodesOf(cluster) {
    const out = await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${cluster}`, '--format', '{{.Names}}'], { timeoutMs: 30_000 });
    return out.split('\n').filter(Boolean).sort();
  },

  async listRules(node) {
    const r = await shOnNode(node, 'iptables -w 5 -S', [], 30_000);
    if (r.rc !== 0) throw new DriverError(`iptables -S on ${node} exited ${r.rc}`);
    return r.out.split('\n').filter(Boolean);
  },

  async hasRule(node, rule) {
    // iptables -C: 0 present, 1 absent, anything else an error.
    const r = await shOnNode(node, 'iptables -w 5 -C "$@" 2>/dev/null', rule, 30_000);
    if (r.rc === 0) return true;
    if (r.rc === 1) return false;
    throw new DriverError(`iptables -C on ${node} exited ${r.rc}`);
  },

  async insertRule(node, rule) {
    const r = await shOnNode(node, 'iptables -w 5 -I "$@"', rule, 30_000);
    if (r.rc !== 0) throw new DriverError(`iptables -I ${rule.join(' ')} on ${node} exited ${r.rc}`);
  },

  async deleteRule(node, rule) {
    const r = await shOnNode(node, 'iptables -w 5 -D "$@"', rule, 30_000);
    if (r.rc !== 0) throw new DriverError(`iptables -D ${rule.join(' ')} on ${node} exited ${r.rc}`);
  },

  async tcpProbe(node, target, timeoutMs): Promise<TcpProbeResult> {
    checkTarget(target);
    const r = await shOnNode(node, POD_TCP_PROBE, [target.host, String(target.port), probeSeconds(timeoutMs), '/run'], timeoutMs + 20_000);
    const verdict = probeVerdict(r.out);
    if (!verdict) throw new DriverError(`the TCP probe on ${node} gave no answer`);
    return verdict;
  },

  async removeFiles(node, glob) {
    if (!/^[A-Za-z0-9_./*-]+$/.test(glob)) throw new DriverError(`refusing an unusual file pattern ${JSON.stringify(glob)}`);
    // $1 unquoted on purpose: the shell expands the glob.
    const r = await shOnNode(node, 'rm -f $1; n=0; for f in $1; do [ -e "$f" ] && n=$((n+1)); done; echo "left=$n"', [glob], 30_000);
    const m = /left=(\d+)/.exec(r.out);
    if (r.rc !== 0 || !m) throw new DriverError(`removing ${glob} on ${node} failed`);
    return Number(m[1]);
  },
};
