import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeKubeconfig } from './helpers/kubeconfig.ts';
import { labKubeConfig } from '../../src/cluster/kube.ts';
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

test('a foreign context is used only when named explicitly', () => {
  const file = kubeconfig({ 'kind-outage-lab': 'https://127.0.0.1:40000', prod: 'https://10.1.2.3:6443' }, 'kind-outage-lab');
  const kc = withKubeconfig(file, () => labKubeConfig({ clusterName: 'outage-lab', foreignContext: 'prod' }));
  assert.equal(kc.getCurrentContext(), 'prod');
  assert.throws(() => withKubeconfig(file, () => labKubeConfig({ clusterName: 'outage-lab', foreignContext: 'staging' })), /does not exist/);
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
