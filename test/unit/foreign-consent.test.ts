import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeConfig, type V1Node } from '@kubernetes/client-node';
import { writeKubeconfig } from './helpers/kubeconfig.ts';
import { CONSENT_FLAG, foreignConsent, type ConsentDeps } from '../../src/cluster/foreign/consent.ts';
import { contextArg, foreignStateDir } from '../../src/cluster/foreign/state-dir.ts';
import { identify, type ForeignTarget } from '../../src/cluster/foreign/target.ts';
import { foreignOverrides, refuseOnForeign } from '../../src/cluster/foreign/scenario.ts';
import { loadScenario } from '../../src/scenario/index.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { missingOnNodes } from '../../src/cluster/foreign/images.ts';
import { forForeignCluster, parseBootstrap } from '../../src/cluster/foreign/up.ts';
import { preflightLines } from '../../src/cluster/foreign/preflight.ts';
import { LabError } from '../../src/util/errors.ts';

function kubeconfigOf(contexts: Record<string, string>, ca: Record<string, string>): () => KubeConfig {
  const file = writeKubeconfig(contexts, undefined, ca);
  return () => {
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    return kc;
  };
}

const prod = kubeconfigOf({ prod: 'https://10.1.2.3:6443', bare: 'https://10.1.2.4:6443' }, { prod: 'CA-1' });
const deps = (over: Partial<ConsentDeps> = {}): ConsentDeps => ({ kubeconfig: prod, recorded: () => undefined, ...over });
const oneLine = (re: RegExp) => (e: unknown) => e instanceof LabError && !e.message.includes('\n') && re.test(e.message);

test('without --context there is no foreign cluster, and a lone confirmation is refused', async () => {
  assert.equal(await foreignConsent({}, deps()), undefined);
  await assert.rejects(foreignConsent({ [CONSENT_FLAG]: 'prod' }, deps()), oneLine(/confirms a --context; there is none/));
});

test('consent needs the exact name typed again, by flag or at the prompt', async () => {
  await assert.rejects(foreignConsent({ context: 'prod' }, deps()), oneLine(/^refusing kube context "prod": no consent: repeat its name with --i-understand-this-cuts prod$/));
  await assert.rejects(foreignConsent({ context: 'prod', [CONSENT_FLAG]: 'Prod' }, deps()), oneLine(/the confirmation says "Prod", not "prod"/));
  await assert.rejects(foreignConsent({ context: 'prod', [CONSENT_FLAG]: 'prod ' }, deps()), oneLine(/not "prod"/));
  await assert.rejects(foreignConsent({ context: 'prod' }, deps({ ask: async () => 'staging' })), oneLine(/says "staging"/));
  const t = await foreignConsent({ context: 'prod' }, deps({ ask: async () => 'prod' }));
  assert.equal(t?.context, 'prod');
  const f = await foreignConsent({ context: 'prod', [CONSENT_FLAG]: 'prod' }, deps());
  assert.deepEqual(f, { context: 'prod', server: 'https://10.1.2.3:6443', caSha256: identify(prod(), 'prod').caSha256 });
});

test('a context the kubeconfig lacks, or one not identified by a CA, is refused before consent is asked', async () => {
  let asked = false;
  const ask = async () => ((asked = true), 'x');
  await assert.rejects(foreignConsent({ context: 'staging', [CONSENT_FLAG]: 'staging' }, deps({ ask })), oneLine(/"staging": it does not exist/));
  await assert.rejects(foreignConsent({ context: 'bare' }, deps({ ask })), oneLine(/"bare": its API server https:\/\/10\.1\.2\.4:6443 is not identified by a CA/));
  assert.equal(asked, false);
});

test('a context whose server or CA changed since the lab was put on it is refused', async () => {
  const recorded: ForeignTarget = identify(prod(), 'prod');
  const rebuilt = kubeconfigOf({ prod: 'https://10.1.2.3:6443' }, { prod: 'CA-2' });
  await assert.rejects(foreignConsent({ context: 'prod', [CONSENT_FLAG]: 'prod' }, deps({ kubeconfig: rebuilt, recorded: () => recorded })), oneLine(/"prod": its CA sha256 [0-9a-f]{12}… → [0-9a-f]{12}… since consent was given/));
  const moved = kubeconfigOf({ prod: 'https://10.6.6.6:6443' }, { prod: 'CA-1' });
  await assert.rejects(foreignConsent({ context: 'prod', [CONSENT_FLAG]: 'prod' }, deps({ kubeconfig: moved, recorded: () => recorded })), oneLine(/its server https:\/\/10\.1\.2\.3:6443 → https:\/\/10\.6\.6\.6:6443/));
  assert.equal((await foreignConsent({ context: 'prod', [CONSENT_FLAG]: 'prod' }, deps({ recorded: () => recorded })))?.context, 'prod');
});

test('--context is found as parseArgs reads it, and gives the context a state folder of its own', () => {
  assert.equal(contextArg(['up', '--context', 'prod']), 'prod');
  assert.equal(contextArg(['replay', 'smoke', '--context=a/b']), 'a/b');
  assert.equal(contextArg(['replay', '--', '--context', 'x']), undefined);
  assert.equal(contextArg(['status']), undefined);
  assert.equal(foreignStateDir('/s', 'a/b.c'), '/s/contexts/a%2Fb%2Ec');
  assert.notEqual(foreignStateDir('/s', '..'), '/s');
});

test('a foreign replay goes through the agent, to the broker the lab was put up with', () => {
  assert.deepEqual(foreignOverrides({ 'shipper.mode': 'naive' }, 'in-cluster'), { 'shipper.mode': 'naive', 'fault.via': 'agent', 'kafka.placement': 'in-cluster' });
  assert.throws(() => foreignOverrides({ 'fault.via': 'node-exec' }, 'in-cluster'), /fault agent only/);
  assert.throws(() => foreignOverrides({ 'kafka.placement': 'in-cluster' }, 'external'), /refused/);
});

