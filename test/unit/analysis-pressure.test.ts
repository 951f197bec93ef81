// Node pressure (MemoryPressure, DiskPressure, PIDPressure) as a first-class node failure: intervals with
// the same care about blind spots as NotReady, and the lineage explaining kubelet evictions by it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun, buildAnswers, isUnknown, type RunRef } from '../../src/analysis/index.ts';
import { T0, at, history, node, nodeWith, phases, pod } from './analysis-helpers.ts';

const W1 = 'kind-worker';
const W2 = 'kind-worker2';

const fault = (t: number, op: 'inject' | 'heal') => ({ t, type: 'fault', source: 'controller', f: 'kafka-cut', kind: 'ok', op, journalId: 'j-1' }) as const;
const evictionEvent = (t: number, uid: string, message: string) =>
  ({ t, type: 'k8s-event', source: 'watch/events', involved: { kind: 'Pod', ns: 'default', name: `app-${uid}`, uid }, reason: 'Evicted', message, eventType: 'Warning' }) as const;
const LOW_ON_MEMORY = 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi.';

test('pressure intervals per node and condition; a node-watch gap splits them and turns totals into lower bounds', () => {
  const recs = history(
    ...phases(),
    nodeWith(1, W1, true),
    nodeWith(1, W2, true),
    nodeWith(130, W1, true, { MemoryPressure: 'True' }),
    nodeWith(140, W2, true, { DiskPressure: 'True' }),
    { t: 150, type: 'gap', source: 'watch/nodes', from: at(150), reason: 'watch-error' },
    { t: 170, type: 'gap', source: 'watch/nodes', from: at(150), to: at(170), reason: 'watch-error' },
    nodeWith(170, W1, true, { MemoryPressure: 'True' }),
    nodeWith(170, W2, true),
    nodeWith(190, W1, true),
    nodeWith(300, W1, true),
  );
  const { summary, series } = analyzeRun({ records: recs });
  const n = summary.nodes;
  const ivs = n.pressureIntervals.map((iv) => [iv.node, iv.condition, (iv.from - T0) / 1000, (iv.to - T0) / 1000, iv.open]);
  assert.deepEqual(ivs, [
    [W1, 'MemoryPressure', 130, 150, false],
    [W2, 'DiskPressure', 140, 150, false],
    [W1, 'MemoryPressure', 170, 190, false],
  ]);
  assert.equal(n.pressureIntervals[0]!.reason, 'KubeletHasInsufficientMemory');
  // What happened inside the gap is not known: seen node-seconds are a lower bound, never the truth.
  const mem = n.pressureNodeSeconds.MemoryPressure;
  assert.ok(isUnknown(mem));
  assert.equal(mem.observed, 40);
  assert.equal(mem.bound, 'lower');
  assert.match(mem.reason, /watch\/nodes/);
  const disk = n.pressureNodeSeconds.DiskPressure;
  assert.ok(isUnknown(disk) && disk.observed === 10);
  const most = n.maxSimultaneousPressure;
  assert.ok(isUnknown(most) && most.observed === 2 && most.bound === 'lower');
  // The first onset came before the gap, so the time to it is known.
  assert.equal(n.timeToFirstPressureMs, 10_000);
  assert.deepEqual(n.firstPressure, { node: W1, condition: 'MemoryPressure', at: T0 + 130_000 });
  assert.equal(n.pressurePerNode[W1]!.MemoryPressure.onsets, 2);
  assert.equal(n.pressurePerNode[W2]!.PIDPressure.onsets, 0);
  // Pressure is not NotReady: the nodes stayed Ready, and the NotReady fields say so.
  assert.deepEqual(n.notReadyIntervals, []);
  const notReady = n.maxSimultaneousNotReady;
  assert.ok(isUnknown(notReady) && notReady.observed === 0, 'the gap blinds NotReady too');
  const lane = series.pressureLanes.filter((s) => s.node === W1).map((s) => [s.state, (s.from - T0) / 1000]);
  assert.deepEqual(lane, [['no pressure', 1], ['MemoryPressure', 130], ['blind', 150], ['MemoryPressure', 170], ['no pressure', 190]]);
  assert.deepEqual(series.pressureCount.slice(0, 4).map(([t, v]) => [(t - T0) / 1000, v]), [[0, 0], [130, 1], [140, 2], [150, 1]]);
});

