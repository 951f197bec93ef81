// The foreign path on the lab's own kind cluster: every command is given `--context kind-outage-lab` and
// its name again, exactly as on someone else's cluster. First the refusals (no consent, a wrong name: one
// line, exit 1, nothing created); then `lab up --context` deploys into the cluster without creating it,
// a flap replay (cuts, flapping, the restore) runs with the fault agent and the kubelet's CPU only, a
// context whose CA changed since consent is refused, and `lab heal` / `lab down --context` leave nothing of
// the lab but the cluster. Every foreign command runs with a `docker` first on PATH that logs and fails:
// none may need it, and each must end by itself, not through the CLI's exit-soon grace (a command that
// leaves port-forwards open once hung at exit). The kind lab's own namespaces are removed first (the
// foreign lab is a lab of its own, with its own Vault keys) and `lab up` puts them back at the end.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { foreignStateDir } from '../../src/cluster/foreign/state-dir.ts';
import { MANAGED_LABEL } from '../../src/cluster/foreign/down.ts';
import { clients } from '../../src/cluster/kube.ts';
import { kubeContextName } from '../../src/cluster/settings.ts';
import { readState } from '../../src/cluster/state.ts';
import { AGENT_NAME, AGENT_NAMESPACE } from '../../src/faults/agent-protocol.ts';
import { KUBELET_SUMMARY_SOURCE } from '../../src/recorder/kubelet-summary.ts';
import { runsDir, stateDir } from '../../src/util/paths.ts';
import { credentialsFileName } from '../../src/components/vault.ts';
import { stateRoot } from '../../src/util/state-root.ts';
import { waitFor } from '../../src/util/wait.ts';
import { lab, type CliResult } from './helpers.ts';

const FLAG = '--i-understand-this-cuts';

/** The lines a refusal prints, blank lines left out: exactly one is expected. */
const errorLines = (r: CliResult) => r.stderr.split('\n').filter((l) => l.trim() !== '');

/**
 * Every command ends through the CLI's exit-soon grace (src/util/exit-soon.ts), which would hide a command
 * that leaves port-forwards or watches open. Under LAB_DEBUG that grace names what it cut short; a foreign
 * command must end by itself before it.
 */
const DEBUG = { LAB_DEBUG: '1' };
const assertEndedByItself = (r: CliResult, what: string) =>
  assert.doesNotMatch(r.stderr, /still open\)/, `${what} ended only through exit-soon's grace, with handles left open`);

