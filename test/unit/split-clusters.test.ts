// The plumbing of split clusters (scenario `clusters: 2`) that needs no cluster: names, ports, memory,
// the kube context guard, what `down` removes, the state file, and how records name their cluster.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeKubeconfig } from './helpers/kubeconfig.ts';
import { clustersToRemove } from '../../src/cluster/down.ts';
import { labKubeConfig } from '../../src/cluster/kube.ts';
import { DEFAULT_CLUSTER, LAB_CLUSTER_NAMES, secondCluster } from '../../src/cluster/settings.ts';
import { labClusters, normaliseState } from '../../src/cluster/state.ts';
import { expectedNodeNames, portsToCheck, wantedClusters } from '../../src/cluster/up.ts';
import { kindConfig } from '../../src/cluster/kind.ts';
import { credentialsFileName } from '../../src/components/vault.ts';
import { clusterSettingsFor } from '../../src/controller/cluster-for-scenario.ts';
import { LiveStatus } from '../../src/controller/live-status.ts';
import { labMemoryGiB, KAFKA_MEMORY_GIB } from '../../src/host/resources.ts';
import { consulObserver } from '../../src/recorder/recorder.ts';
import { loadScenario } from '../../src/scenario/index.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { LabError } from '../../src/util/errors.ts';

test('the second cluster is the first one’s twin with its own name and loopback ports; Kafka stays one', () => {
  const b = secondCluster(DEFAULT_CLUSTER);
  assert.equal(b.name, 'outage-lab-b');
  assert.deepEqual([b.consulHostPort, b.vaultHostPort, b.kafkaInClusterHostPort], [18510, 18210, 19104]);
  assert.equal(b.kafkaHostPort, DEFAULT_CLUSTER.kafkaHostPort, 'one broker, published once');
  assert.deepEqual({ ...b, name: '', consulHostPort: 0, vaultHostPort: 0, kafkaInClusterHostPort: 0 }, { ...DEFAULT_CLUSTER, name: '', consulHostPort: 0, vaultHostPort: 0, kafkaInClusterHostPort: 0 }, 'same node sizes and timings');
  assert.deepEqual(LAB_CLUSTER_NAMES, ['outage-lab', 'outage-lab-b']);
  assert.deepEqual(wantedClusters(DEFAULT_CLUSTER, 1).map((c) => c.name), ['outage-lab']);
  assert.deepEqual(wantedClusters(DEFAULT_CLUSTER, 2).map((c) => c.name), ['outage-lab', 'outage-lab-b']);
  assert.deepEqual(expectedNodeNames(b.name, 2), ['outage-lab-b-control-plane', 'outage-lab-b-worker', 'outage-lab-b-worker2']);
});

test('each kind config maps its own cluster’s ports, so both clusters answer on loopback', () => {
  const a = kindConfig(DEFAULT_CLUSTER, 'node:x', false, 8 * 1024 ** 3) as { name: string; nodes: { extraPortMappings?: { hostPort: number }[] }[] };
  const b = kindConfig(secondCluster(DEFAULT_CLUSTER), 'node:x', false, 8 * 1024 ** 3) as typeof a;
  const ports = (c: typeof a) => c.nodes[0]!.extraPortMappings!.map((m) => m.hostPort);
  assert.equal(b.name, 'outage-lab-b');
  assert.deepEqual(ports(a).filter((p) => ports(b).includes(p)), [], 'no host port mapped twice');
  assert.deepEqual(portsToCheck(secondCluster(DEFAULT_CLUSTER), false), { LAB_CONSUL_PORT: 18510, LAB_VAULT_PORT: 18210, LAB_KAFKA_IN_CLUSTER_PORT: 19104 });
  assert.equal(portsToCheck(DEFAULT_CLUSTER, true).LAB_KAFKA_PORT, 19092, 'the broker’s port is the first cluster’s to check');
});

test('a split scenario asks for two clusters of half the workers each, the same nodes otherwise', () => {
  const one = loadScenario(join(repoRoot, 'lab', 'scenarios', 'target-2019.yaml'));
  const two = loadScenario(join(repoRoot, 'lab', 'scenarios', 'target-2019.yaml'), { variants: ['split-clusters'] });
  const a = clusterSettingsFor(one);
  const b = clusterSettingsFor(two);
  assert.equal(a.workers, 4);
  assert.equal(b.workers, 2);
  assert.deepEqual({ ...b, workers: 0 }, { ...a, workers: 0 });
  assert.deepEqual([two.perCluster.workers, two.perCluster.replicas], [2, 15]);
  const smoke = loadScenario(join(repoRoot, 'lab', 'scenarios', 'smoke.yaml'), { variants: ['split-clusters'] });
  assert.deepEqual([smoke.clusters, smoke.perCluster.workers, smoke.perCluster.replicas], [2, 1, 3], 'smoke splits into 1 worker and 3 pods a cluster');
});

