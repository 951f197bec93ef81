// `npm run soak:heal [-- --trials N]`: kill a controller with SIGKILL at a random moment inside a cut or a
// flap, run ONE `lab` command (alternately `lab status` and `lab heal`), and check from inside a pod that
// Kafka answers again. Needs a running lab with external Kafka (`npx lab up --workers 1` is enough).
// Prints one line per trial, then `N passed, M failed` and the time from the kill to traffic flowing.
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { clients } from '../cluster/kube.ts';
import { readState } from '../cluster/state.ts';
import { FaultJournal } from '../faults/journal.ts';
import { CUT_COMMENT } from '../faults/kafka-network.ts';
import { nodeExec } from '../faults/node-exec.ts';
import { capture } from '../util/exec.ts';
import { repoRoot, stateDir } from '../util/paths.ts';
import { waitFor } from '../util/wait.ts';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '20' } } });
const trials = Number(values.trials);
if (!Number.isInteger(trials) || trials < 1 || trials > 1000) {
  console.error(`--trials must be an integer from 1 to 1000, got "${values.trials}"`);
  process.exit(2);
}
const state = readState();
if (!state) {
  console.error('the lab is not up: run `npx lab up --workers 1` first');
  process.exit(2);
}
const FLAP = { upMs: 1500, downMs: 1500 };
const PROBE_POD = 'soak-heal-probe';
const NS = 'lab';
const c = clients({ clusterName: state.settings.name });
const nodes = (await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${state.settings.name}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean);
const worker = nodes.find((n) => !n.endsWith('-control-plane')) ?? nodes[0]!;
const [kafkaHost, kafkaPort] = state.kafka.internal.split(':') as [string, string];
const node = process.execPath;

/** A `lab` (or controller) process from this checkout. */
function tsx(args: string[]): ChildProcess {
  return spawn(node, ['--import', 'tsx', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
}

function finished(p: ChildProcess): Promise<{ code: number; out: string }> {
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d));
  p.stderr!.on('data', (d: Buffer) => (out += d));
  return new Promise((resolve) => p.on('close', (code) => resolve({ code: code ?? 1, out })));
}

/**
 * From inside the pod: connect every 20 ms (each attempt abandoned after 200 ms) until the broker answers a
 * Kafka ApiVersions request, then print the pod's clock. Pod and host share one kernel clock.
 */
function kafkaAnswersAt(timeoutMs: number): Promise<number> {
  const script = `const net=require('net');const end=Date.now()+${timeoutMs};
const req=Buffer.alloc(4+2+2+4+2+4);req.writeInt32BE(req.length-4,0);req.writeInt16BE(18,4);req.writeInt16BE(0,6);req.writeInt32BE(7,8);req.writeInt16BE(4,12);req.write('soak',14);
(function t(){if(Date.now()>end)process.exit(2);const s=net.connect(${Number(kafkaPort)},'${kafkaHost}');let got=Buffer.alloc(0);
const k=setTimeout(()=>{s.destroy();setTimeout(t,20)},200);
s.on('connect',()=>{clearTimeout(k);s.write(req);setTimeout(()=>{s.destroy();setTimeout(t,20)},1000)});
s.on('data',d=>{got=Buffer.concat([got,d]);if(got.length>=8&&got.readInt32BE(4)===7){console.log(Date.now());process.exit(0)}});
s.on('error',()=>{clearTimeout(k);setTimeout(t,20)})})()`;
  let out = '';
  const stdout = new Writable({ write: (chunk, _e, cb) => ((out += chunk), cb()) });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return new Promise((resolve, reject) => {
    new k8s.Exec(c.kc)
      .exec(NS, PROBE_POD, 'probe', ['node', '-e', script], stdout, sink, null, false, (st) =>
        st.status === 'Success' ? resolve(Number(out.trim())) : reject(new Error(`Kafka did not answer within ${timeoutMs / 1000} s`)),
      )
      .catch(reject);
  });
}

async function labRulesLeft(): Promise<number> {
  let n = 0;
  for (const nd of nodes) n += (await nodeExec(nd, ['iptables', '-w', '-S'])).stdout.split('\n').filter((l) => l.includes(CUT_COMMENT)).length;
  return n;
}

async function ensureProbePod(): Promise<void> {
  const there = await c.core.readNamespacedPod({ name: PROBE_POD, namespace: NS }).catch(() => undefined);
  if (!there) {
    await c.core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: PROBE_POD },
        spec: {
          nodeName: worker,
          containers: [{ name: 'probe', image: state!.images.apps!, imagePullPolicy: 'Never', command: ['node', '-e', 'setInterval(() => {}, 1 << 30)'] }],
          terminationGracePeriodSeconds: 0,
        },
      },
    });
  }
  await waitFor(async () => (await c.core.readNamespacedPod({ name: PROBE_POD, namespace: NS })).status?.phase === 'Running', { timeoutMs: 2 * 60_000, what: `pod ${NS}/${PROBE_POD} running` });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

await ensureProbePod();
const before = FaultJournal.open(stateDir).unhealed();
if (before.length) {
  console.error(`the journal holds unhealed faults (${before.map((e) => e.id).join(', ')}): run \`npx lab heal\` first`);
  process.exit(2);
}
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
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      ctl.stdout!.on('data', (d: Buffer) => {
        buf += d;
        if (buf.includes('ready ')) resolve();
      });
      ctl.on('close', async () => reject(new Error(`controller exited before it was ready: ${(await ctlDone).out.trim().split('\n').pop()}`)));
    });
    // Anywhere in a cut's first 3 s, or across two flap cycles (mid-cut, mid-heal, down or up).
    killAfter = Math.random() * (mode === 'cut' ? 3000 : 2 * (FLAP.upMs + FLAP.downMs));
    await new Promise((r) => setTimeout(r, killAfter));
    ctl.kill('SIGKILL');
    const killedAt = Date.now();
    await ctlDone;
    const answers = kafkaAnswersAt(60_000);
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
  console.log(`kill -> Kafka answering from a pod (includes the lab command's own start-up): p50 ${(pct(latencies, 50) / 1000).toFixed(1)} s, max ${(Math.max(...latencies) / 1000).toFixed(1)} s (n=${latencies.length})`);
}
process.exit(passed === trials ? 0 : 1);
