import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadScenario, parseSetArgs } from '../../src/scenario/index.ts';
import { renderWorkload } from '../../src/workload/render.ts';
import { metricsAgentConfig } from '../../src/apps/metrics-agent/config.ts';
import { shipperConfig } from '../../src/apps/shipper/config.ts';
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

const envOf = (c: any, name: string) => c.env.find((e: any) => e.name === name);
const container = (spec: any, name: string) => spec.containers.find((c: any) => c.name === name);

test('daemonset variant: app pods carry only the app; one shipper, metrics agent and consul agent per node', () => {
  const objs = renderWorkload(inputs(['daemonset']));
  const dep = objs.find((o) => o.kind === 'Deployment')!;
  assert.deepEqual(dep.spec.template.spec.containers.map((c: any) => c.name), ['app']);
  const ds = objs.find((o) => o.kind === 'DaemonSet')!;
  assert.deepEqual(ds.spec.template.spec.containers.map((c: any) => c.name), ['shipper', 'metrics-agent', 'consul-agent']);
  assert.ok(ds.spec.template.spec.containers[0].env.some((e: any) => e.name === 'SHIPPER_SCOPE' && e.value === 'node'));
});

test('daemonset metrics agent: discovers the app pods of its node, ships like the sidecar one', () => {
  const objs = renderWorkload(inputs(['daemonset', 'shipper-backoff']));
  const dep = objs.find((o) => o.kind === 'Deployment')!;
  const ds = objs.find((o) => o.kind === 'DaemonSet')!;
  const agent = container(ds.spec.template.spec, 'metrics-agent');
  assert.deepEqual(agent.command, ['node', '/app/metrics-agent.mjs']);
  assert.equal(envOf(agent, 'SCRAPE_DISCOVERY').value, 'node');
  assert.equal(envOf(agent, 'SCRAPE_URL'), undefined);
  assert.equal(envOf(agent, 'NODE_NAME').valueFrom.fieldRef.fieldPath, 'spec.nodeName');
  // The selector must match the app pods as the Deployment labels them, in their namespace.
  const [k, v] = envOf(agent, 'SCRAPE_SELECTOR').value.split('=');
  assert.equal(dep.spec.template.metadata.labels[k], v);
  assert.equal(envOf(agent, 'SCRAPE_NAMESPACE').value, dep.metadata!.namespace);
  assert.equal(Number(envOf(agent, 'SCRAPE_PORT').value), dep.spec.template.spec.containers[0].ports[0].containerPort);
  // Same flush mode and Kafka as the sidecar agent of the same scenario.
  const sidecarDep = renderWorkload(inputs(['sidecar', 'shipper-backoff'])).find((o) => o.kind === 'Deployment')!;
  const sidecarAgent = container(sidecarDep.spec.template.spec, 'metrics-agent');
  for (const name of ['SHIPPER_MODE', 'KAFKA_BROKERS', 'RATE_LINES_PER_SEC', 'METRICS_AGENT_PORT']) assert.deepEqual(envOf(agent, name), envOf(sidecarAgent, name), name);
  assert.equal(envOf(agent, 'SHIPPER_MODE').value, 'backoff');
  // RBAC: its service account may list pods in the namespace.
  const sa = ds.spec.template.spec.serviceAccountName;
  const binding = objs.find((o) => o.kind === 'RoleBinding' && o.subjects.some((s: any) => s.kind === 'ServiceAccount' && s.name === sa))!;
  const role = objs.find((o) => o.kind === 'Role' && o.metadata!.name === binding.roleRef.name)!;
  assert.equal(role.metadata!.namespace, dep.metadata!.namespace);
  assert.ok(role.rules.some((r: any) => r.apiGroups.includes('') && r.resources.includes('pods') && r.verbs.includes('list') && r.verbs.includes('get')));
});