test('memory for new clusters: each control plane and worker at its limit, plus the broker when it starts too', () => {
  const one = labMemoryGiB({ controlPlanes: 1, controlPlaneGiB: 3, workers: 4, workerGiB: 1.7, kafka: true });
  const two = labMemoryGiB({ controlPlanes: 2, controlPlaneGiB: 3, workers: 4, workerGiB: 1.7, kafka: true });
  assert.equal(two - one, 3, 'split clusters need a second control plane, nothing more');
  assert.equal(Math.round(two * 10) / 10, 6 + 6.8 + KAFKA_MEMORY_GIB);
  assert.equal(labMemoryGiB({ controlPlanes: 1, controlPlaneGiB: 3, workers: 2, workerGiB: 1.7, kafka: false }), 3 + 3.4, 'adding the second cluster to a running lab: no second broker');
});

const kubeconfig = writeKubeconfig;

test('the context guard accepts both of the lab’s kind contexts and nothing else', () => {
  const prev = process.env.KUBECONFIG;
  process.env.KUBECONFIG = kubeconfig({ 'kind-outage-lab': 'https://127.0.0.1:40000', 'kind-outage-lab-b': 'https://127.0.0.1:40001', 'kind-other': 'https://127.0.0.1:40002', prod: 'https://10.1.2.3:6443' });
  try {
    assert.equal(labKubeConfig({ clusterName: 'outage-lab' }).getCurrentContext(), 'kind-outage-lab');
    assert.equal(labKubeConfig({ clusterName: 'outage-lab-b' }).getCurrentContext(), 'kind-outage-lab-b');
    assert.throws(() => labKubeConfig({ clusterName: 'other' }), (e: unknown) => e instanceof LabError && /not one of the lab's clusters \(outage-lab, outage-lab-b\)/.test(e.message), 'another local kind cluster is not the lab’s');
    assert.throws(() => labKubeConfig({ clusterName: 'outage-lab-c' }), LabError);
    assert.throws(() => labKubeConfig({ clusterName: 'other', foreign: { context: 'prod', server: 'https://10.1.2.3:6443', caSha256: 'x' } }), /not identified by a CA/, 'a foreign context only with consent to its identity');
  } finally {
    if (prev === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = prev;
  }
});

test('lab down removes the second cluster too, and each cluster’s Vault keys', () => {
  assert.deepEqual(clustersToRemove('outage-lab'), ['outage-lab', 'outage-lab-b']);
  assert.equal(credentialsFileName('outage-lab'), 'vault-credentials.json', 'the first cluster’s keys keep their old file');
  assert.equal(credentialsFileName(), 'vault-credentials.json');
  assert.equal(credentialsFileName('outage-lab-b'), 'vault-credentials-outage-lab-b.json');
});

test('the state of a split lab lists both clusters; an older state file has one', () => {
  const base = { images: {}, kafka: { internal: '10.213.0.10:9092', external: '127.0.0.1:19092' }, upAt: 'x' };
  const old = normaliseState({ ...base, settings: { name: 'outage-lab' } as typeof DEFAULT_CLUSTER });
  assert.deepEqual(labClusters(old).map((c) => c.name), ['outage-lab']);
  const split = normaliseState({ ...base, settings: DEFAULT_CLUSTER, second: { name: 'outage-lab-b', consulHostPort: 18510 } as typeof DEFAULT_CLUSTER });
  assert.deepEqual(labClusters(split).map((c) => [c.name, c.consulHostPort, c.workers]), [['outage-lab', 18500, 3], ['outage-lab-b', 18510, 3]]);
});

test('Consul pools are told apart by observer in a split run; a one-cluster run keeps its observer name', () => {
  assert.equal(consulObserver({ index: undefined, name: 'outage-lab' }), 'consul-server (via NodePort)');
  assert.equal(consulObserver({ index: 0, name: 'outage-lab' }), 'consul-server of outage-lab (via NodePort)');
  assert.equal(consulObserver({ index: 1, name: 'outage-lab-b' }), 'consul-server of outage-lab-b (via NodePort)');
  const live = new LiveStatus();
  const members = (cluster: number, alive: number) =>
    live.observe({ type: 'consul-members', source: 'probe/consul', ts: 'x', seq: 1, cluster, observer: consulObserver({ index: cluster, name: cluster ? 'outage-lab-b' : 'outage-lab' }), counts: { alive, suspect: 0, failed: 1, leaving: 0, left: 0 }, total: alive + 1 });
  members(1, 17);
  members(0, 16);
  assert.match(live.line(), /pool outage-lab 16 alive \/ 1 failed \/ 0 left, outage-lab-b 17 alive \/ 1 failed \/ 0 left/);
});
