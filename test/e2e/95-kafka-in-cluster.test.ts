// `lab up --kafka in-cluster`: the broker as a StatefulSet on the control plane, and the controller's cut
// of it seen from a pod. Runs after 90-up-down, which ends with `lab down`: this file starts from nothing,
// creates the smallest cluster that still puts a node between a pod and the broker (1 control plane + 1
// worker), and ends with `lab down`, so the files before it keep the lab they expect (10-replay's
// cluster is reused by 90-up-down) and no in-cluster placement leaks into the default path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { clients } from '../../src/cluster/kube.ts';
import { readState, type LabState } from '../../src/cluster/state.ts';
import { KAFKA_CONTAINER, kafkaRoundTrip } from '../../src/components/kafka.ts';
import { KAFKA_HOST_LISTENER_PORT, KAFKA_NS, KAFKA_POD } from '../../src/components/kafka-in-cluster.ts';
import { DC_NETWORK } from '../../src/components/dc-network.ts';
import { KafkaFaultDriver } from '../../src/controller/kafka-fault.ts';
import { kafkaCutTarget } from '../../src/controller/kafka-target.ts';
import { FaultJournal } from '../../src/faults/journal.ts';
import { CUT_COMMENT } from '../../src/faults/kafka-network.ts';
import { nodeExec } from '../../src/faults/node-exec.ts';
import { HistoryWriter } from '../../src/history/writer.ts';
import { podCanConnect } from '../../src/probes/pod-network.ts';
import { capture } from '../../src/util/exec.ts';
import { stateDir } from '../../src/util/paths.ts';
import { waitFor } from '../../src/util/wait.ts';
import { assertLabGone, attachedTo, lab } from './helpers.ts';

const PROBE_POD = 'e2e-kafka-probe';
const KAFKA_SERVICE = `kafka.${KAFKA_NS}.svc.cluster.local`;
/** A Service on the broker's node that the cut must leave alone: proves the probe works while Kafka is cut. */
const CONTROL = { host: `consul-ui.${KAFKA_NS}.svc.cluster.local`, port: 8500 };

/** The lab's cut rules on each node, as `iptables -S` lines. */
async function labRules(nodes: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const n of nodes) {
    const r = await nodeExec(n, ['iptables', '-w', '-S']);
    out[n] = r.stdout.split('\n').filter((l) => l.includes(CUT_COMMENT));
  }
  return out;
}

async function assertNoLabRules(nodes: string[]): Promise<void> {
  const left = Object.entries(await labRules(nodes)).filter(([, rules]) => rules.length > 0);
  assert.deepEqual(left, [], 'no lab iptables rule remains on any node');
}

/** A produce/consume round trip from the host through kafkajs, failing with `what` rather than kafkajs's own words. */
async function hostRoundTrip(state: LabState, what: string): Promise<void> {
  const ms = await kafkaRoundTrip(state.kafka).catch((err: unknown) => assert.fail(`${what} (${state.kafka.external}): ${(err as Error).message}`));
  assert.ok(ms > 0, `${what}: round trip took ${ms} ms`);
}

/** Where a pod may reach the broker: by the Service's name, its ClusterIP, and the pod IP, on the pods' listener. */
interface Targets {
  service: string;
  clusterIp: string;
  podIp: string;
}

async function reach(kc: k8s.KubeConfig, t: Targets): Promise<Record<string, boolean>> {
  const probe = (host: string, port: number) => podCanConnect(kc, KAFKA_NS, PROBE_POD, 'probe', host, port, 3000);
  const [service, clusterIp, podIp, control] = await Promise.all([probe(t.service, 9092), probe(t.clusterIp, 9092), probe(t.podIp, 9092), probe(CONTROL.host, CONTROL.port)]);
  return { service, clusterIp, podIp, control };
}

/** The pod reaches the broker every way (retried a few seconds: a heal is not instantaneous everywhere). */
async function assertPodReachesKafka(kc: k8s.KubeConfig, t: Targets, when: string): Promise<void> {
  let last: Record<string, boolean> = {};
  try {
    await waitFor(async () => Object.values((last = await reach(kc, t))).every(Boolean), { timeoutMs: 15_000, intervalMs: 1000, what: `the probe pod to reach Kafka ${when}` });
  } catch {
    assert.fail(`${when}, the probe pod should reach Kafka by Service name, ClusterIP and pod IP (and Consul): ${JSON.stringify(last)}`);
  }
}

