// The runtime seam (src/runtime/) with containerd, the only runtime today: the scenario field, the kind
// config it shapes, and what the CPU sampler counts as the runtime.
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
import { RUNTIME_NAMES, runtimeProvider, kubernetesVersion } from '../../src/runtime/index.ts';
import { loadScenario, parseSetArgs, ScenarioError } from '../../src/scenario/index.ts';
import { repoRoot } from '../../src/util/paths.ts';

const TARGET = join(repoRoot, 'lab/scenarios/target-2019.yaml');

test('cluster.runtime: containerd by default, threaded to the cluster settings; any other value refused naming the allowed ones', () => {
  const s = loadScenario(TARGET);
  assert.equal(s.cluster.runtime, 'containerd');
  assert.equal(clusterSettingsFor(s).runtime, 'containerd');
  assert.deepEqual(RUNTIME_NAMES, ['containerd']);
  let err: unknown;
  try {
    loadScenario(TARGET, { overrides: parseSetArgs(['cluster.runtime=docker']) });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ScenarioError, 'refused');
  assert.match(err.message, /cluster\.runtime/);
  assert.match(err.message, /containerd/);
});

test('writing the default runtime changes no scenario hash: runs made before the field still count for their arm', () => {
  const d = mkdtempSync(join(tmpdir(), 'outage-lab-runtime-'));
  const base = 'name: t\nphases:\n  - { name: baseline, duration: 10s }\n';
  writeFileSync(join(d, 'a.yaml'), base);
  writeFileSync(join(d, 'b.yaml'), `${base}cluster:\n  runtime: containerd\n`);
  const a = loadScenario(join(d, 'a.yaml'), { variantsDir: d });
  const b = loadScenario(join(d, 'b.yaml'), { variantsDir: d });
  assert.equal(a.hash, b.hash);
  // The hash of the shipped reference scenario as it was before the field existed.
  assert.equal(loadScenario(TARGET).hash, 'e2cfddc46fd5da111fecec1affc45c026066562ace2913beea9aac2f1c97762e');
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
  assert.deepEqual(classify('containerd', '/docker/x/system.slice/containerd.service', r), { part: 'runtime' });
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
