// `npm run soak:heal [-- --trials N]`: kill a controller with SIGKILL at a random moment inside a cut or a
// flap, run ONE `lab` command (alternately `lab status` and `lab heal`), and check from inside a pod that
// Kafka answers again. Needs a running lab with external Kafka (`npx lab up --workers 1` is enough).
// Prints one line per trial, then `N passed, M failed` and the time from the kill to traffic flowing.
import { clients } from '../cluster/kube.ts';
import { FaultJournal } from '../faults/journal.ts';
import { CUT_COMMENT } from '../faults/kafka-network.ts';
import { nodeExec } from '../faults/node-exec.ts';
import { capture } from '../util/exec.ts';
import { percentile } from '../traffic/percentile.ts';
import { stateDir } from '../util/paths.ts';
import { benchStart, refuseUnhealed } from './preamble.ts';
import { controllerReady, ensureProbePod, finished, kafkaAnswersAt, PROBE_NS as NS, tsx } from './pod-probe.ts';

const { trials, state } = benchStart({ defaultTrials: 20 });
const FLAP = { upMs: 1500, downMs: 1500 };
const PROBE_POD = 'soak-heal-probe';
const c = clients({ clusterName: state.settings.name });
const nodes = (await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${state.settings.name}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean);
const worker = nodes.find((n) => !n.endsWith('-control-plane')) ?? nodes[0]!;
const [kafkaHost, kafkaPort] = state.kafka.internal.split(':') as [string, string];
async function labRulesLeft(): Promise<number> {
  let n = 0;
  for (const nd of nodes) n += (await nodeExec(nd, ['iptables', '-w', '-S'])).stdout.split('\n').filter((l) => l.includes(CUT_COMMENT)).length;
  return n;
}


await ensureProbePod(c, PROBE_POD, state.images.apps!, worker);
refuseUnhealed();
console.log(`soak:heal: ${trials} trials on ${state.settings.name} (${nodes.length} nodes, Kafka ${state.kafka.internal}), probe pod on ${worker}; flap ${FLAP.upMs / 1000} s up / ${FLAP.downMs / 1000} s down`);
const latencies: number[] = [];
let passed = 0;
const started = Date.now();
for (let i = 0; i < trials; i++) {
  const mode = i % 2 === 0 ? 'cut' : 'flap';
  const command = i % 4 < 2 ? 'status' : 'heal';
  const label = `trial ${i + 1}/${trials} ${mode.padEnd(4)} lab ${command.padEnd(6)}`;
  let killAfter = 0;
  try {
    const ctl = tsx(['src/bench/soak-controller.ts', mode, String(FLAP.upMs), String(FLAP.downMs)]);
    const ctlDone = finished(ctl);
    await controllerReady(ctl, ctlDone);
    // Anywhere in a cut's first 3 s, or across two flap cycles (mid-cut, mid-heal, down or up).
    killAfter = Math.random() * (mode === 'cut' ? 3000 : 2 * (FLAP.upMs + FLAP.downMs));
    await new Promise((r) => setTimeout(r, killAfter));
    ctl.kill('SIGKILL');
    const killedAt = Date.now();
    await ctlDone;
    const answers = kafkaAnswersAt(c.kc, PROBE_POD, { host: kafkaHost, port: Number(kafkaPort) }, 60_000);
    const cmd = await finished(tsx(['src/cli.ts', command]));
    const at = await answers;
    const rules = await labRulesLeft();
    const unhealed = FaultJournal.open(stateDir).unhealed().map((e) => `${e.id}:${e.state}`);
    const ms = Math.max(0, at - killedAt);
    const problems = [cmd.code !== 0 ? `lab ${command} exited ${cmd.code}: ${cmd.out.trim().split('\n').pop()}` : '', rules ? `${rules} lab rule(s) left` : '', unhealed.length ? `unhealed: ${unhealed.join(', ')}` : ''].filter(Boolean);
    if (problems.length === 0) {
      passed++;
      latencies.push(ms);
      console.log(`${label} killed ${(killAfter / 1000).toFixed(1)} s in: Kafka answers from the pod ${(ms / 1000).toFixed(1)} s after the kill  pass`);
    } else {
      console.log(`${label} killed ${(killAfter / 1000).toFixed(1)} s in: FAIL ${problems.join('; ')}`);
    }
  } catch (err) {
    console.log(`${label} killed ${(killAfter / 1000).toFixed(1)} s in: FAIL ${(err as Error).message}`);
    // Leave the next trial a clean lab, whatever happened.
    await finished(tsx(['src/cli.ts', 'heal']));
  }
}
await c.core.deleteNamespacedPod({ name: PROBE_POD, namespace: NS, gracePeriodSeconds: 0 }).catch(() => undefined);
console.log(`\n${passed} passed, ${trials - passed} failed (n=${trials}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
if (latencies.length) {
  console.log(`kill -> Kafka answering from a pod (includes the lab command's own start-up): p50 ${(percentile(latencies, 50)! / 1000).toFixed(1)} s, max ${(Math.max(...latencies) / 1000).toFixed(1)} s (n=${latencies.length})`);
}
process.exit(passed === trials ? 0 : 1);