test('foreign path on the lab\'s kind cluster: consent refused without the exact name; up, a flap replay through the agent with kubelet CPU, heal and down with no docker call; a changed CA refused', { timeout: 40 * 60_000 }, async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'outage-lab-e2e-foreign-'));
  const dockerLog = join(scratch, 'docker-calls.log');
  writeFileSync(dockerLog, '');
  writeFileSync(join(scratch, 'docker'), '#!/bin/sh\necho "docker $*" >> "$LAB_E2E_DOCKER_LOG"\necho "docker is not for the foreign path" >&2\nexit 97\n');
  chmodSync(join(scratch, 'docker'), 0o755);
  const noDocker = { PATH: `${scratch}:${process.env.PATH}`, LAB_E2E_DOCKER_LOG: dockerLog };

  // The kind cluster is needed as it is; only its lab namespaces go (the foreign lab brings its own).
  const had = readState();
  // In-cluster Kafka on the kind lab first: it puts the broker's image on the control plane, where the
  // foreign lab's broker will run (nothing side-loads images on the foreign path).
  const up = had ? await lab(['up', '--kafka', 'in-cluster']) : await lab(['up', '--workers', '1', '--kafka', 'in-cluster']);
  assert.equal(up.code, 0, 'the kind lab is up');
  const name = readState()!.settings.name;
  const context = kubeContextName(name);
  const foreignDir = foreignStateDir(stateRoot(), context);
  const kind = clients({ clusterName: name });
  const namespaces = async () => (await kind.core.listNamespace({ labelSelector: MANAGED_LABEL })).items.map((n) => n.metadata!.name!).sort();
  t.after(async () => {
    await lab(['down', '--context', context, FLAG, context]);
    rmSync(foreignDir, { recursive: true, force: true });
    // The kind lab back as the other tests expect it: its Consul, Vault and Kafka redeployed.
    await lab(had ? ['up', '--kafka', had.kafkaPlacement] : ['down']);
    rmSync(scratch, { recursive: true, force: true });
  });
  for (const ns of await namespaces()) await kind.core.deleteNamespace({ name: ns });
  await waitFor(async () => (await namespaces()).length === 0, { timeoutMs: 5 * 60_000, intervalMs: 2000, what: 'the kind lab\'s namespaces to be gone' });
  rmSync(foreignDir, { recursive: true, force: true });
  // Vault keeps its data in Consul, whose servers keep theirs on the control plane's disk: the kind lab's
  // Vault is still initialised, and a lab on a cluster where Vault was initialised needs its keys.
  const keys = join(stateDir, credentialsFileName(name));
  if (existsSync(keys)) {
    mkdirSync(foreignDir, { recursive: true, mode: 0o700 });
    copyFileSync(keys, join(foreignDir, credentialsFileName(name)));
  }

  await t.test('no consent, or a confirmation that is not the exact name: one line, exit 1, nothing created', async () => {
    for (const [args, re] of [
      [['up', '--context', context], /^Error: refusing kube context "kind-outage-lab": no consent: repeat its name with --i-understand-this-cuts kind-outage-lab$/],
      [['up', '--context', context, FLAG, name], /^Error: refusing kube context "kind-outage-lab": the confirmation says "outage-lab", not "kind-outage-lab"$/],
      [['replay', 'smoke', '--context', context, FLAG, `${context}x`], /^Error: refusing kube context "kind-outage-lab": the confirmation says/],
      [['heal', '--context', context], /no consent/],
    ] as const) {
      const r = await lab([...args], { env: noDocker });
      assert.equal(r.code, 1, `${args.join(' ')} exits 1`);
      assert.equal(errorLines(r).length, 1, `one line: ${r.stderr}`);
      assert.match(errorLines(r)[0]!, re);
    }
    assert.deepEqual(await namespaces(), [], 'no namespace created');
    assert.equal(existsSync(join(foreignDir, 'cluster.json')), false, 'no foreign lab state');
    assert.equal(existsSync(join(foreignDir, 'faults.jsonl')), false, 'no foreign journal');
    assert.equal(readFileSync(dockerLog, 'utf8'), '');
  });

  await t.test('lab up --context: preflight (created, privileges, cut, every node, images on the nodes), then deployed without kind or Docker', async () => {
    const r = await lab(['up', '--context', context, FLAG, context], { env: { ...noDocker, ...DEBUG } });
    assert.equal(r.code, 0, 'lab up --context exits 0');
    assertEndedByItself(r, 'lab up --context');
    const out = r.stdout + r.stderr;
    const nodes = (await kind.core.listNode()).items.map((n) => n.metadata!.name!);
    assert.match(out, new RegExp(`Preflight for kube context "${context}"`));
    assert.match(out, /privileged container, host network, NET_ADMIN and SYS_ADMIN/);
    assert.match(out, /Will cut, on every node .*in-cluster broker/);
    assert.match(out, new RegExp(`Nodes \\(${nodes.length}\\): ${nodes.sort().join(', ')}`));
    assert.match(out, /already present on the nodes/);
    assert.deepEqual(await namespaces(), ['lab'], 'the lab namespace, labelled');
    assert.equal(readState()?.foreign, undefined, 'the kind lab\'s state is not the foreign one');
    assert.equal(readFileSync(dockerLog, 'utf8'), '', 'lab up --context never called docker');
  });

  await t.test('lab status --context reaches Consul, Vault and Kafka through port-forwards', async () => {
    const r = await lab(['status', '--context', context, FLAG, context], { env: { ...noDocker, ...DEBUG } });
    assert.equal(r.code, 0);
    assertEndedByItself(r, 'lab status --context');
    // With LAB_DEBUG the forwards trace each connection on stderr: a failing row shows how far it got.
    const shown = `${r.stdout}\n${r.stderr}`;
    assert.match(r.stdout, /kafka\s+ok, in-cluster/, shown);
    assert.match(r.stdout, /consul\s+ok/, shown);
    assert.match(r.stdout, /vault\s+ok, unsealed/, shown);
  });

  await t.test('a flap replay: cut through the agent, flapping, restored (verified), report written, CPU from the kubelets only, no docker call', async () => {
    const r = await lab(['replay', 'smoke', '--context', context, FLAG, context, '--variant', 'flap', '--set', 'fault.flap.up=8s', '--set', 'fault.flap.down=8s'], { env: { ...noDocker, ...DEBUG } });
    assert.equal(r.code, 0, 'the replay completes');
    assertEndedByItself(r, 'lab replay --context');
    const out = r.stdout + r.stderr;
    assert.match(out, /✔ Network healed/);
    const runDir = /Run completed: (\S+)/.exec(out)?.[1];
    assert.ok(runDir && existsSync(join(runDir, 'report.html')), 'report.html in the run folder');
    const history = readFileSync(join(runDir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const cpu = history.filter((x) => x.type === 'cpu');
    assert.ok(cpu.length > 0, 'CPU records');
    assert.deepEqual([...new Set(cpu.map((x) => x.source))], [KUBELET_SUMMARY_SOURCE], 'CPU from the kubelet summary only');
    assert.equal(history.filter((x) => x.type === 'runtime-latency').length, 0, 'no runtime probe (docker exec)');
    assert.equal(history.filter((x) => x.source === 'sampler/cpu').length, 0, 'no Docker sampler, not even a gap');
    const injects = history.filter((x) => x.type === 'fault' && x.op === 'inject' && x.kind === 'ok');
    const heals = history.filter((x) => x.type === 'fault' && x.op === 'heal' && x.kind === 'ok');
    assert.ok(injects.length >= 2, `cut more than once (flapping): ${injects.length}`);
    assert.ok(heals.length >= injects.length, 'every cut restored');
    const invoke = history.find((x) => x.type === 'fault' && x.op === 'inject' && x.kind === 'invoke' && x.details) as { details: Record<string, unknown> } | undefined;
    assert.equal(invoke?.details.via, 'agent', 'the cut went through the agent');
    const journal = readFileSync(join(foreignDir, 'faults.jsonl'), 'utf8');
    assert.match(journal, /"via":"agent"/, 'the foreign lab\'s own journal holds the cuts');
    assert.equal(readFileSync(dockerLog, 'utf8'), '', 'the controller never called docker');
    assert.equal(readdirSync(runsDir).includes(runDir.split('/').pop()!), true);
  });

  await t.test('a context whose CA changed since consent is refused in one line, before anything runs', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    const ctx = kc.getContextObject(context)!;
    const changed = JSON.parse(kc.exportConfig()) as { clusters: { name: string; cluster: Record<string, string> }[] };
    const cl = changed.clusters.find((c) => c.name === ctx.cluster)!;
    cl.cluster['certificate-authority-data'] = Buffer.from('not the CA the lab was given consent for').toString('base64');
    const file = join(scratch, 'kubeconfig');
    writeFileSync(file, JSON.stringify(changed), { mode: 0o600 });
    const runsBefore = readdirSync(runsDir).length;
    const nsBefore = await namespaces();
    for (const cmd of [['replay', 'smoke'], ['status'], ['down']]) {
      const r = await lab([...cmd, '--context', context, FLAG, context], { env: { ...noDocker, KUBECONFIG: file } });
      assert.equal(r.code, 1, `${cmd[0]} refused`);
      assert.equal(errorLines(r).length, 1, r.stderr);
      assert.match(errorLines(r)[0]!, /^Error: refusing kube context "kind-outage-lab": its CA sha256 [0-9a-f]{12}… → [0-9a-f]{12}… since consent was given/);
    }
    rmSync(file);
    assert.equal(readdirSync(runsDir).length, runsBefore, 'no run folder');
    assert.deepEqual(await namespaces(), nsBefore, 'down did not run (the replay before left its workload namespace)');
  });

  await t.test('lab heal --context then lab down --context: nothing of the lab left but the cluster, no docker call', async () => {
    const heal = await lab(['heal', '--context', context, FLAG, context], { env: { ...noDocker, ...DEBUG } });
    assert.equal(heal.code, 0);
    assertEndedByItself(heal, 'lab heal --context');
    const down = await lab(['down', '--context', context, FLAG, context], { env: { ...noDocker, ...DEBUG } });
    assert.equal(down.code, 0);
    assertEndedByItself(down, 'lab down --context');
    assert.deepEqual(await namespaces(), [], 'no namespace of the lab');
    assert.equal((await kind.apps.listNamespacedDaemonSet({ namespace: AGENT_NAMESPACE }).catch(() => ({ items: [] }))).items.filter((d) => d.metadata?.name === AGENT_NAME).length, 0);
    assert.equal(existsSync(join(foreignDir, 'cluster.json')), false, 'the foreign lab\'s state is gone');
    assert.ok((await kind.core.listNode()).items.length > 0, 'the cluster itself stays');
    assert.equal(readFileSync(dockerLog, 'utf8'), '', 'heal and down never called docker');
  });
});
