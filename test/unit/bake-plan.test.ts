import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BAKED, bakeChain, notBaked, roleOf } from '../../src/images/bake-plan.ts';
import { expectedNodeNames, imagePlacement } from '../../src/cluster/up.ts';
import { kindConfig } from '../../src/cluster/kind.ts';
import { DEFAULT_CLUSTER } from '../../src/cluster/settings.ts';

const consul = { name: 'consul', id: 'sha256:c1' };
const vault = { name: 'vault', id: 'sha256:v1' };

test('bakeChain tags are content-addressed: same inputs, same tags; tagged under the node version', () => {
  const a = bakeChain('v1.34.4', 'sha256:n1', [consul, vault], 'r1');
  const b = bakeChain('v1.34.4', 'sha256:n1', [consul, vault], 'r1');
  assert.deepEqual(a, b);
  assert.deepEqual(a.map((s) => s.name), ['consul', 'vault']);
  for (const s of a) assert.match(s.tag, /^outage-lab\/node-baked:v1\.34\.4-[0-9a-f]{12}$/);
  assert.notEqual(a[0]!.tag, a[1]!.tag);
});

test('bakeChain: a rebuilt node image, baked image or bake recipe gives new tags from that step on', () => {
  const base = bakeChain('v1', 'sha256:n1', [consul, vault], 'r1');
  const newNode = bakeChain('v1', 'sha256:n2', [consul, vault], 'r1');
  assert.notEqual(newNode[0]!.tag, base[0]!.tag);
  assert.notEqual(newNode[1]!.tag, base[1]!.tag, 'a later step follows its parent');
  const newVault = bakeChain('v1', 'sha256:n1', [consul, { name: 'vault', id: 'sha256:v2' }], 'r1');
  assert.equal(newVault[0]!.tag, base[0]!.tag, 'the Consul step is reused');
  assert.notEqual(newVault[1]!.tag, base[1]!.tag);
  const newConsul = bakeChain('v1', 'sha256:n1', [{ name: 'consul', id: 'sha256:c2' }, vault], 'r1');
  assert.notEqual(newConsul[1]!.tag, base[1]!.tag);
  const newRecipe = bakeChain('v1', 'sha256:n1', [consul, vault], 'r2');
  assert.notEqual(newRecipe[0]!.tag, base[0]!.tag);
});

test('bakeChain: roles sharing a prefix share its image; order matters', () => {
  const cp = bakeChain('v1', 'sha256:n1', [consul, vault], 'r');
  const worker = bakeChain('v1', 'sha256:n1', [consul], 'r');
  assert.equal(worker[0]!.tag, cp[0]!.tag);
  const swapped = bakeChain('v1', 'sha256:n1', [vault, consul], 'r');
  assert.notEqual(swapped[1]!.tag, cp[1]!.tag);
  assert.deepEqual(bakeChain('v1', 'sha256:n1', [], 'r'), []);
});

test('BAKED: each role carries only what runs there; the roles share their first step (one Consul bake); apps come last', () => {
  assert.equal(BAKED.worker[0], BAKED['control-plane'][0]);
  assert.ok(!BAKED.worker.includes('vault'), 'Vault never runs on a worker');
  assert.ok(BAKED['control-plane'].includes('apps'), 'the fault agent runs on the control plane too');
  assert.equal(BAKED['control-plane'].at(-1), 'apps', 'on the control plane too, the image that changes most is re-baked alone');
  assert.ok(!BAKED['control-plane'].includes('kafka') && !BAKED.worker.includes('kafka'), 'Kafka runs in the cluster only on request');
  assert.equal(BAKED.worker.at(-1), 'apps', 'the image that changes most is re-baked alone');
});

test('roleOf follows kind node names', () => {
  assert.equal(roleOf('outage-lab-control-plane'), 'control-plane');
  assert.equal(roleOf('outage-lab-worker'), 'worker');
  assert.equal(roleOf('outage-lab-worker3'), 'worker');
});

test('notBaked drops each image from the nodes whose image carries it, and images left with no node', () => {
  const nodes = expectedNodeNames('lab', 2);
  const placed = imagePlacement(nodes, { consul: 'c:1', vault: 'v:1', apps: 'a:1', kafka: 'k:1' }, 'in-cluster');
  assert.deepEqual(notBaked(placed, { 'control-plane': ['c:1', 'v:1'], worker: ['c:1'] }), [
    { ref: 'a:1', nodes: ['lab-control-plane', 'lab-worker', 'lab-worker2'] },
    { ref: 'k:1', nodes: ['lab-control-plane'] },
  ]);
  assert.deepEqual(notBaked(placed, { 'control-plane': [], worker: [] }), placed, 'nothing baked: everything imported');
  // A rebuilt Consul (new ref) is not the one baked in: it is imported everywhere again.
  const rebuilt = imagePlacement(nodes, { consul: 'c:2', vault: 'v:1', apps: 'a:1' });
  assert.deepEqual(notBaked(rebuilt, { 'control-plane': ['c:1', 'v:1'], worker: ['c:1'] })[0], { ref: 'c:2', nodes });
});

test('kindConfig gives each role its own node image, or one image to all', () => {
  const cfg = kindConfig(DEFAULT_CLUSTER, { 'control-plane': 'cp:1', worker: 'w:1' }, false, 24 * 1024 ** 3) as { nodes: { role: string; image: string }[] };
  assert.deepEqual(cfg.nodes.map((n) => [n.role, n.image]), [['control-plane', 'cp:1'], ...Array.from({ length: DEFAULT_CLUSTER.workers }, () => ['worker', 'w:1'])]);
  const one = kindConfig(DEFAULT_CLUSTER, 'n:1', false, 24 * 1024 ** 3) as { nodes: { image: string }[] };
  assert.ok(one.nodes.every((n) => n.image === 'n:1'));
});
