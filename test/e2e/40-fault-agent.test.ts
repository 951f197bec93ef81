// The fault agent on the real cluster (`fault.via: agent`): a controller process deploys the DaemonSet
// and cuts Kafka through it; the cut is seen from a pod and restored (verified through the agents). Then
// a controller is SIGKILLed mid-cut and nobody runs anything: the agents' dead-man switch alone must
// remove every lab rule within the deadline (measured from outside with `docker exec`, the only use of
// Docker here: the controller runs with a `docker` that fails and logs, to prove the agent path needs
// none). Last, `lab heal` verifies through the agents and leaves no DaemonSet and no Lease behind.
// Reuses the lab that is up (`lab up` loads this checkout's apps image onto every node); alone, it brings
// up the smallest lab (`lab up --workers 1`) and removes it again at the end.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { clients } from '../../src/cluster/kube.ts';
import { readState, type LabState } from '../../src/cluster/state.ts';
import { AGENT_LEASE, AGENT_NAME, AGENT_NAMESPACE, DEFAULT_AGENT_DEADLINE_MS } from '../../src/faults/agent-protocol.ts';
import { kafkaProbeFor } from '../../src/faults/context.ts';
import { FaultJournal } from '../../src/faults/journal.ts';
import { CUT_COMMENT } from '../../src/faults/kafka-network.ts';
import { nodeExec } from '../../src/faults/node-exec.ts';
import { podCanConnect } from '../../src/probes/pod-network.ts';
import { capture } from '../../src/util/exec.ts';
import { repoRoot, stateDir } from '../../src/util/paths.ts';
import { waitFor } from '../../src/util/wait.ts';
import { lab, startWitnessPod } from './helpers.ts';

const PROBE_POD = 'e2e-agent-probe';
const NS = 'lab';
const DEADLINE_MS = DEFAULT_AGENT_DEADLINE_MS;

/** Lab rules on each node, read from outside (the test's own check, independent of the agents). */
async function labRuleCount(nodes: string[]): Promise<number> {
  let n = 0;
  for (const node of nodes) n += (await nodeExec(node, ['iptables', '-w', '-S'])).stdout.split('\n').filter((l) => l.includes(CUT_COMMENT)).length;
  return n;
}

/**
 * A controller in its own process, as a replay holds a cut: deploys the agent, cuts through it, says
 * `cut <ms>` once the agents read the rules back, then waits: `restore` on stdin heals (verified) and exits.
 * Its PATH holds a `docker` that logs and fails: nothing in the agent path may need Docker.
 */
