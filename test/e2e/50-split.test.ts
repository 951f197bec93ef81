// Split clusters (scenario `clusters: 2`) on real kind clusters: two platforms, each with its own control
// plane, Consul and Vault, sharing one external Kafka. Opt-in with LAB_E2E_SPLIT=1: it needs a second
// control plane's memory (about 11 GiB free for the smoke shape) and adds roughly half an hour, so the
// default `npm test` (and CI) skips it. Run alone:
//   LAB_E2E_SPLIT=1 npx node --import tsx --test --test-concurrency=1 test/e2e/50-split.test.ts
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { readHistory } from '../../src/history/reader.ts';
import type { HistoryRecord } from '../../src/history/records.ts';
import { clients } from '../../src/cluster/kube.ts';
import { isReady } from '../../src/cluster/nodes.ts';
import { labClusters, readState } from '../../src/cluster/state.ts';
import { consulClient, consulLeader, memberCounts } from '../../src/components/consul.ts';
import { DC_NETWORK } from '../../src/components/dc-network.ts';
import { kafkaRoundTrip } from '../../src/components/kafka.ts';
import { loadCredentials, vaultHealth, vaultKvRoundTrip } from '../../src/components/vault.ts';
import { CUT_COMMENT } from '../../src/faults/kafka-network.ts';
import { nodeExec } from '../../src/faults/node-exec.ts';
import { podCanConnect } from '../../src/probes/pod-network.ts';
import { capture } from '../../src/util/exec.ts';
import { repoRoot, runsDir } from '../../src/util/paths.ts';
import { lab } from './helpers.ts';

const enabled = process.env.LAB_E2E_SPLIT === '1';
const skip = enabled ? false : 'split clusters are opt-in: set LAB_E2E_SPLIT=1 (two kind clusters, about 30 min)';
const NAMES = ['outage-lab', 'outage-lab-b'];
const RUN = 'smoke-sidecar+split-clusters';

