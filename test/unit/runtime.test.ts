// The runtime seam (src/runtime/) with containerd and Docker: the scenario field, the kind config it
// shapes, what the CPU sampler counts as the runtime, the runtime probe's reading, the on-demand image.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { kindConfig } from '../../src/cluster/kind.ts';
import { DEFAULT_CLUSTER } from '../../src/cluster/settings.ts';
import { clusterSettingsFor, shapeOf } from '../../src/controller/cluster-for-scenario.ts';
import { classify } from '../../src/recorder/cpu-sampler.ts';
import { parseProbe, probeArgs } from '../../src/recorder/runtime-probe.ts';
import { loadSpecs } from '../../src/images/catalog.ts';
import { ordered } from '../../src/images/build.ts';
import { RUNTIME_NAMES, runtimeProvider, kubernetesVersion } from '../../src/runtime/index.ts';
import { loadScenario, parseSetArgs, ScenarioError } from '../../src/scenario/index.ts';
import { repoRoot } from '../../src/util/paths.ts';

const TARGET = join(repoRoot, 'lab/scenarios/target-2019.yaml');

test('cluster.runtime: containerd by default, threaded to the cluster settings; any other value refused naming the allowed ones', () => {
  const s = loadScenario(TARGET);
  assert.equal(s.cluster.runtime, 'containerd');
  assert.equal(clusterSettingsFor(s).runtime, 'containerd');
  assert.deepEqual(RUNTIME_NAMES, ['containerd', 'docker']);
  let err: unknown;
  try {
    loadScenario(TARGET, { overrides: parseSetArgs(['cluster.runtime=rkt']) });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ScenarioError, 'refused');
  assert.match(err.message, /cluster\.runtime/);
  assert.match(err.message, /containerd/);
  assert.match(err.message, /docker/);
});

test('writing the default runtime changes no scenario hash: runs made before the field still count for their arm', () => {
  const d = mkdtempSync(join(tmpdir(), 'outage-lab-runtime-'));
  const base = 'name: t\nphases:\n  - { name: baseline, duration: 10s }\n';
  writeFileSync(join(d, 'a.yaml'), base);
  writeFileSync(join(d, 'b.yaml'), `${base}cluster:\n  runtime: containerd\n`);
  const a = loadScenario(join(d, 'a.yaml'), { variantsDir: d });
  const b = loadScenario(join(d, 'b.yaml'), { variantsDir: d });
  assert.equal(a.hash, b.hash);
  // The hash of the shipped reference scenario as it was before the field existed, with shippers that
  // wrote no retry lines to stdout (shipper.retryLog off; its default `every` is a new behaviour).
  assert.equal(loadScenario(TARGET, { overrides: parseSetArgs(['shipper.retryLog=off']) }).hash, 'e2cfddc46fd5da111fecec1affc45c026066562ace2913beea9aac2f1c97762e');
});

test('containerd adds nothing to kind’s config: no CRI patch, and the workers’ kubelet flags are the eviction thresholds only', () => {
  const cfg = kindConfig(DEFAULT_CLUSTER, 'node:1', true, 24 * 1024 ** 3) as { kubeadmConfigPatches: string[]; nodes: { role: string; kubeadmConfigPatches?: string[] }[] };
  const kinds = cfg.kubeadmConfigPatches.map((p) => (parse(p) as { kind: string }).kind);
  assert.deepEqual(kinds.slice(0, 2), ['ClusterConfiguration', 'KubeletConfiguration']);
  assert.ok(!kinds.includes('InitConfiguration'));
  const [cp, worker] = cfg.nodes;
  assert.equal(cp!.kubeadmConfigPatches, undefined, 'the control plane keeps kind’s defaults');
  const join = parse(worker!.kubeadmConfigPatches![0]!) as { nodeRegistration: { kubeletExtraArgs: Record<string, string> } };
  assert.deepEqual(Object.keys(join.nodeRegistration.kubeletExtraArgs), ['eviction-hard']);
});

test('the containerd provider: its node image and version, the runtime processes, the probe', () => {
  const r = runtimeProvider('containerd');
  assert.equal(runtimeProvider(undefined), r, 'state from before runtimes ran containerd');
  assert.equal(r.nodeImage, 'node');
  assert.match(kubernetesVersion(r), /^v1\.34\./);
  assert.deepEqual(classify('containerd', '/docker/x/system.slice/containerd.service', r), { part: 'runtime', daemon: 'containerd' });
  assert.deepEqual(classify('containerd-shim-runc-v2', '/docker/x/system.slice/containerd.service', r), { part: 'shims' });
  assert.equal(classify('dockerd', '/docker/x/system.slice/docker.service', r), undefined);
  assert.deepEqual(r.logDirs, ['/var/log/pods', '/var/log/containers']);
  assert.equal(r.probeCommand[0], 'crictl');
  assert.throws(() => runtimeProvider('rkt'), /unknown container runtime "rkt".*|containerd/);
});

test('a runtime change is a new cluster shape', () => {
  const s = clusterSettingsFor(loadScenario(TARGET));
  assert.notEqual(shapeOf(s), shapeOf({ ...s, runtime: 'other' as never }));
  assert.equal(shapeOf(s), shapeOf({ ...s, runtime: undefined as never }), 'state written before the field ran containerd');
});

test('the docker-runtime variant sets cluster.runtime docker, and that is a new scenario hash and a new cluster shape', () => {
  const c = loadScenario(TARGET);
  const d = loadScenario(TARGET, { variants: ['docker-runtime'] });
  assert.equal(d.cluster.runtime, 'docker');
  assert.equal(clusterSettingsFor(d).runtime, 'docker');
  assert.notEqual(d.hash, c.hash);
  assert.notEqual(shapeOf(clusterSettingsFor(d)), shapeOf(clusterSettingsFor(c)));
});