test('pressure seen throughout is a number; a condition never reported or Unknown is unknown, never zero', () => {
  const clean = analyzeRun({ records: history(...phases(), nodeWith(1, W1, true), nodeWith(300, W1, true)) }).summary.nodes;
  assert.equal(clean.pressureNodeSeconds.MemoryPressure, 0);
  assert.equal(clean.maxSimultaneousPressure, 0);
  assert.equal(clean.timeToFirstPressureMs, null);
  assert.equal(clean.firstPressure, null);

  // An older recorder that kept only the Ready condition: nothing is known about pressure.
  const readyOnly = analyzeRun({ records: history(...phases(), node(1, W1, true), node(300, W1, true)) }).summary.nodes;
  assert.ok(isUnknown(readyOnly.pressureNodeSeconds.MemoryPressure));
  assert.ok(isUnknown(readyOnly.maxSimultaneousPressure));
  assert.ok(isUnknown(readyOnly.timeToFirstPressureMs));
  assert.match((readyOnly.timeToFirstPressureMs as { reason: string }).reason, /not reported/);

  // A kubelet that stops posting: the node controller marks every condition Unknown.
  const silent = analyzeRun({
    records: history(
      ...phases(),
      nodeWith(1, W1, true),
      nodeWith(150, W1, 'unknown', { MemoryPressure: 'Unknown', DiskPressure: 'Unknown', PIDPressure: 'Unknown' }),
      nodeWith(200, W1, true, { MemoryPressure: 'True' }),
      nodeWith(220, W1, true),
      nodeWith(300, W1, true),
    ),
  }).summary.nodes;
  const mem = silent.pressureNodeSeconds.MemoryPressure;
  assert.ok(isUnknown(mem) && mem.observed === 20 && mem.bound === 'lower');
  assert.match(mem.reason, /MemoryPressure not reported .*kind-worker/);
  // The first pressure seen came after an unseen stretch: the time to it is only an upper bound.
  const first = silent.timeToFirstPressureMs;
  assert.ok(isUnknown(first) && first.observed === 80_000 && first.bound === 'upper');
  assert.equal(silent.notReadyIntervals.length, 1, 'the Unknown Ready is still NotReady');
});

test('pressure already there when the flood starts counts as reached at once, with its real onset kept', () => {
  // W2 reports no pressure conditions: that cannot make a time of zero any shorter.
  const recs = history(...phases(), nodeWith(1, W1, true), node(1, W2, true), nodeWith(30, W1, true, { MemoryPressure: 'True' }), nodeWith(300, W1, true, { MemoryPressure: 'True' }));
  const n = analyzeRun({ records: recs }).summary.nodes;
  assert.equal(n.timeToFirstPressureMs, 0);
  assert.equal(n.firstPressure?.at, T0 + 30_000);
  assert.equal(n.pressureIntervals[0]!.open, true);
  const secs = n.pressureNodeSeconds.MemoryPressure;
  assert.ok(isUnknown(secs) && secs.observed === 270 && secs.bound === 'lower', 'W2 unreported: a lower bound');
  assert.equal(n.pressurePerNode[W1]!.MemoryPressure.seconds, 270);
});

/** W1 stays Ready but posts MemoryPressure at 130 (after the cut at 60). */
function memoryCascade() {
  return history(
    ...phases(),
    fault(60, 'inject'),
    fault(120, 'heal'),
    nodeWith(1, W1, true),
    nodeWith(1, W2, true),
    pod(2, 'a', { event: 'added', node: W1, phase: 'Running', createdAt: at(-600) }),
    pod(2, 'c', { event: 'added', node: W1, phase: 'Running', createdAt: at(-600) }),
    pod(2, 'e', { event: 'added', node: W1, phase: 'Running', createdAt: at(-600) }),
    // Evicted without a message 12 s before the pressure shows: too early to be explained by it.
    pod(118, 'e', { node: W1, phase: 'Failed', reason: 'Evicted', evicted: true }),
    pod(119, 'f', { event: 'added', node: W2, createdAt: at(119), replaces: 'e' }),
    // The kubelet evicts for memory 8 s before its next status update posts the condition.
    evictionEvent(122, 'a', LOW_ON_MEMORY),
    pod(122.1, 'a', { node: W1, phase: 'Failed', reason: 'Evicted', evicted: true }),
    pod(123, 'b', { event: 'added', node: W2, createdAt: at(123), replaces: 'a' }),
    nodeWith(130, W1, true, { MemoryPressure: 'True' }),
    // Deleted, not evicted, on the pressured node: the pressure did not end it.
    pod(140, 'c', { node: W1, deletionTimestamp: at(170) }),
    pod(141, 'd', { event: 'added', node: W2, createdAt: at(141), replaces: 'c' }),
    nodeWith(300, W1, true, { MemoryPressure: 'True' }),
  );
}