test('every rendered metrics agent starts: its environment passes the agent\'s own parser', () => {
  const downward: Record<string, string> = { 'metadata.name': 'pod-x', 'metadata.namespace': 'devenv', 'metadata.uid': 'uid-x', 'spec.nodeName': 'kind-worker' };
  for (const variant of ['sidecar', 'daemonset']) {
    for (const mode of [[], ['shipper-backoff'], ['shipper-ratelimited'], ['shipper-drop-oldest']]) {
      const objs = renderWorkload(inputs([variant, ...mode]));
      const specs = objs.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet').map((o) => o.spec.template.spec);
      const agents = specs.map((spec) => container(spec, 'metrics-agent')).filter(Boolean);
      assert.equal(agents.length, 1, `${variant} ${mode}: one metrics agent template`);
      const env = Object.fromEntries(agents[0].env.map((e: any) => [e.name, e.value ?? downward[e.valueFrom.fieldRef.fieldPath]]));
      assert.doesNotThrow(() => metricsAgentConfig(env), `${variant} ${mode.join(',')}`);
    }
  }
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

test('short-reconnect: the agents get advertise_reconnect_timeout from the scenario, others get no extra config', () => {
  const agentScript = (variants: string[]) => {
    const dep = renderWorkload(inputs(variants)).find((o) => o.kind === 'Deployment')!;
    return container(dep.spec.template.spec, 'consul-agent').command[2] as string;
  };
  assert.match(agentScript(['sidecar', 'short-reconnect']), /printf '%s' '\{"advertise_reconnect_timeout":"2m"\}' > \/tmp\/consul-extra\/scenario\.json/);
  assert.doesNotMatch(agentScript(['sidecar']), /scenario\.json/);
});

test('the gossip key reaches Consul as a config file from the mounted Secret, never on a command line or in the environment', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const GOSSIP_SECRET = 'consul-gossip';
  for (const variant of ['sidecar', 'daemonset'] as const) {
    const text = JSON.stringify(renderWorkload(inputs([variant])));
    assert.doesNotMatch(text, /-encrypt[=" ]/, `${variant}: -encrypt on a command line`);
    assert.doesNotMatch(text, /"GOSSIP_KEY"/, `${variant}: the key in an environment variable`);
    assert.match(text, new RegExp(`"secret":\\{"secretName":"${GOSSIP_SECRET}","optional":true`), `${variant}: the Secret mounted`);
    assert.match(text, /\{\\"encrypt\\":\\"%s\\"\}/, `${variant}: the key written as a config file`);
  }
  for (const f of ['manifests/consul/servers.yaml', 'manifests/vault/vault.yaml']) {
    const m = fs.readFileSync(path.join(repoRoot, f), 'utf8');
    assert.doesNotMatch(m, /-encrypt[=" ]|GOSSIP_KEY/, f);
    assert.match(m, /secretName: consul-gossip, optional: true/, f);
  }
});

test('shippers mount where the runtime keeps logs: under Docker also dockerd’s json-file folder that /var/log/pods links into', () => {
  const mounts = (variants: string[]) => {
    const dep = renderWorkload(inputs(variants)).find((o) => o.kind === 'Deployment')!;
    const shipper = container(dep.spec.template.spec, 'shipper');
    const vols = new Map(dep.spec.template.spec.volumes.map((v: any) => [v.name, v.hostPath?.path]));
    return shipper.volumeMounts.filter((m: any) => m.readOnly).map((m: any) => {
      assert.equal(vols.get(m.name), m.mountPath, 'mounted at the same path as on the node, so links resolve');
      return m.mountPath;
    });
  };
  assert.ok(mounts(['sidecar']).includes('/var/log/pods'));
  assert.ok(!mounts(['sidecar']).includes('/var/lib/docker/containers'));
  assert.deepEqual(mounts(['sidecar', 'docker-runtime']), ['/var/log/pods', '/var/log/containers', '/var/lib/docker/containers']);
});

test('shipper source docker-api: the node\'s Docker socket is mounted into the shippers (sidecar and daemonset), and only then', () => {
  const docker = (variants: string[]) => ({ ...inputs([]), scenario: loadScenario(smoke, { variants: ['docker-runtime', ...variants] }) });
  for (const variant of ['sidecar', 'daemonset']) {
    const objs = renderWorkload(docker([variant, 'docker-api-logs']));
    const spec = objs.find((o) => o.kind === (variant === 'sidecar' ? 'Deployment' : 'DaemonSet'))!.spec.template.spec;
    const shipper = container(spec, 'shipper');
    assert.equal(envOf(shipper, 'SHIPPER_SOURCE').value, 'docker-api');
    assert.equal(envOf(shipper, 'DOCKER_SOCKET').value, '/var/run/docker.sock');
    const mount = shipper.volumeMounts.find((m: any) => m.mountPath === '/var/run/docker.sock');
    assert.ok(mount, `${variant}: socket mounted`);
    assert.deepEqual(spec.volumes.find((v: any) => v.name === mount.name).hostPath, { path: '/var/run/docker.sock', type: 'Socket' });
    // Only the shipper talks to dockerd.
    for (const c of spec.containers.filter((c: any) => c.name !== 'shipper')) assert.ok(!(c.volumeMounts ?? []).some((m: any) => m.name === mount.name), `${variant}: ${c.name}`);
  }
  for (const scenario of [loadScenario(smoke, { variants: ['docker-runtime'] }), loadScenario(smoke, { variants: ['kubelet-api'] }), loadScenario(smoke)]) {
    for (const variant of ['sidecar', 'daemonset'] as const) {
      const objs = renderWorkload({ ...inputs([]), scenario: loadScenario(smoke, { variants: [...scenario.variants, variant] }) });
      const text = JSON.stringify(objs);
      assert.ok(!text.includes('docker.sock'), `${scenario.shipper.source}/${scenario.cluster.runtime}/${variant}: no socket`);
    }
  }
});

test('every rendered shipper starts: its environment (source, retry log) passes the shipper\'s own parser', () => {
  const downward: Record<string, string> = { 'metadata.name': 'pod-x', 'metadata.namespace': 'devenv', 'metadata.uid': 'uid-x', 'spec.nodeName': 'kind-worker' };
  const cases: string[][] = [[], ['kubelet-api'], ['docker-runtime'], ['docker-runtime', 'docker-api-logs']];
  for (const variant of ['sidecar', 'daemonset']) {
    for (const extra of cases) {
      for (const retryLog of ['every', 'throttled', 'off']) {
        const scenario = loadScenario(smoke, { variants: [variant, ...extra], overrides: parseSetArgs([`shipper.retryLog=${retryLog}`]) });
        const objs = renderWorkload({ ...inputs([]), scenario });
        const spec = objs.find((o) => o.kind === (variant === 'sidecar' ? 'Deployment' : 'DaemonSet'))!.spec.template.spec;
        const env = Object.fromEntries(container(spec, 'shipper').env.map((e: any) => [e.name, e.value ?? downward[e.valueFrom.fieldRef.fieldPath]]));
        const cfg = shipperConfig(env);
        assert.equal(cfg.source, scenario.shipper.source, `${variant} ${extra.join(',')}`);
        assert.equal(cfg.retryLog, retryLog);
      }
    }
  }
});
