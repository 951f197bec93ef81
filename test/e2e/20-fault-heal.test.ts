// Heal fails closed, on the real cluster. A cut left by a controller that is gone, a node that cannot be
// asked (its container paused: `docker exec` fails), a node that does not exist, a journal whose params
// were lost, and the gossip-encryption remedy applied and healed. Every "healed" is checked from a pod.
// Reuses the lab 10-replay left running (as `npm test` runs it); alone, it brings up the smallest lab
// (`lab up --workers 1`) and removes it again at the end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clients } from '../../src/cluster/kube.ts';
import { readState, type LabState } from '../../src/cluster/state.ts';
import { FaultJournal, JOURNAL_FILE } from '../../src/faults/journal.ts';
import { CUT_COMMENT } from '../../src/faults/kafka-network.ts';
import { KEYRING_GLOB } from '../../src/faults/gossip-encryption.ts';
import { nodeExec } from '../../src/faults/node-exec.ts';
import { podCanConnect } from '../../src/probes/pod-network.ts';
import { capture, run } from '../../src/util/exec.ts';
import { repoRoot, stateDir } from '../../src/util/paths.ts';
import { waitFor } from '../../src/util/wait.ts';
import { GOSSIP_SECRET } from '../../src/workload/render.ts';
import { lab, startWitnessPod } from './helpers.ts';

const PROBE_POD = 'e2e-heal-probe';
const NS = 'lab';

