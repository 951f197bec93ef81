import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadScenario } from '../../src/scenario/index.ts';
import { renderWorkload } from '../../src/workload/render.ts';
import { kindConfig } from '../../src/cluster/kind.ts';
import { clusterSettingsFor, shapeOf } from '../../src/controller/cluster-for-scenario.ts';
import { DEFAULT_CLUSTER } from '../../src/cluster/settings.ts';
import { repoRoot } from '../../src/util/paths.ts';

const smoke = join(repoRoot, 'lab', 'scenarios', 'smoke.yaml');
const inputs = (variants: string[]) => ({
  scenario: loadScenario(smoke, { variants }),
  images: { apps: 'apps:1', consul: 'consul:1' },
  kafkaBroker: '10.213.0.10:9092',
  consulServers: ['s0', 's1', 's2'],
});

test('sidecar variant: every app pod carries shipper, metrics agent and consul agent', () => {
  const objs = renderWorkload(inputs(['sidecar']));
  const dep = objs.find((o) => o.kind === 'Deployment')!;
  assert.deepEqual(dep.spec.template.spec.containers.map((c: any) => c.name), ['app', 'shipper', 'metrics-agent', 'consul-agent']);
  assert.equal(dep.spec.replicas, 6);
  assert.equal(objs.some((o) => o.kind === 'DaemonSet'), false);
  const shipper = dep.spec.template.spec.containers[1];
  assert.ok(shipper.env.some((e: any) => e.name === 'SHIPPER_MODE' && e.value === 'naive'));
  assert.ok(shipper.env.some((e: any) => e.name === 'KAFKA_BROKERS' && e.value === '10.213.0.10:9092'));
});

test('daemonset variant: app pods carry only the app; one shipper and consul agent per node', () => {
  const objs = renderWorkload(inputs(['daemonset']));
  const dep = objs.find((o) => o.kind === 'Deployment')!;
  assert.deepEqual(dep.spec.template.spec.containers.map((c: any) => c.name), ['app']);
  const ds = objs.find((o) => o.kind === 'DaemonSet')!;
  assert.deepEqual(ds.spec.template.spec.containers.map((c: any) => c.name), ['shipper', 'consul-agent']);
  assert.ok(ds.spec.template.spec.containers[0].env.some((e: any) => e.name === 'SHIPPER_SCOPE' && e.value === 'node'));
});

test('shipper mode from a variant reaches the pods', () => {
  const dep = renderWorkload(inputs(['sidecar', 'shipper-backoff'])).find((o) => o.kind === 'Deployment')!;
  assert.ok(dep.spec.template.spec.containers[1].env.some((e: any) => e.name === 'SHIPPER_MODE' && e.value === 'backoff'));
});

test('scenario timings shape the kind config and the cluster identity', () => {
  const s = loadScenario(smoke);
  const settings = clusterSettingsFor(s, DEFAULT_CLUSTER);
  assert.equal(settings.workers, 2);
  const cfg = kindConfig(settings, 'node:1', false, 24 * 1024 ** 3) as any;
  assert.equal(cfg.nodes.length, 3);
  // Workers evict at 100Mi left of their 2g, i.e. with 22Gi + 100Mi of the host's 24Gi "available".
  const workerPatch = cfg.nodes[1].kubeadmConfigPatches.join('\n');
  assert.match(workerPatch, /eviction-hard: memory.available<22628Mi,nodefs.available<0%/);
  assert.equal(cfg.nodes[0].kubeadmConfigPatches, undefined, 'the control plane keeps its host view');
  const patches = cfg.kubeadmConfigPatches.join('\n');
  assert.match(patches, new RegExp(`node-monitor-grace-period: ${settings.nodeMonitorGracePeriod}`));
  assert.match(patches, /nodeStatusUpdateFrequency/);
  assert.notEqual(shapeOf(settings), shapeOf({ ...settings, nodeMonitorGracePeriod: '5s' }));
  assert.equal(shapeOf(settings), shapeOf({ ...settings, nodeCpus: 1.5 }), 'CPU limits do not need a new cluster');
  assert.notEqual(shapeOf(settings), shapeOf({ ...settings, nodeMemory: '1g' }), 'kubelets judge memory by the node limit');
  assert.equal(shapeOf({ ...settings, kubeletMemory: 'host' }), shapeOf({ ...settings, kubeletMemory: 'host', nodeMemory: '1g' }));
});