test('in-cluster Kafka: up, host round trip through the NodePort, a cut seen from a pod, heal, down', { timeout: 20 * 60_000 }, async (t) => {
  let state: LabState | undefined;
  let scratch: string | undefined;
  t.after(async () => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    // A failure above must not leave a cut or a cluster behind for the next test or the next user.
    if (readState()) {
      await lab(['heal']);
      await lab(['down']);
    }
  });

  const upRun = await lab(['up', '--kafka', 'in-cluster', '--workers', '1']);
  assert.equal(upRun.code, 0, 'lab up --kafka in-cluster --workers 1 exits 0');
  state = readState();
  assert.ok(state, 'lab up wrote its state');
  const s = state.settings;
  const c = clients({ clusterName: s.name });
  const nodes = (await capture('docker', ['ps', '--filter', `label=io.x-k8s.kind.cluster=${s.name}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean);

  await t.test('the state says in-cluster, 1 worker, and the host goes through the in-cluster port', () => {
    assert.equal(state!.kafkaPlacement, 'in-cluster');
    assert.equal(s.workers, 1);
    assert.equal(nodes.length, 2, `1 control plane + 1 worker node container, saw ${nodes.join(', ')}`);
    assert.equal(state!.kafka.external, `127.0.0.1:${s.kafkaInClusterHostPort}`);
    assert.equal(state!.kafka.internal, `${KAFKA_SERVICE}:9092`);
  });

  const broker = await c.core.readNamespacedPod({ name: KAFKA_POD, namespace: KAFKA_NS });
  await t.test('the broker pod runs on the control plane, away from the workload', () => {
    assert.equal(broker.status?.phase, 'Running', `${KAFKA_NS}/${KAFKA_POD} phase`);
    assert.match(broker.spec?.nodeName ?? '', /-control-plane$/, `${KAFKA_POD} node`);
    assert.ok(broker.status?.podIP, `${KAFKA_POD} has an IP`);
  });

  await t.test('produce/consume round trip from the host (kafkajs, through the NodePort)', async () => {
    await hostRoundTrip(state!, 'the host should produce and consume through the NodePort');
  });

  await t.test('no external Kafka container and no dc network', async () => {
    assert.equal(await capture('docker', ['ps', '-a', '--filter', `name=^${KAFKA_CONTAINER}$`, '--format', '{{.Names}}']), '', `no ${KAFKA_CONTAINER} container`);
    const dc = await capture('docker', ['network', 'ls', '--filter', `name=^${DC_NETWORK}$`, '--format', '{{.Name}}']);
    assert.equal(dc, '', `no ${DC_NETWORK} network${await attachedTo(dc)}`);
  });

  // A pod on the worker to probe from: the apps image (loaded on the workers) has node, which the probe runs.
  await c.core.createNamespacedPod({
    namespace: KAFKA_NS,
    body: {
      metadata: { name: PROBE_POD, labels: { 'outage-lab/e2e': 'kafka-probe' } },
      spec: {
        containers: [{ name: 'probe', image: state.images.apps!, imagePullPolicy: 'Never', command: ['node', '-e', 'setInterval(() => {}, 1 << 30)'] }],
        terminationGracePeriodSeconds: 0,
      },
    },
  });
  const probePod = await waitFor(
    async () => {
      const p = await c.core.readNamespacedPod({ name: PROBE_POD, namespace: KAFKA_NS });
      return p.status?.phase === 'Running' && p.status.podIP ? p : undefined;
    },
    { timeoutMs: 2 * 60_000, intervalMs: 1000, what: `pod ${KAFKA_NS}/${PROBE_POD} running`, hint: `kubectl -n ${KAFKA_NS} describe pod ${PROBE_POD}` },
  );
  assert.doesNotMatch(probePod.spec?.nodeName ?? '', /-control-plane$/, 'the probe pod runs on a worker, so its packets cross a node to the broker');
  const svc = await c.core.readNamespacedService({ name: 'kafka', namespace: KAFKA_NS });
  const targets: Targets = { service: KAFKA_SERVICE, clusterIp: svc.spec!.clusterIP!, podIp: broker.status!.podIP! };

  await t.test('before any cut, the pod reaches the broker by Service name, ClusterIP and pod IP', () => assertPodReachesKafka(c.kc, targets, 'before the cut'));

  scratch = mkdtempSync(join(tmpdir(), 'lab-e2e-kafka-'));
  const journal = FaultJournal.open(stateDir, { runId: 'e2e-kafka-in-cluster' });
  const history = HistoryWriter.open(join(scratch, 'history.jsonl'));
  // What the replay does: the target is asked afresh at each cut (kafka-target.ts).
  const driver = new KafkaFaultDriver(journal, history, () => kafkaCutTarget(state!, nodes, c.core));

  const assertCutInEffect = async (how: string) => {
    // What a pod and the host see first, then the rules that make it so.
    const r = await reach(c.kc, targets);
    assert.deepEqual(
      { service: r.service, clusterIp: r.clusterIp, podIp: r.podIp },
      { service: false, clusterIp: false, podIp: false },
      `${how}: the pod must not connect to Kafka (Service name, ClusterIP, pod IP)`,
    );
    assert.equal(r.control, true, `${how}: the pod still reaches Consul on the broker's node (only Kafka is cut)`);
    await hostRoundTrip(state!, `${how}, the host's round trip through the NodePort should still work`);
    const rules = await labRules(nodes);
    for (const n of nodes) {
      const nodeRules = rules[n]!;
      for (const chain of ['FORWARD', 'OUTPUT']) {
        assert.ok(
          nodeRules.some((l) => l.startsWith(`-A ${chain} `) && l.includes(`-d ${targets.podIp}/32`)),
          `${how}: ${n} drops to the broker pod ${targets.podIp} in ${chain}; its lab rules: ${JSON.stringify(nodeRules)}`,
        );
      }
      assert.ok(
        nodeRules.some((l) => l.includes(`! --dport ${KAFKA_HOST_LISTENER_PORT}`)),
        `${how}: ${n} leaves the host listener ${KAFKA_HOST_LISTENER_PORT} open; its lab rules: ${JSON.stringify(nodeRules)}`,
      );
    }
  };

  await t.test('a cut by the controller: journaled, rules on every node, the pod cut off, the host not', async () => {
    await driver.cut();
    journal.reload();
    const active = journal.unhealed();
    assert.equal(active.length, 1, `one fault in the journal, saw ${JSON.stringify(active.map((e) => [e.id, e.state]))}`);
    assert.equal(active[0]!.fault, 'kafka-cut');
    assert.equal(active[0]!.state, 'active');
    assert.equal(active[0]!.params.kafkaIp, targets.podIp, 'the journal holds the broker pod IP');
    assert.equal(active[0]!.params.keepTcpPort, KAFKA_HOST_LISTENER_PORT, 'the journal holds the host listener left open');
    await assertCutInEffect('during the cut');
    const st = await lab(['status']);
    assert.equal(st.code, 0, 'lab status exits 0');
    assert.match(st.stdout, /kafka\s+ok, in-cluster/, 'lab status shows Kafka healthy and placed in-cluster');
    assert.match(st.stdout, new RegExp(`kafka-cut\\s+${active[0]!.id}\\s+active`), 'lab status lists the cut as an active fault');
  });

  await t.test("the cut's own restore: the pod reaches the broker again, no rule left", async () => {
    await driver.restore();
    assert.equal(driver.active, false);
    await assertNoLabRules(nodes);
    await assertPodReachesKafka(c.kc, targets, 'after restore');
    journal.reload();
    assert.deepEqual(journal.unhealed().map((e) => e.id), [], 'no unhealed fault in the journal');
  });

  await t.test('a second cut, healed by `lab heal` from another process: the pod reaches the broker again, no rule left', async () => {
    await driver.cut();
    await assertCutInEffect('during the second cut');
    const heal = await lab(['heal']);
    assert.equal(heal.code, 0, 'lab heal exits 0');
    assert.match(heal.stderr + heal.stdout, /healed kafka-cut-/, 'lab heal says what it healed');
    await assertNoLabRules(nodes);
    await assertPodReachesKafka(c.kc, targets, 'after lab heal');
    journal.reload();
    assert.deepEqual(journal.unhealed().map((e) => e.id), [], 'no unhealed fault in the journal');
  });
  history.close();

  await t.test('lab down leaves no container, network, kube context or state of the lab', async () => {
    const d = await lab(['down']);
    assert.equal(d.code, 0, 'lab down exits 0');
    await assertLabGone(s.name);
  });
});