test('lineage: a kubelet eviction under MemoryPressure is a node failure of that condition', () => {
  const { summary, series } = analyzeRun({ records: memoryCascade() });
  const l = summary.lineage;
  const byUid = Object.fromEntries(l.links.map((x) => [x.uid, x]));
  assert.equal(l.replacements, 3);
  assert.equal(byUid.b!.nodeFailure?.condition, 'MemoryPressure');
  assert.equal(byUid.b!.nodeFailure?.node, W1);
  assert.equal(byUid.b!.nodeFailure?.from, T0 + 130_000);
  assert.equal(byUid.d!.nodeFailure, null, 'a deleted pod is not explained by pressure');
  assert.equal(byUid.f!.nodeFailure, null, 'an eviction 12 s before the onset, not naming the resource, is not either');
  assert.equal(l.causedByNodeFailure, 1);
  assert.equal(l.otherCause, 2);
  assert.deepEqual(l.byNodeCondition, { MemoryPressure: 1 });
  assert.equal(byUid.b!.firstCause?.fault, 'kafka-cut');
  const a = series.lineageTree.find((t) => t.uid === 'a')!;
  assert.match(a.cause!, /^node kind-worker MemoryPressure \(KubeletHasInsufficientMemory\)$/);
  assert.doesNotMatch(a.cause!, /NotReady/);
});

test('lineage: an eviction the kubelet names memory is MemoryPressure even where NotReady overlaps; a taint eviction stays NotReady', () => {
  const recs = history(
    ...phases(),
    fault(60, 'inject'),
    nodeWith(1, W1, true),
    pod(2, 'a', { event: 'added', node: W1, createdAt: at(-600) }),
    pod(2, 'c', { event: 'added', node: W1, createdAt: at(-600) }),
    nodeWith(130, W1, true, { MemoryPressure: 'True' }),
    evictionEvent(133, 'a', LOW_ON_MEMORY),
    pod(134, 'b', { event: 'added', createdAt: at(134), replaces: 'a' }),
    nodeWith(135, W1, 'unknown', { MemoryPressure: 'Unknown', DiskPressure: 'Unknown', PIDPressure: 'Unknown' }),
    pod(180, 'c', { node: W1, evicted: true, reason: 'DeletionByTaintManager', deletionTimestamp: at(210) }),
    pod(181, 'd', { event: 'added', createdAt: at(181), replaces: 'c' }),
    nodeWith(300, W1, true),
  );
  const byUid = Object.fromEntries(analyzeRun({ records: recs }).summary.lineage.links.map((x) => [x.uid, x]));
  assert.equal(byUid.b!.nodeFailure?.condition, 'MemoryPressure');
  assert.equal(byUid.d!.nodeFailure?.condition, 'NotReady');
  assert.equal(byUid.d!.nodeFailure?.from, T0 + 135_000);
});

