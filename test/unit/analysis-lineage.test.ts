import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun, isUnknown } from '../../src/analysis/index.ts';
import { T0, at, history, node, phases, pod } from './analysis-helpers.ts';

const W1 = 'kind-worker';
const W2 = 'kind-worker2';
const W3 = 'kind-worker3';

const fault = (t: number, op: 'inject' | 'heal', kind: 'invoke' | 'ok' = 'ok') =>
  ({ t, type: 'fault', source: 'controller', f: 'kafka-cut', kind, op, journalId: 'j-1' }) as const;

/** W1 fails at 130; its pods a, b are evicted at 150 and replaced on W2 (c, recorded) and W3 (d, inferred);
 *  W3 fails at 170; d is evicted at 190 and replaced by e on W2: a chain of depth 2. */
function cascade() {
  return history(
    ...phases(),
    fault(60, 'inject'),
    fault(120, 'heal'),
    node(1, W1, true),
    node(1, W2, true),
    node(1, W3, true),
    pod(2, 'a', { event: 'added', node: W1, phase: 'Running', createdAt: at(-600) }),
    pod(2, 'b', { event: 'added', node: W1, phase: 'Running', createdAt: at(-600) }),
    pod(2, 'x', { event: 'added', node: W2, phase: 'Running', createdAt: at(-600), ownerUid: 'rs-other', ownerName: 'other-7f6' }),
    node(130, W1, 'unknown'),
    pod(150, 'a', { node: W1, evicted: true, reason: 'DeletionByTaintManager', deletionTimestamp: at(180) }),
    pod(150.5, 'b', { node: W1, evicted: true, reason: 'DeletionByTaintManager', deletionTimestamp: at(180) }),
    pod(151, 'c', { event: 'added', createdAt: at(151), replaces: 'a' }),
    pod(151.2, 'c', { node: W2, phase: 'Pending' }),
    pod(151.3, 'd', { event: 'added', createdAt: at(151) }),
    pod(151.4, 'd', { node: W3, phase: 'Pending' }),
    // A pod of another owner created now is not anybody's replacement.
    pod(152, 'y', { event: 'added', node: W2, createdAt: at(152), ownerUid: 'rs-other', ownerName: 'other-7f6' }),
    node(170, W3, false),
    pod(190, 'd', { node: W3, deletionTimestamp: at(220) }),
    { t: 190, type: 'k8s-event', source: 'watch/events', involved: { kind: 'Pod', ns: 'default', name: 'app-d', uid: 'd' }, reason: 'TaintManagerEviction', message: 'Marking for deletion Pod default/app-d' },
    pod(191, 'e', { event: 'added', node: W2, createdAt: at(191) }),
    node(200, W1, true),
    node(210, W3, true),
    pod(215, 'a', { node: W1, event: 'deleted' }),
    node(300, W1, true),
  );
}

test('lineage: recorded and inferred replacements, chains with depth, node failure and first cause', () => {
  const { summary, series } = analyzeRun({ records: cascade() });
  const l = summary.lineage;
  assert.equal(l.replacements, 3);
  assert.equal(summary.pods.rescheduled, 3);
  assert.equal(l.maxDepth, 2);
  assert.deepEqual(l.byDepth, { 1: 2, 2: 1 });
  assert.equal(l.roots, 2);
  const byUid = Object.fromEntries(l.links.map((x) => [x.uid, x]));
  assert.equal(byUid.c!.matched, 'recorded');
  assert.equal(byUid.c!.replaced.uid, 'a');
  assert.equal(byUid.d!.matched, 'inferred');
  assert.equal(byUid.d!.replaced.uid, 'b', 'd takes the first unmatched ended pod of the owner');
  assert.equal(byUid.d!.replaced.node, W1);
  assert.equal(byUid.d!.nodeFailure?.node, W1);
  assert.equal(byUid.d!.nodeFailure?.from, T0 + 130_000);
  assert.equal(byUid.e!.depth, 2);
  assert.deepEqual(byUid.e!.chain, ['b', 'd', 'e']);
  assert.equal(byUid.e!.replaced.how, 'evicted', 'the eviction event counts as eviction');
  assert.equal(byUid.e!.nodeFailure?.node, W3);
  // The first cause of the whole chain is the fault before W1's failure, healed before it.
  assert.equal(byUid.e!.firstCause?.fault, 'kafka-cut');
  assert.equal(byUid.e!.firstCause?.injectedAt, T0 + 60_000);
  assert.equal(byUid.e!.firstCause?.healedAt, T0 + 120_000);
  assert.ok(!byUid.y, 'another owner is no replacement');
  assert.equal(summary.pods.podsEvicted, 3);
  assert.equal(summary.pods.podsCreated, 4);
  // The tree: a -> c; b -> d -> e.
  const tree = Object.fromEntries(series.lineageTree.map((n) => [n.uid, n]));
  assert.deepEqual(tree.a!.children.map((c) => c.uid), ['c']);
  assert.deepEqual(tree.b!.children[0]!.children.map((c) => c.uid), ['e']);
  assert.match(tree.b!.cause!, /kind-worker NotReady/);
});

test('a pod created before its would-be predecessor ended is not its replacement', () => {
  const recs = history(
    ...phases(),
    pod(2, 'a', { event: 'added', node: W1, createdAt: at(-60) }),
    pod(100, 'b', { event: 'added', node: W2, createdAt: at(100) }),
    pod(150, 'a', { node: W1, deletionTimestamp: at(180) }),
  );
  const { summary } = analyzeRun({ records: recs });
  assert.equal(summary.lineage.replacements, 0);
  assert.equal(summary.pods.podsDeleted, 1);
  assert.equal(summary.pods.podsEvicted, 0);
});

test('a pod-watch gap turns pod counts into lower bounds', () => {
  const recs = [...cascade(), ...history({ t: 160, type: 'gap', source: 'watch/pods/default', from: at(160), to: at(165), reason: 'watch-410-relist' })];
  const { summary } = analyzeRun({ records: recs });
  const r = summary.pods.rescheduled;
  assert.ok(isUnknown(r));
  assert.equal(r.observed, 3);
  assert.equal(r.bound, 'lower');
  assert.ok(isUnknown(summary.pods.podsEvicted));
  // The lineage itself is still listed: what was seen is not thrown away.
  assert.equal(summary.lineage.links.length, 3);
});

test('pods per node follow scheduling and eviction', () => {
  const { series } = analyzeRun({ records: cascade() });
  const w2 = series.podsPerNode[W2]!;
  const atT = (s: [number, number][], sec: number) => [...s].reverse().find(([t]) => t <= T0 + sec * 1000)?.[1];
  assert.equal(atT(w2, 10), 1);
  assert.equal(atT(w2, 160), 3, 'x, c and y');
  assert.equal(atT(w2, 200), 4, '+ e');
  assert.equal(atT(series.podsPerNode[W1]!, 160), 0);
});