const kindNodes = async (cluster: string) =>
  (await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${cluster}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort();

function newestRun(prefix: string, except = new Set<string>()): string {
  const dirs = readdirSync(runsDir).filter((d) => d.includes(prefix) && !except.has(d) && statSync(join(runsDir, d)).isDirectory()).sort();
  assert.ok(dirs.length > 0, `a run folder matching ${prefix}`);
  return join(runsDir, dirs.at(-1)!);
}

const received = (records: HistoryRecord[], from: string, to: string) =>
  records.filter((r) => r.type === 'kafka' && r.ts > from && r.ts <= to && r.received).reduce((s, r) => s + Object.values((r as { received: Record<string, number> }).received).reduce((a, b) => a + b, 0), 0);
const phaseStart = (records: HistoryRecord[], name: string) => records.find((r) => r.type === 'phase' && r.name === name && r.edge === 'start')!.ts;

/** Can a running app pod of each cluster open a TCP connection to the broker? */
async function podsReachKafka(): Promise<boolean[]> {
  const state = readState()!;
  const [host, port] = state.kafka.internal.split(':') as [string, string];
  return Promise.all(
    labClusters(state).map(async (cs) => {
      const c = clients({ clusterName: cs.name });
      const pod = (await c.core.listNamespacedPod({ namespace: 'devenv', labelSelector: 'app=devenv' })).items.find((p) => p.status?.phase === 'Running');
      assert.ok(pod, `a running app pod in ${cs.name}`);
      return podCanConnect(c.kc, 'devenv', pod.metadata!.name!, 'app', host, Number(port));
    }),
  );
}

test('split clusters: lab up --clusters 2, a smoke replay over both, a cut healed in both, lab down leaves nothing', { skip, timeout: 90 * 60_000 }, async (t) => {
  await t.test('lab up --clusters 2: two clusters, each with its own Consul and Vault, one Kafka, every node on the data centre network', async () => {
    const up = await lab(['up', '--clusters', '2', '--workers', '1'], { timeoutMs: 40 * 60_000 });
    assert.equal(up.code, 0, 'lab up exits 0');
    const state = readState()!;
    assert.deepEqual(labClusters(state).map((c) => c.name), NAMES);
    assert.ok((await kafkaRoundTrip(state.kafka)) > 0, 'the one broker answers');
    for (const cs of labClusters(state)) {
      const nodes = (await clients({ clusterName: cs.name }).core.listNode()).items;
      assert.equal(nodes.length, 2, `${cs.name}: 1 control plane + 1 worker`);
      assert.ok(nodes.every(isReady), `${cs.name}: all nodes Ready`);
      const consul = consulClient(cs.consulHostPort);
      assert.match(await consulLeader(consul), /:8300$/, `${cs.name}: Consul leader`);
      assert.ok((await memberCounts(consul)).alive >= 4, `${cs.name}: its own 3 servers and Vault's agent`);
      const h = await vaultHealth(cs.vaultHostPort);
      assert.deepEqual([h.initialized, h.sealed], [true, false], `${cs.name}: Vault unsealed`);
      // The round trip throws unless it reads back what it wrote; the time must be a real measurement.
      const ms = await vaultKvRoundTrip(cs.vaultHostPort, loadCredentials(cs.name)!.rootToken);
      assert.ok(Number.isFinite(ms) && ms > 0 && ms < 30_000, `${cs.name}: Vault KV with its own token took ${ms} ms`);
      for (const n of await kindNodes(cs.name)) {
        const nets = await capture('docker', ['inspect', '--format', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', n]);
        assert.ok(nets.split(' ').includes(DC_NETWORK), `${n} is on ${DC_NETWORK}`);
      }
    }
    const st = await lab(['status']);
    assert.equal(st.code, 0);
    assert.match(st.stdout, /consul \(outage-lab-b\)\s+ok/);
    assert.match(st.stdout, /vault \(outage-lab-b\)\s+ok, unsealed/);
    assert.match(st.stdout, /outage-lab-b-worker\s+Ready/);
  });

  await t.test('lab replay smoke --variant split-clusters: both clusters recorded apart, cut and restored together, nothing lost', async () => {
    const res = await lab(['replay', 'smoke', '--variant', 'split-clusters'], { timeoutMs: 40 * 60_000 });
    assert.equal(res.code, 0, 'the replay exits 0');
    const dir = newestRun(RUN);
    for (const f of ['history.jsonl', 'scenario.json', 'delivery.json', 'summary.json', 'report.html']) assert.ok(existsSync(join(dir, f)), `${f} in the run folder`);
    const { records } = await readHistory(join(dir, 'history.jsonl'));
    const cut = phaseStart(records, 'cut');
    const restore = phaseStart(records, 'restore');
    assert.equal(received(records, new Date(Date.parse(cut) + 8000).toISOString(), restore), 0, 'no line reached Kafka from either cluster while cut');
    assert.ok(received(records, restore, '9999') > 0, 'lines reach Kafka after restore');
    for (const type of ['node', 'pod', 'consul-members', 'consul-latency', 'vault-latency', 'cpu', 'app'] as const) {
      const tags = new Set(records.filter((r) => r.type === type).map((r) => r.cluster));
      assert.deepEqual([...tags].sort(), [0, 1], `${type} records of both clusters, each tagged`);
    }
    assert.equal(new Set(records.filter((r) => r.type === 'consul-members').map((r) => (r as { observer: string }).observer)).size, 2, 'one pool per cluster');
    const inject = records.find((r) => r.type === 'fault' && r.f === 'kafka-cut' && r.kind === 'invoke' && r.op === 'inject') as { details?: { nodes?: string[] } } | undefined;
    const cutNodes = inject?.details?.nodes ?? [];
    for (const name of NAMES) for (const n of await kindNodes(name)) assert.ok(cutNodes.includes(n), `the cut covered ${n}`);
    const delivery = JSON.parse(readFileSync(join(dir, 'delivery.json'), 'utf8')) as { pod: string; holes: number }[];
    assert.ok(delivery.length >= 6, `3 app pods in each cluster delivered (saw ${delivery.length})`);
    for (const d of delivery) assert.equal(d.holes, 0, `${d.pod}: no missing sequence numbers`);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { split?: { clusters: { name: string; workers: string[] }[] } };
    assert.deepEqual(summary.split?.clusters.map((c) => [c.name, c.workers.length]), [['outage-lab', 1], ['outage-lab-b', 1]]);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<section id="clusters">/);
    for (const name of NAMES) for (const n of await kindNodes(name)) assert.ok(!(await nodeExec(n, ['iptables', '-w', '-S'])).stdout.includes(CUT_COMMENT), `no cut rule left on ${n}`);
  });

  await t.test('kill -9 mid-cut leaves both clusters cut until `lab heal`, which restores both', async () => {
    const before = new Set(readdirSync(runsDir));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'replay', 'smoke', '--variant', 'split-clusters', '--set', 'phases=[{"name":"baseline","duration":"10s"},{"name":"cut"},{"name":"hold","duration":"10m"},{"name":"restore"}]'], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const deadline = Date.now() + 20 * 60_000;
    for (;;) {
      assert.ok(Date.now() < deadline, 'the controller reached the cut');
      assert.equal(child.exitCode, null, 'the controller is still running');
      try {
        const text = readFileSync(join(newestRun(RUN, before), 'history.jsonl'), 'utf8');
        if (text.includes('"op":"inject"') && text.includes('"kind":"ok"')) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 1000));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.deepEqual(await podsReachKafka(), [false, false], 'after kill -9 both clusters are still cut off (seen from a pod in each)');
    const heal = await lab(['heal']);
    assert.equal(heal.code, 0);
    assert.deepEqual(await podsReachKafka(), [true, true], 'after lab heal a pod in each cluster reaches Kafka again');
  });

  await t.test('lab down removes both clusters, their contexts, Kafka, the networks and the state', async () => {
    const d = await lab(['down']);
    assert.equal(d.code, 0);
    assert.equal(await capture('docker', ['ps', '-a', '--filter', 'name=outage-lab', '-q']), '', 'no container of the lab');
    assert.equal(await capture('docker', ['ps', '-a', '--filter', 'label=outage-lab=1', '-q']), '');
    for (const name of NAMES) assert.deepEqual(await kindNodes(name), [], `no node of ${name}`);
    assert.equal(await capture('docker', ['network', 'ls', '--filter', 'name=outage-lab', '-q']), '');
    const kc = new KubeConfig();
    kc.loadFromDefault();
    for (const name of NAMES) assert.ok(!kc.getContexts().some((c) => c.name === `kind-${name}`), `kube context kind-${name} removed`);
    assert.equal(readState(), undefined);
  });
});
