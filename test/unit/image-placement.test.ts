import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedNodeNames, imagePlacement } from '../../src/cluster/up.ts';

test('expectedNodeNames follows kind: control plane, then worker, worker2, …', () => {
  assert.deepEqual(expectedNodeNames('outage-lab', 3), ['outage-lab-control-plane', 'outage-lab-worker', 'outage-lab-worker2', 'outage-lab-worker3']);
  assert.deepEqual(expectedNodeNames('x', 0), ['x-control-plane']);
});

test('imagePlacement puts Vault on the control plane only, Consul and the apps (workload, fault agent) everywhere', () => {
  const nodes = expectedNodeNames('lab', 2);
  const placed = imagePlacement(nodes, { consul: 'c:1', vault: 'v:1', apps: 'a:1', kafka: 'k:1' });
  assert.deepEqual(placed, [
    { ref: 'c:1', nodes },
    { ref: 'v:1', nodes: ['lab-control-plane'] },
    { ref: 'a:1', nodes },
  ]);
});

test('imagePlacement adds Kafka on the control plane only when it runs in the cluster', () => {
  const nodes = expectedNodeNames('lab', 2);
  const images = { consul: 'c:1', vault: 'v:1', apps: 'a:1', kafka: 'k:1' };
  assert.equal(imagePlacement(nodes, images, 'external').find((p) => p.ref === 'k:1'), undefined, 'an external broker runs from the host');
  assert.deepEqual(imagePlacement(nodes, images, 'in-cluster').find((p) => p.ref === 'k:1'), { ref: 'k:1', nodes: ['lab-control-plane'] });
});

test('onNodes narrows a placement to some nodes and drops images left with none', async () => {
  const { onNodes } = await import('../../src/cluster/up.ts');
  const nodes = expectedNodeNames('lab', 2);
  const placed = imagePlacement(nodes, { consul: 'c:1', vault: 'v:1', apps: 'a:1', kafka: 'k:1' });
  assert.deepEqual(onNodes(placed, ['lab-control-plane']), [
    { ref: 'c:1', nodes: ['lab-control-plane'] },
    { ref: 'v:1', nodes: ['lab-control-plane'] },
    { ref: 'a:1', nodes: ['lab-control-plane'] },
  ]);
  assert.deepEqual(onNodes(placed, ['lab-worker2']), [
    { ref: 'c:1', nodes: ['lab-worker2'] },
    { ref: 'a:1', nodes: ['lab-worker2'] },
  ]);
});