test('lineage: pressure evictions before any fault keep the first cause unknown, even when the condition posts after the cut', () => {
  const recs = history(
    ...phases(),
    nodeWith(1, W1, true),
    pod(2, 'a', { event: 'added', node: W1, createdAt: at(-600) }),
    pod(2, 'c', { event: 'added', node: W1, createdAt: at(-600) }),
    nodeWith(30, W1, true, { MemoryPressure: 'True' }),
    evictionEvent(31, 'a', LOW_ON_MEMORY),
    pod(32, 'b', { event: 'added', createdAt: at(32), replaces: 'a' }),
    nodeWith(45, W1, true),
    // Evicted for memory at 55, before the cut at 60; the kubelet posts the condition only at 62.
    evictionEvent(55, 'c', LOW_ON_MEMORY),
    pod(56, 'd', { event: 'added', createdAt: at(56), replaces: 'c' }),
    fault(60, 'inject'),
    nodeWith(62, W1, true, { MemoryPressure: 'True' }),
    nodeWith(300, W1, true, { MemoryPressure: 'True' }),
  );
  const l = analyzeRun({ records: recs }).summary.lineage;
  const byUid = Object.fromEntries(l.links.map((x) => [x.uid, x]));
  assert.equal(byUid.b!.nodeFailure?.condition, 'MemoryPressure');
  assert.equal(byUid.b!.firstCause, null);
  assert.equal(byUid.d!.nodeFailure?.from, T0 + 62_000);
  assert.equal(byUid.d!.firstCause, null, 'the eviction, not the later posted condition, is when it began');
  assert.deepEqual(l.byFirstCause, { unknown: 2 });
  assert.equal(l.causedByNodeFailure, 2);
});

test('answers: nodes only under pressure are counted as unhealthy, by condition, and never called NotReady', () => {
  const ref = (id: string, records: ReturnType<typeof history>): RunRef => ({ id, summary: analyzeRun({ records, runId: id }).summary });
  const pressured = ref('run-pressure', memoryCascade());
  const quiet = ref('run-quiet', history(...phases(), fault(60, 'inject'), fault(120, 'heal'), nodeWith(1, W1, true), nodeWith(300, W1, true)));
  const a = buildAnswers({ q1: { naive: [pressured], backoff: [quiet] }, q3: { sidecar: [pressured], daemonset: [quiet] }, q5: { containerd: [pressured] } });
  const texts = (id: string) => a.questions.find((q) => q.id === id)!.findings.map((f) => f.text);

  const q1 = texts('q1');
  assert.ok(q1.some((t) => /^No node went NotReady, but nodes came under pressure .* with: naive shipper \(MemoryPressure in 1 of 1 runs; no NotReady node in 1 of 1 runs: run-pressure\)/.test(t)), q1.join('\n'));
  assert.ok(q1.some((t) => /^No node went NotReady or came under pressure with: jittered backoff/.test(t)));
  assert.ok(!q1.some((t) => /Nodes still went NotReady/.test(t)));
  assert.ok(q1.some((t) => /Nodes came under pressure in 1 of 1 naive runs: MemoryPressure in 1 of 1 runs; most nodes under pressure at once: 1; in 1 of them no node went NotReady/.test(t)));
  assert.ok(q1.some((t) => /^most nodes under pressure at once \(n = 1 each\): in the one run each: jittered backoff 0 vs naive shipper 1 \(no spread yet\)$/.test(t)), q1.join('\n'));

  assert.ok(texts('q3').some((t) => /^pressure node-time \(Memory\+Disk\+PID\) \(n = 1 each\): in the one run each: DaemonSets 0 s vs sidecars 2m50s \(no spread yet\)$/.test(t)), texts('q3').join('\n'));

  const q5 = texts('q5');
  const verdict = q5.find((t) => /^containerd, naive sidecars: No node went NotReady after the flood/.test(t))!;
  assert.match(verdict, /Nodes did come under pressure \(MemoryPressure in 1 of 1 runs\)/);
});

test('answers: pressure that began before the flood is said to be there already', () => {
  const recs = history(...phases(), fault(60, 'inject'), fault(120, 'heal'), nodeWith(1, W1, true), nodeWith(30, W1, true, { MemoryPressure: 'True' }), nodeWith(300, W1, true, { MemoryPressure: 'True' }));
  const r: RunRef = { id: 'early', summary: analyzeRun({ records: recs }).summary };
  const q5 = buildAnswers({ q5: { containerd: [r] } }).questions.find((q) => q.id === 'q5')!;
  assert.ok(q5.findings.some((f) => /in 1 the pressure was already there when the flood started \(in 1 since before the cut\), so the flood did not start it/.test(f.text)), q5.findings.map((f) => f.text).join('\n'));
});