test('a foreign replay refuses, in one line each, what needs kind or this host\u2019s Docker; smoke with flap through the agent passes', () => {
  const smoke = `${repoRoot}/lab/scenarios/smoke.yaml`;
  const load = (variants: string[], overrides: Record<string, unknown> = {}) => loadScenario(smoke, { variants, overrides: foreignOverrides(overrides, 'in-cluster') });
  // As e2e 45 runs it (the flap periods fitted into smoke's 30 s hold).
  assert.equal(refuseOnForeign(load(['flap'], { 'fault.flap.up': '8s', 'fault.flap.down': '8s' })).fault.via, 'agent');
  for (const [variants, re] of [
    [['gossip-encryption'], /^on a foreign cluster remedy: /],
    [['users'], /^on a foreign cluster traffic /],
    [['docker-runtime'], /^on a foreign cluster cluster\.runtime: docker /],
    [['docker-runtime', 'docker-api-logs'], /^on a foreign cluster cluster\.runtime: docker /],
  ] as const) {
    assert.throws(() => refuseOnForeign(load([...variants])), (err: Error) => err instanceof LabError && re.test(err.message) && !err.message.includes('\n'), variants.join('+'));
  }
  // Two clusters are refused before that, by the scenario's own rules (the agent and the in-cluster broker are one-cluster).
  assert.throws(() => load(['split-clusters']), /clusters/);
});

test('images on a node are matched whatever registry prefix the runtime reports', () => {
  const node = (name: string, names: string[]) => ({ metadata: { name }, status: { images: [{ names, sizeBytes: 1 }] } });
  const refs = ['outage-lab/apps:1-a', 'outage-lab/consul:2-b'];
  assert.deepEqual(missingOnNodes([node('w1', ['registry.invalid/outage-lab/apps:1-a', 'localhost:5000/outage-lab/consul:2-b@sha256:00ff']), node('w2', ['outage-lab/apps:1-a', 'outage-lab/consul:2-c'])], refs), [{ node: 'w2', missing: ['outage-lab/consul:2-b'] }]);
});

test('on a foreign cluster images are pulled when absent, and pinned to a control plane only if there is one', () => {
  const objs = () => [{ apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: { spec: { nodeSelector: { 'node-role.kubernetes.io/control-plane': '' }, containers: [{ name: 'a', image: 'x', imagePullPolicy: 'Never' }] } } } }];
  const managed = forForeignCluster(objs(), false)[0]!.spec.template.spec;
  assert.equal(managed.nodeSelector, undefined);
  assert.equal(managed.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(forForeignCluster(objs(), true)[0]!.spec.template.spec.nodeSelector, { 'node-role.kubernetes.io/control-plane': '' });
});

test('the user\'s broker is cut by address: an IPv4 literal and a port', () => {
  assert.deepEqual(parseBootstrap('10.0.0.5:9092'), { host: '10.0.0.5', port: 9092 });
  for (const bad of ['kafka.prod:9092', '10.0.0.5', '10.0.0.5:0', '[::1]:9092']) assert.throws(() => parseBootstrap(bad), LabError, bad);
});

test('the preflight names what is created, the agent\'s privileges, what is cut and every node', () => {
  const lines = preflightLines({
    target: { context: 'prod', server: 'https://10.1.2.3:6443', caSha256: 'ab'.repeat(32) },
    nodes: ['n1', 'n2', 'n3'],
    kafka: { placement: 'bootstrap', host: '10.0.0.5', port: 9092 },
    images: { apps: 'outage-lab/apps:1' },
    deadlineMs: 15000,
    forwards: [{ name: 'Consul', localPort: 18530 }],
  }).join('\n');
  for (const re of [/prod/, /namespaces lab and devenv/, /DaemonSet fault-agent/, /privileged container, host network, NET_ADMIN and SYS_ADMIN/, /every packet to 10\.0\.0\.5 is dropped/, /Nodes \(3\): n1, n2, n3/, /already present on the nodes/, /15 s/, /lab heal --context prod/]) assert.match(lines, re);
});

test('images already on the nodes: apps and Consul on every node, Vault and Kafka on a control-plane node when there is one', async () => {
  const { assertImagesPresent } = await import('../../src/cluster/foreign/images.ts');
  const images = { apps: 'outage-lab/apps:1', consul: 'outage-lab/consul:1', vault: 'outage-lab/vault:1', kafka: 'outage-lab/kafka:1' };
  const node = (name: string, cp: boolean, names: string[]): V1Node => ({ metadata: { name, labels: cp ? { 'node-role.kubernetes.io/control-plane': '' } : {} }, status: { images: [{ names, sizeBytes: 1 }] } });
  const cp = (n: V1Node) => 'node-role.kubernetes.io/control-plane' in (n.metadata?.labels ?? {});
  const all = Object.values(images);
  assert.doesNotThrow(() => assertImagesPresent([node('cp', true, all), node('w', false, [images.apps, images.consul])], images, cp));
  assert.throws(() => assertImagesPresent([node('cp', true, [images.apps, images.consul]), node('w', false, all)], images, cp), /no control-plane node has outage-lab\/vault:1; no control-plane node has outage-lab\/kafka:1/);
  assert.throws(() => assertImagesPresent([node('cp', true, all), node('w', false, [images.apps])], images, cp), /w lacks outage-lab\/consul:1/);
  // No control plane to pin to (a managed cluster): any node will do.
  assert.doesNotThrow(() => assertImagesPresent([node('a', false, all), node('b', false, [images.apps, images.consul])], images, cp));
});