test('docker in kind’s config: every node registers with dockershim’s socket and runs kubelet --container-runtime=docker; the node-docker image’s patch comes along', () => {
  const s = { ...DEFAULT_CLUSTER, runtime: 'docker' as const };
  const cfg = kindConfig(s, 'node-docker:1', true, 24 * 1024 ** 3) as { kubeadmConfigPatches: string[]; nodes: { role: string; kubeadmConfigPatches?: string[] }[] };
  const docs = cfg.kubeadmConfigPatches.map((p) => parse(p) as { kind: string; nodeRegistration?: { criSocket?: string }; imageRepository?: string });
  for (const kind of ['InitConfiguration', 'JoinConfiguration']) {
    assert.equal(docs.find((d) => d.kind === kind)?.nodeRegistration?.criSocket, '/var/run/dockershim.sock', kind);
  }
  // 1.23 would taint the control plane "master", which the lab's Consul servers and Vault do not tolerate.
  const init = docs.find((d) => d.kind === 'InitConfiguration') as { nodeRegistration: { taints?: { key: string; effect: string }[] } };
  assert.deepEqual(init.nodeRegistration.taints, [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
  const join = docs.find((d) => d.kind === 'JoinConfiguration') as { nodeRegistration: { taints?: unknown } };
  assert.equal(join.nodeRegistration.taints, undefined, 'workers stay untainted');
  assert.equal(docs.find((d) => d.kind === 'ClusterConfiguration' && d.imageRepository)?.imageRepository, 'outage-lab.local/k8s');
  const [cp, worker] = cfg.nodes;
  const args = (p: string) => (parse(p) as { nodeRegistration: { kubeletExtraArgs: Record<string, string> } }).nodeRegistration.kubeletExtraArgs;
  assert.equal(args(cp!.kubeadmConfigPatches![0]!)['container-runtime'], 'docker');
  assert.equal(args(worker!.kubeadmConfigPatches![0]!)['container-runtime'], 'docker');
  assert.ok(args(worker!.kubeadmConfigPatches![0]!)['eviction-hard'], 'the workers keep their eviction thresholds');
});

test('the docker provider: Kubernetes 1.23 node image, dockerd and containerd apart as the runtime, shims, logs behind the links, docker ps probe, no baking', () => {
  const r = runtimeProvider('docker');
  assert.equal(r.nodeImage, 'node-docker');
  assert.equal(kubernetesVersion(r), 'v1.23.17');
  assert.deepEqual(classify('dockerd', '/docker/x/system.slice/docker.service', r), { part: 'runtime', daemon: 'dockerd' });
  assert.deepEqual(classify('containerd', '/docker/x/system.slice/containerd.service', r), { part: 'runtime', daemon: 'containerd' });
  assert.deepEqual(classify('containerd-shim', '/docker/x/system.slice/containerd.service', r), { part: 'shims' });
  assert.deepEqual(classify('kubelet', '/docker/x/kubelet.slice/kubelet.service', r), { part: 'kubelet' });
  // dockershim with cgroupfs: the pod's cgroup carries its uid with dashes.
  assert.deepEqual(classify('sh', '/docker/x/kubelet/kubepods/besteffort/pod4e3b7855-1911-4529-9bd8-bad921e28b84/e5c4', r), { part: 'pod', uid: '4e3b7855-1911-4529-9bd8-bad921e28b84' });
  assert.equal(classify('runc', '/docker/x/system.slice/docker.service', r), undefined);
  assert.ok(r.logDirs.includes('/var/lib/docker/containers'), 'the json-file logs /var/log/pods links to');
  assert.deepEqual(r.probeCommand.slice(0, 2), ['docker', 'ps']);
  assert.equal(r.bakes, false);
  assert.equal(runtimeProvider('containerd').bakes, true);
});

test('the runtime probe reads the node shell’s "<exit> <ns>" line: a latency, a timeout, a failure with its reason, never a number from garbage', () => {
  assert.deepEqual(parseProbe('0 12345678\n'), { ms: 12.345678 });
  assert.deepEqual(parseProbe('124 60001000000\n', 60), { ms: 60001, error: 'no answer within 60 s' });
  assert.deepEqual(parseProbe('1 3000000\nCannot connect to the Docker daemon at unix:///var/run/docker.sock\n'), {
    ms: 3,
    error: 'exit 1: Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
  });
  assert.ok('error' in parseProbe('') && !('ms' in parseProbe('')));
  assert.ok(!('ms' in parseProbe('OCI runtime exec failed')));
  const args = probeArgs('n1', ['docker', 'ps', '--all'], 30);
  assert.deepEqual(args.slice(0, 4), ['exec', 'n1', 'sh', '-c']);
  assert.deepEqual(args.slice(5), ['30', 'docker', 'ps', '--all'], 'the command travels as arguments, never spliced into the script');
});

test('node-docker is built on demand only: not by a plain `lab images`, but when named or asked for by a runtime', () => {
  const specs = loadSpecs();
  assert.equal(specs.get('node-docker')?.onDemand, true);
  const names = (l: { name: string }[]) => l.map((s) => s.name);
  const plain = names(ordered(specs));
  assert.ok(!plain.includes('node-docker'));
  assert.ok(plain.includes('node') && plain.includes('base'));
  assert.deepEqual(names(ordered(specs, ['node-docker'])), ['base', 'node-docker']);
  const withDocker = names(ordered(specs, undefined, [runtimeProvider('docker').nodeImage]));
  assert.deepEqual(withDocker.filter((n) => n !== 'node-docker'), plain);
  assert.ok(withDocker.indexOf('base') < withDocker.indexOf('node-docker'));
});
