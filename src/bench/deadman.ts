// `npm run bench:deadman [-- --trials N]`: the fault agent's dead-man switch, timed from where it matters.
// A controller cuts Kafka through the agent (fault.via: agent), is killed with SIGKILL mid-cut, and then
// nobody runs anything: the time from the kill to a pod's Kafka request being answered again is the
// agents' own doing (the Lease stops being renewed; after fault.agentDeadline they drop their rules).
// Needs a running lab (`npx lab up --workers 1` is enough). Prints one line per trial, then
// `N passed, M failed`, p50 and max; `lab heal` at the end clears the journal and removes the agent.
import { clients } from '../cluster/kube.ts';
import { DEFAULT_AGENT_DEADLINE_MS } from '../faults/agent-protocol.ts';
import { deployAgent } from '../faults/agent-deploy.ts';
import { kafkaProbeFor } from '../faults/context.ts';
import { percentile } from '../traffic/percentile.ts';
import { benchStart, refuseUnhealed } from './preamble.ts';
import { controllerReady, ensureProbePod, finished, kafkaAnswersAt, PROBE_NS, tsx } from './pod-probe.ts';

function deadlineOk(ms: number): boolean {
  return Number.isFinite(ms) && ms >= 5000;
}
const { values, trials, state } = benchStart({
  defaultTrials: 10,
  more: { deadline: String(DEFAULT_AGENT_DEADLINE_MS / 1000) },
  check: { ok: (v) => deadlineOk(Number(v.deadline) * 1000), rule: '--deadline at least 5 (seconds)', got: (v) => `"${v.deadline}"` },
});
const deadlineMs = Number(values.deadline) * 1000;
const PROBE_POD = 'bench-deadman-probe';
const c = clients({ clusterName: state.settings.name });
const nodes = (await c.core.listNode()).items.map((n) => n.metadata!.name!);
const worker = nodes.find((n) => !n.endsWith('-control-plane')) ?? nodes[0]!;
const kafka = await kafkaProbeFor(state, () => c.core);
refuseUnhealed();
await ensureProbePod(c, PROBE_POD, state.images.apps!, worker);
await deployAgent(c, state.images.apps!, deadlineMs, nodes);
console.log(`bench:deadman: ${trials} SIGKILLs mid-cut on ${state.settings.name} (${nodes.length} nodes, Kafka ${kafka.host}:${kafka.port}), dead-man bound ${deadlineMs / 1000} s, probe pod on ${worker}; nothing runs after a kill`);
const latencies: number[] = [];
let passed = 0;
const started = Date.now();
for (let i = 0; i < trials; i++) {
  const label = `trial ${i + 1}/${trials}`;
  // Anywhere in the first 3 s of the cut: right after it is in place, or after a renewal or two.
  const killAfter = Math.random() * 3000;
  try {
    const ctl = tsx(['src/bench/soak-controller.ts', 'agent-cut', String(deadlineMs)]);
    const ctlDone = finished(ctl);
    await controllerReady(ctl, ctlDone);
    const cutHolds = await kafkaAnswersAt(c.kc, PROBE_POD, kafka, 1500).then(() => false, () => true);
    await new Promise((r) => setTimeout(r, killAfter));
    ctl.kill('SIGKILL');
    const killedAt = Date.now();
    await ctlDone;
    const at = await kafkaAnswersAt(c.kc, PROBE_POD, kafka, 3 * deadlineMs);
    const ms = Math.max(0, at - killedAt);
    const problems = [cutHolds ? '' : 'the pod reached Kafka during the cut', ms > deadlineMs ? `over the ${deadlineMs / 1000} s bound` : ''].filter(Boolean);
    if (problems.length === 0) {
      passed++;
      latencies.push(ms);
      console.log(`${label} killed ${((killAfter + 1500) / 1000).toFixed(1)} s into the cut: Kafka answers from the pod ${(ms / 1000).toFixed(1)} s after the kill  pass`);
    } else {
      console.log(`${label}: FAIL ${problems.join('; ')} (${(ms / 1000).toFixed(1)} s after the kill)`);
    }
  } catch (err) {
    console.log(`${label}: FAIL ${(err as Error).message}`);
  }
}
await c.core.deleteNamespacedPod({ name: PROBE_POD, namespace: PROBE_NS, gracePeriodSeconds: 0 }).catch(() => undefined);
// The kills left their cuts in the journal (the agents dropped the rules, nobody healed the entries).
const heal = await finished(tsx(['src/cli.ts', 'heal']));
console.log(`lab heal afterwards: exit ${heal.code}`);
console.log(`\n${passed} passed, ${trials - passed} failed (n=${trials}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
if (latencies.length) {
  console.log(`SIGKILL -> Kafka answering from a pod, nothing run after the kill: p50 ${(percentile(latencies, 50)! / 1000).toFixed(1)} s, max ${(Math.max(...latencies) / 1000).toFixed(1)} s (n=${latencies.length}, bound ${deadlineMs / 1000} s)`);
}
process.exit(passed === trials && heal.code === 0 ? 0 : 1);
