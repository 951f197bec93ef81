import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeKubeconfig } from './helpers/kubeconfig.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { labKubeConfig } from '../../src/cluster/kube.ts';
import { identify, useForeign } from '../../src/cluster/foreign/target.ts';
import { LabError } from '../../src/util/errors.ts';

const kubeconfig = writeKubeconfig;

function withKubeconfig<T>(file: string, fn: () => T): T {
  const prev = process.env.KUBECONFIG;
  process.env.KUBECONFIG = file;
  try {
    return fn();
  } finally {
    if (prev === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = prev;
  }
}

test('selects the lab context even when the current context is another cluster', () => {
  const file = kubeconfig({ 'kind-outage-lab': 'https://127.0.0.1:40000', prod: 'https://10.1.2.3:6443' }, 'prod');
  const kc = withKubeconfig(file, () => labKubeConfig({ clusterName: 'outage-lab' }));
  assert.equal(kc.getCurrentContext(), 'kind-outage-lab');
});

test('refuses a lab-named context whose API server is not on loopback', () => {
  const file = kubeconfig({ 'kind-outage-lab': 'https://10.1.2.3:6443' }, 'kind-outage-lab');
  assert.throws(() => withKubeconfig(file, () => labKubeConfig({ clusterName: 'outage-lab' })), (e: unknown) => e instanceof LabError && /not a local kind cluster/.test(e.message));
});

test('refuses when the lab context is missing, and says to run lab up', () => {
  const file = kubeconfig({ prod: 'https://10.1.2.3:6443' }, 'prod');
  assert.throws(() => withKubeconfig(file, () => labKubeConfig({ clusterName: 'outage-lab' })), (e: unknown) => e instanceof LabError && /lab up/.test(e.hint ?? ''));
});

test('a foreign context is used only with the identity consent was given to', () => {
  const file = kubeconfig({ 'kind-outage-lab': 'https://127.0.0.1:40000', prod: 'https://10.1.2.3:6443' }, 'kind-outage-lab', { prod: 'CA-1' });
  const prod = withKubeconfig(file, () => {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return identify(kc, 'prod');
  });
  const kc = withKubeconfig(file, () => labKubeConfig({ clusterName: 'outage-lab', foreign: prod }));
  assert.equal(kc.getCurrentContext(), 'prod');
  assert.throws(() => withKubeconfig(file, () => labKubeConfig({ clusterName: 'outage-lab', foreign: { ...prod, context: 'staging' } })), /does not exist/);
  // The same name now pointing at another cluster (a new CA, or another server) is refused.
  const rebuilt = kubeconfig({ prod: 'https://10.1.2.3:6443' }, 'prod', { prod: 'CA-2' });
  assert.throws(() => withKubeconfig(rebuilt, () => labKubeConfig({ clusterName: 'outage-lab', foreign: prod })), (e: unknown) => e instanceof LabError && /refusing kube context "prod": its CA sha256/.test(e.message));
  const moved = kubeconfig({ prod: 'https://10.9.9.9:6443' }, 'prod', { prod: 'CA-1' });
  assert.throws(() => withKubeconfig(moved, () => labKubeConfig({ clusterName: 'outage-lab', foreign: prod })), /its server https:\/\/10\.1\.2\.3:6443 → https:\/\/10\.9\.9\.9:6443/);
});

test('while a command has consented to a foreign context, every kube config goes there and nowhere else', () => {
  const file = kubeconfig({ 'kind-outage-lab': 'https://127.0.0.1:40000', prod: 'https://10.1.2.3:6443' }, 'kind-outage-lab', { prod: 'CA-1' });
  withKubeconfig(file, () => {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    useForeign(identify(kc, 'prod'));
    try {
      assert.equal(labKubeConfig({ clusterName: 'outage-lab' }).getCurrentContext(), 'prod');
    } finally {
      useForeign(undefined);
    }
    assert.equal(labKubeConfig({ clusterName: 'outage-lab' }).getCurrentContext(), 'kind-outage-lab');
  });
});

test('refusal hints name no flag that does not exist', () => {
  for (const [file, name] of [[kubeconfig({ 'kind-outage-lab': 'https://10.1.2.3:6443' }, 'kind-outage-lab'), 'outage-lab'], [kubeconfig({ 'kind-prod': 'https://127.0.0.1:6443' }), 'prod']] as const) {
    assert.throws(
      () => withKubeconfig(file, () => labKubeConfig({ clusterName: name })),
      (e: unknown) => e instanceof LabError && !/--foreign-context/.test(`${e.message} ${e.hint}`) && /lab down/.test(e.hint ?? ''),
    );
  }
});

test('lab down deletes only the lab\'s own clusters, whatever the state file says', async () => {
  const { clustersToRemove } = await import('../../src/cluster/down.ts');
  assert.deepEqual(clustersToRemove('outage-lab'), ['outage-lab', 'outage-lab-b']);
  for (const name of ['prod', 'kind', 'outage-lab-prod']) assert.throws(() => clustersToRemove(name), (e: unknown) => e instanceof LabError && e.message.includes(name), name);
});

test('a KUBECONFIG that cannot be read is one line naming it, on the kind path and the foreign one', () => {
  const missing = '/nonexistent/outage-lab-kubeconfig';
  for (const make of [() => labKubeConfig({ clusterName: 'outage-lab' }), () => labKubeConfig({ clusterName: 'outage-lab', foreign: { context: 'x', server: 'https://10.0.0.1', caSha256: 'ab' } as never })]) {
    assert.throws(
      () => withKubeconfig(missing, make),
      (e: unknown) => e instanceof LabError && e.message === `cannot read KUBECONFIG=${missing}: ENOENT: no such file or directory, open '${missing}'`,
    );
  }
});