/** Runs `code` (an ES module body with the repo's src at ./src) in a process that exits: what it journals is an orphan. */
function child(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c));
    p.on('close', (rc) => (rc === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${rc}: ${out}`))));
  });
}

async function labRuleCount(nodes: string[]): Promise<number> {
  let n = 0;
  for (const node of nodes) n += (await nodeExec(node, ['iptables', '-w', '-S'])).stdout.split('\n').filter((l) => l.includes(CUT_COMMENT)).length;
  return n;
}

/** Lines of a command's output that are not progress (the refusal must be exactly one). */
const errorLines = (r: { stderr: string }) => r.stderr.split('\n').filter((l) => l.startsWith('Error:') || l.includes('NOT healed'));

test('heal fails closed on the real cluster: unreadable or missing nodes keep a fault heal-failed; lost params and the gossip remedy heal', { timeout: 25 * 60_000 }, async (t) => {
  let brought = false;
  let state: LabState | undefined = readState();
  const paused: string[] = [];
  t.after(async () => {
    for (const n of paused) await run('docker', ['unpause', n], { allowFailure: true });
    if (state) await clients({ clusterName: state.settings.name }).core.deleteNamespacedPod({ name: PROBE_POD, namespace: NS }).catch(() => undefined);
    await lab(['heal']);
    if (brought) await lab(['down']);
  });
  if (!state) {
    const up = await lab(['up', '--workers', '1']);
    assert.equal(up.code, 0, 'lab up --workers 1 exits 0');
    brought = true;
    state = readState()!;
  }
  const name = state.settings.name;
  const c = clients({ clusterName: name });
  const nodes = (await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${name}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort();
  const worker = nodes.find((n) => !n.endsWith('-control-plane'))!;
  assert.ok(worker, `a worker among ${nodes.join(', ')}`);
  assert.equal(state.kafkaPlacement, 'external', 'this test cuts the external broker');
  const [kafkaHost, kafkaPort] = state.kafka.internal.split(':') as [string, string];

  // The witness: a pod on the worker opening TCP to the broker, independent of the driver under test.
  await startWitnessPod(c.core, { namespace: NS, name: PROBE_POD, node: worker!, image: state.images.apps! });
  const podReaches = () => podCanConnect(c.kc, NS, PROBE_POD, 'probe', kafkaHost, Number(kafkaPort), 3000);
  const assertFlows = async (when: string) => {
    await waitFor(podReaches, { timeoutMs: 15_000, intervalMs: 1000, what: `the probe pod to reach Kafka ${when}` }).catch(() => assert.fail(`${when}: the pod should reach Kafka ${state!.kafka.internal}`));
  };
  await t.test('before any fault, the pod reaches Kafka', () => assertFlows('before any fault'));

  const cutByChild = (extraNodes: string[] = []) =>
    child(`
      const { readState } = await import('./src/cluster/state.ts');
      const { clients } = await import('./src/cluster/kube.ts');
      const { kafkaCutTarget } = await import('./src/controller/kafka-target.ts');
      const { FaultJournal } = await import('./src/faults/journal.ts');
      const { CUT_COMMENT } = await import('./src/faults/kafka-network.ts');
      const { applyFault } = await import('./src/faults/runner.ts');
      const { stateDir } = await import('./src/util/paths.ts');
      const s = readState();
      const target = await kafkaCutTarget(s, ${JSON.stringify(nodes)}, clients({ clusterName: s.settings.name }).core);
      const j = FaultJournal.open(stateDir, { runId: 'e2e-fault-heal-child' });
      if (${extraNodes.length} === 0) console.log(await applyFault(j, 'kafka-cut', { ...target, comment: CUT_COMMENT }));
      else { const id = j.begin('kafka-cut', { ...target, nodes: [...target.nodes, ...${JSON.stringify(extraNodes)}], comment: CUT_COMMENT }); j.mark(id, 'active'); console.log(id); }
    `);

  await t.test('a node whose docker exec fails keeps the cut heal-failed: lab status refuses in one line, lab heal exits 1; unpaused, it heals', async () => {
    const id = await cutByChild();
    assert.equal(await podReaches(), false, 'the cut is in effect: the pod does not reach Kafka');
    assert.ok((await labRuleCount(nodes)) >= 2 * nodes.length, 'every node has the lab rules');
    await run('docker', ['pause', worker]);
    paused.push(worker);
    const st = await lab(['status'], { timeoutMs: 3 * 60_000 });
    assert.notEqual(st.code, 0, 'lab status exits non-zero while an orphaned fault cannot be healed');
    assert.equal(errorLines(st).length, 1, `one line says so: ${st.stderr}`);
    assert.match(st.stderr, new RegExp(`NOT healed: ${id}.*${worker}: rules could not be read.*npx lab heal.*npx lab down`));
    const heal = await lab(['heal'], { timeoutMs: 3 * 60_000 });
    assert.notEqual(heal.code, 0, 'lab heal exits non-zero');
    const e = FaultJournal.open(stateDir).get(id)!;
    assert.equal(e.state, 'heal-failed', 'the entry stays heal-failed');
    assert.match(String(e.info?.error), new RegExp(`not verified: ${worker}: rules could not be read`));
    await run('docker', ['unpause', worker]);
    paused.pop();
    assert.equal(await podReaches(), false, 'the worker still drops Kafka: nothing pretended otherwise');
    const again = await lab(['heal']);
    assert.equal(again.code, 0, 'lab heal exits 0 once the node answers');
    assert.match(again.stderr + again.stdout, new RegExp(`healed ${id} \\(verified\\)`));
    assert.equal(await labRuleCount(nodes), 0, 'no lab rule left');
    await assertFlows('after the heal');
  });

  await t.test('a node that does not exist: lab heal exits 1 and the entry stays heal-failed naming it', async () => {
    const id = await cutByChild(['outage-lab-no-such-node']);
    const heal = await lab(['heal']);
    assert.notEqual(heal.code, 0);
    assert.match(heal.stderr, /outage-lab-no-such-node: rules could not be read/);
    assert.equal(FaultJournal.open(stateDir).get(id)!.state, 'heal-failed');
    // What a user would do is `lab down`; here the entry is closed by hand so the lab stays for the next step.
    const j = FaultJournal.open(stateDir);
    j.mark(id, 'healing');
    j.mark(id, 'healed', { verified: 'closed by the e2e test' });
  });

  await t.test('a journal whose applying line was lost: lab heal shows the warnings and heals by the rule comment', async () => {
    const id = await cutByChild();
    assert.equal(await podReaches(), false, 'the cut is in effect');
    // Rewrite history: the entry's applying line torn, only a later line of a dead owner left.
    const j = FaultJournal.open(stateDir);
    j.mark(id, 'healing');
    j.mark(id, 'healed', { verified: 'hidden by the e2e test' });
    const lost = 'kafka-cut-e2e-lost';
    appendFileSync(join(stateDir, JOURNAL_FILE), `{"id":"${lost}","fault":"kafka-cut","state":"applying","par\n${JSON.stringify({ id: lost, fault: 'kafka-cut', state: 'active', at: new Date().toISOString(), pid: 999_999_999, host: (await import('node:os')).hostname(), runId: 'gone' })}\n`);
    const heal = await lab(['heal']);
    assert.equal(heal.code, 0, 'lab heal exits 0');
    assert.match(heal.stderr, /⚠ fault journal .*line \d+ is damaged; ignored/);
    assert.match(heal.stderr, new RegExp(`⚠ fault journal .*fault ${lost} has no 'applying' line`));
    assert.match(heal.stderr, new RegExp(`healed ${lost} \\(verified\\)`));
    assert.equal(await labRuleCount(nodes), 0, 'no lab rule left');
    await assertFlows('after the params-less heal');
    const st = await lab(['status']);
    assert.equal(st.code, 0, 'lab status exits 0');
    assert.match(st.stderr, /⚠ fault journal .*is damaged/, 'lab status shows the journal warnings too');
  });

  await t.test('gossip encryption: inject puts the key Secret, a control plane that cannot be asked keeps it heal-failed, lab heal removes it', async () => {
    const cp = `${name}-control-plane`;
    const begin = (controlPlaneNode: string) =>
      child(`
        const { FaultJournal } = await import('./src/faults/journal.ts');
        const { applyFault } = await import('./src/faults/runner.ts');
        const { stateDir } = await import('./src/util/paths.ts');
        const j = FaultJournal.open(stateDir, { runId: 'e2e-fault-heal-gossip' });
        console.log(await applyFault(j, 'gossip-encryption', { clusterName: ${JSON.stringify(name)}, controlPlaneNode: ${JSON.stringify(controlPlaneNode)}, namespaces: ['lab'] }));
      `);
    const secretThere = () => c.core.readNamespacedSecret({ name: GOSSIP_SECRET, namespace: 'lab' }).then(() => true, () => false);
    const bad = await begin('outage-lab-no-such-node');
    assert.equal(await secretThere(), true, 'inject created the key Secret');
    const heal = await lab(['heal']);
    assert.notEqual(heal.code, 0, 'the keyrings could not be checked: not healed');
    assert.match(heal.stderr, /outage-lab-no-such-node: the Consul keyrings could not be checked/);
    assert.equal(FaultJournal.open(stateDir).get(bad)!.state, 'heal-failed');
    const j = FaultJournal.open(stateDir);
    j.mark(bad, 'healing');
    j.mark(bad, 'healed', { verified: 'closed by the e2e test' });

    await begin(cp);
    assert.equal(await secretThere(), true);
    const ok = await lab(['heal']);
    assert.equal(ok.code, 0, 'lab heal exits 0');
    assert.equal(await secretThere(), false, 'the key Secret is gone');
    const left = (await nodeExec(cp, ['sh', '-c', `ls ${KEYRING_GLOB} 2>/dev/null | wc -l`])).stdout.trim();
    assert.equal(left, '0', 'no Consul keyring on the control plane');
    // The servers and Vault were rolled twice; `lab up` waits for them and unseals Vault for what follows.
    const up = await lab(['up'], { timeoutMs: 10 * 60_000 });
    assert.equal(up.code, 0, 'lab up brings the lab back after the remedy test');
  });
});