function controller(nodes: string[], dockerLog: string, shimDir: string): { p: ChildProcessWithoutNullStreams; said: (re: RegExp) => Promise<string> } {
  const code = `
    const { readState } = await import('./src/cluster/state.ts');
    const { clients } = await import('./src/cluster/kube.ts');
    const { kafkaCutTarget } = await import('./src/controller/kafka-target.ts');
    const { KafkaFaultDriver } = await import('./src/controller/kafka-fault.ts');
    const { deployAgent } = await import('./src/faults/agent-deploy.ts');
    const { FaultJournal } = await import('./src/faults/journal.ts');
    const { HistoryWriter } = await import('./src/history/writer.ts');
    const { stateDir } = await import('./src/util/paths.ts');
    const { createInterface } = await import('node:readline');
    const s = readState();
    const c = clients({ clusterName: s.settings.name });
    const nodes = ${JSON.stringify(nodes)};
    await deployAgent(c, s.images.apps, ${DEADLINE_MS}, nodes);
    const journal = FaultJournal.open(stateDir, { runId: 'e2e-fault-agent' });
    const history = HistoryWriter.open(${JSON.stringify(join(tmpdir(), `outage-lab-e2e-agent-${process.pid}.jsonl`))});
    const d = new KafkaFaultDriver(journal, history, async () => ({ ...(await kafkaCutTarget(s, nodes, c.core)), via: 'agent', agentDeadlineMs: ${DEADLINE_MS} }));
    await d.cut();
    console.log('cut ' + Date.now());
    for await (const line of createInterface({ input: process.stdin })) {
      if (line === 'restore') { await d.restore(); console.log('restored'); process.exit(0); }
    }
  `;
  const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: repoRoot,
    env: { ...process.env, PATH: `${shimDir}:${process.env.PATH}`, LAB_E2E_DOCKER_LOG: dockerLog },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (c: Buffer) => (out += c));
  p.stderr.on('data', (c: Buffer) => {
    err += c;
    process.stderr.write(c);
  });
  const said = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (m) return resolve(m[0]);
        if (p.exitCode !== null) return reject(new Error(`the controller exited ${p.exitCode} before saying ${re}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
        setTimeout(check, 100);
      };
      check();
    });
  return { p, said };
}

const exists = (read: () => Promise<unknown>) => read().then(() => true, (e: unknown) => ((e as { code?: number }).code === 404 ? false : Promise.reject(e)));

test('fault agent: a cut through the DaemonSet seen from a pod, restored; a SIGKILLed controller\'s cut removed by the dead-man switch alone; lab heal removes the agent', { timeout: 30 * 60_000 }, async (t) => {
  let brought = false;
  let state: LabState | undefined = readState();
  const scratch = mkdtempSync(join(tmpdir(), 'outage-lab-e2e-agent-'));
  const dockerLog = join(scratch, 'docker-calls.log');
  writeFileSync(dockerLog, '');
  writeFileSync(join(scratch, 'docker'), '#!/bin/sh\necho "docker $*" >> "$LAB_E2E_DOCKER_LOG"\necho "docker is not for the agent path" >&2\nexit 97\n');
  chmodSync(join(scratch, 'docker'), 0o755);
  const children: ChildProcessWithoutNullStreams[] = [];
  t.after(async () => {
    for (const p of children) if (p.exitCode === null) p.kill('SIGKILL');
    if (state) await clients({ clusterName: state.settings.name }).core.deleteNamespacedPod({ name: PROBE_POD, namespace: NS }).catch(() => undefined);
    await lab(['heal']);
    if (brought) await lab(['down']);
    rmSync(scratch, { recursive: true, force: true });
  });
  // `lab up` either way: on a lab that is up it keeps its size and loads this checkout's images onto every node.
  const up = state ? await lab(['up']) : await lab(['up', '--workers', '1']);
  assert.equal(up.code, 0, 'lab up exits 0');
  brought = !state;
  state = readState()!;
  const name = state.settings.name;
  const c = clients({ clusterName: name });
  const apps = c.kc.makeApiClient(k8s.AppsV1Api);
  const coord = c.kc.makeApiClient(k8s.CoordinationV1Api);
  const nodes = (await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${name}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort();
  const worker = nodes.find((n) => !n.endsWith('-control-plane'))!;
  const kafka = await kafkaProbeFor(state, () => c.core);

  // The witness: a pod on a worker opening TCP to the broker, independent of the driver under test.
  await startWitnessPod(c.core, { namespace: NS, name: PROBE_POD, node: worker!, image: state.images.apps! });
  const podReaches = () => podCanConnect(c.kc, NS, PROBE_POD, 'probe', kafka.host, kafka.port, 3000);
  const assertFlows = async (when: string, timeoutMs = 15_000) => {
    await waitFor(podReaches, { timeoutMs, intervalMs: 500, what: `the probe pod to reach Kafka ${when}` }).catch(() => assert.fail(`${when}: the pod should reach Kafka ${kafka.host}:${kafka.port}`));
  };
  await t.test('before any fault, the pod reaches Kafka and no lab rule is on any node', async () => {
    await assertFlows('before any fault');
    assert.equal(await labRuleCount(nodes), 0);
  });

  await t.test('via agent: the cut holds on every node (seen from a pod), then restore heals it, verified through the agents, with no docker call', async () => {
    const ctl = controller(nodes, dockerLog, scratch);
    children.push(ctl.p);
    await ctl.said(/^cut \d+$/m);
    const pods = (await c.core.listNamespacedPod({ namespace: AGENT_NAMESPACE, labelSelector: `app=${AGENT_NAME}` })).items;
    assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), nodes, 'one agent on every node, the control plane included');
    assert.equal(await podReaches(), false, 'the cut is in effect: the pod does not reach Kafka');
    assert.ok((await labRuleCount(nodes)) >= 2 * nodes.length, 'every node has the lab rules (FORWARD and OUTPUT)');
    const entry = FaultJournal.open(stateDir).unhealed().find((e) => e.params.via === 'agent');
    assert.ok(entry, 'the journal holds the cut, its params saying via: agent');
    assert.equal(entry.state, 'active');
    ctl.p.stdin.write('restore\n');
    await ctl.said(/^restored$/m);
    assert.equal(FaultJournal.open(stateDir).get(entry.id)!.state, 'healed');
    assert.equal(FaultJournal.open(stateDir).get(entry.id)!.info?.driver, 'agent', 'healed through the agent');
    assert.equal(await labRuleCount(nodes), 0, 'no lab rule left');
    await assertFlows('after the restore');
    assert.equal(readFileSync(dockerLog, 'utf8'), '', 'the controller never called docker');
  });

  await t.test(`dead-man: the controller is SIGKILLed mid-cut; nobody runs anything; every lab rule is gone within ${DEADLINE_MS / 1000} s`, async () => {
    const ctl = controller(nodes, dockerLog, scratch);
    children.push(ctl.p);
    await ctl.said(/^cut \d+$/m);
    assert.equal(await podReaches(), false, 'the cut is in effect');
    const id = FaultJournal.open(stateDir).unhealed().find((e) => e.params.via === 'agent')!.id;
    ctl.p.kill('SIGKILL');
    const killedAt = Date.now();
    await new Promise((r) => ctl.p.once('exit', r));
    let goneAt: number | undefined;
    while (Date.now() - killedAt < 3 * DEADLINE_MS) {
      if ((await labRuleCount(nodes)) === 0) {
        goneAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const ms = goneAt === undefined ? undefined : goneAt - killedAt;
    t.diagnostic(`dead-man: SIGKILL to no lab rule on ${nodes.length} node(s): ${ms ?? '>' + 3 * DEADLINE_MS} ms (bound ${DEADLINE_MS} ms)`);
    assert.ok(ms !== undefined, `the rules were still there ${(3 * DEADLINE_MS) / 1000} s after the kill`);
    assert.ok(ms <= DEADLINE_MS, `every lab rule gone within the deadline: ${ms} ms`);
    await assertFlows('after the dead-man switch');
    assert.equal(FaultJournal.open(stateDir).get(id)!.state, 'active', 'nobody healed it: the journal still holds it for lab heal');
    assert.equal(readFileSync(dockerLog, 'utf8'), '', 'the controller never called docker');
  });

  await t.test('lab heal verifies the orphaned cut through the agents, then removes the DaemonSet, its RBAC and the Lease', async () => {
    const heal = await lab(['heal']);
    assert.equal(heal.code, 0, 'lab heal exits 0');
    assert.match(heal.stderr + heal.stdout, /healed kafka-cut-\S+ \(verified\)/);
    assert.match(heal.stderr + heal.stdout, /Fault agent removed/);
    assert.equal(FaultJournal.open(stateDir).unhealed().length, 0);
    assert.equal(await exists(() => apps.readNamespacedDaemonSet({ name: AGENT_NAME, namespace: AGENT_NAMESPACE })), false, 'no DaemonSet');
    assert.equal(await exists(() => coord.readNamespacedLease({ name: AGENT_LEASE, namespace: AGENT_NAMESPACE })), false, 'no Lease');
    assert.equal((await c.core.listNamespacedPod({ namespace: AGENT_NAMESPACE, labelSelector: `app=${AGENT_NAME}` })).items.length, 0, 'no agent pod');
    assert.equal(await labRuleCount(nodes), 0);
    await assertFlows('after lab heal');
  });
});
