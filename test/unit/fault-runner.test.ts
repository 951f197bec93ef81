// The fault runner with the kafka-cut fault over fake nodes (pure logic): "healed" only when verified,
// failures stay in the journal as heal-failed with their reason, a partial cut is completed, and an entry
// whose params were lost is healed by the lab's rule comment on every node of the lab's clusters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FaultJournal, JOURNAL_FILE } from '../../src/faults/journal.ts';
import { CUT_COMMENT, cutRules, labRulesIn, splitRuleLine, type KafkaCutParams } from '../../src/faults/kafka-network.ts';
import { applyFault, healEntry, healJournal, HealError } from '../../src/faults/runner.ts';
import { healOrphansOrRefuse } from '../../src/faults/orphans.ts';
import { LabError } from '../../src/util/errors.ts';
import { FakeNodes } from './helpers/fake-nodes.ts';

const NODES = ['lab-control-plane', 'lab-worker'];
const KAFKA = '172.30.0.10';
const PROBE = { host: KAFKA, port: 9092 };
const params = (extra: Partial<KafkaCutParams> = {}): KafkaCutParams => ({ nodes: NODES, kafkaIp: KAFKA, comment: CUT_COMMENT, probe: PROBE, ...extra });

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-runner-'));
  const nodes = new FakeNodes({ lab: NODES });
  return { dir, journal: FaultJournal.open(dir, { runId: 'unit' }), nodes, ctx: nodes.context(PROBE) };
}

test('apply puts every rule of the cut on every node; heal removes them and is verified', async () => {
  const { journal, nodes, ctx } = setup();
  const id = await applyFault(journal, 'kafka-cut', { ...params() }, ctx);
  for (const n of NODES) assert.deepEqual(nodes.on(n).sort(), cutRules(params()).map((r) => r.join(' ')).sort(), `${n} has the whole cut`);
  assert.equal(journal.get(id)!.state, 'active');
  await healEntry(journal, journal.get(id)!, ctx);
  for (const n of NODES) assert.deepEqual(nodes.on(n), [], `${n} has no lab rule`);
  const e = journal.get(id)!;
  assert.equal(e.state, 'healed');
  assert.match(String(e.info?.verified), /no lab rule on 2 node\(s\); TCP to Kafka 172\.30\.0\.10:9092 opens from each/);
});

test('a node that cannot be asked (exec fails) is not "rule absent": heal-failed with the reason, then healed once repaired', async () => {
  const { journal, nodes, ctx } = setup();
  const id = await applyFault(journal, 'kafka-cut', { ...params() }, ctx);
  nodes.unreachable.add('lab-worker');
  await assert.rejects(healEntry(journal, journal.get(id)!, ctx), (err: unknown) => err instanceof HealError && /lab-worker: rules could not be read/.test(err.message));
  const failed = journal.get(id)!;
  assert.equal(failed.state, 'heal-failed');
  assert.match(String(failed.info?.error), /not verified: lab-worker: rules could not be read \(docker exec lab-worker failed/);
  assert.equal(failed.info?.presence, 'unknown');
  assert.deepEqual(journal.unhealed().map((e) => e.id), [id], 'it stays in the journal as unhealed');
  // The report of the whole journal carries the reason, and healJournal does not throw.
  const r = await healJournal(journal, 'all', ctx);
  assert.deepEqual(r.healed, []);
  assert.equal(r.failed[0]!.id, id);
  assert.match(r.failed[0]!.reason, /rules could not be read/);
  nodes.unreachable.delete('lab-worker');
  assert.deepEqual(await healJournal(journal, 'all', ctx), { healed: [id], failed: [] });
  assert.deepEqual(nodes.on('lab-worker'), []);
});

test('rules gone but traffic not flowing, or the probe unable to run, is not healed', async () => {
  const { journal, nodes, ctx } = setup();
  const id = await applyFault(journal, 'kafka-cut', { ...params() }, ctx);
  nodes.deadTargets.add(KAFKA);
  await assert.rejects(healEntry(journal, journal.get(id)!, ctx), /not verified: .*no lab rule left, yet TCP to Kafka 172\.30\.0\.10:9092 does not open from pod netns fake/);
  assert.equal(journal.get(id)!.state, 'heal-failed');
  nodes.deadTargets.delete(KAFKA);
  const noProbe = { ...ctx, kafkaProbe: async () => undefined };
  const id2 = await applyFault(journal, 'kafka-cut', { ...params(), probe: undefined }, noProbe);
  await assert.rejects(healEntry(journal, journal.get(id2)!, noProbe), /no Kafka address to prove traffic flows/);
  await healEntry(journal, journal.get(id)!, ctx);
  assert.equal(journal.get(id)!.state, 'healed');
});

test('a rule that survives the heal is "still in effect"', async () => {
  const { journal, nodes, ctx } = setup();
  const id = await applyFault(journal, 'kafka-cut', { ...params() }, ctx);
  nodes.stickyRules.add('lab-control-plane');
  await assert.rejects(healEntry(journal, journal.get(id)!, ctx), /still in effect: lab-control-plane still has 2 lab rule\(s\)/);
  assert.equal(journal.get(id)!.info?.presence, 'active');
});

test('inject completes a partial cut: one leftover rule is not a complete cut, and nothing is duplicated', async () => {
  const { journal, nodes, ctx } = setup();
  const [first] = cutRules(params());
  nodes.rules.get('lab-worker')!.push([...first!]);
  await applyFault(journal, 'kafka-cut', { ...params() }, ctx);
  for (const n of NODES) assert.deepEqual(nodes.on(n).sort(), cutRules(params()).map((r) => r.join(' ')).sort(), `${n} has each rule of the cut exactly once`);
  // With the in-cluster broker's kept port: four rules per node.
  const p = params({ keepTcpPort: 9094 });
  nodes.rules.set('lab-worker', [cutRules(p)[2]!]);
  nodes.rules.set('lab-control-plane', []);
  await applyFault(journal, 'kafka-cut', { ...p }, ctx);
  for (const n of NODES) assert.equal(nodes.on(n).length, 4, `${n}: ${JSON.stringify(nodes.on(n))}`);
});

test('an apply that fails is healed; if that heal is not verified, the error says both and the entry stays heal-failed', async () => {
  const { journal, nodes, ctx } = setup();
  let inserts = 0;
  nodes.beforeInsert = () => {
    if (++inserts === 3) throw new Error('iptables: Resource temporarily unavailable');
  };
  await assert.rejects(applyFault(journal, 'kafka-cut', { ...params() }, ctx), /Resource temporarily unavailable/);
  assert.equal(journal.entries()[0]!.state, 'healed', 'the half-applied cut was undone and verified');
  for (const n of NODES) assert.deepEqual(nodes.on(n), []);
  inserts = 0;
  nodes.stickyRules.add('lab-worker');
  await assert.rejects(applyFault(journal, 'kafka-cut', { ...params() }, ctx), /failed to apply \(iptables: Resource temporarily unavailable\) and what it left is not healed: .*still in effect/);
  assert.equal(journal.entries()[1]!.state, 'heal-failed');
});

test('an entry whose applying line (and params) was lost is healed by the rule comment on every node of the lab clusters', async () => {
  const { dir } = setup();
  const other = new FakeNodes({ lab: NODES, 'lab-b': ['lab-b-control-plane', 'lab-b-worker'] });
  const octx = other.context(PROBE);
  for (const n of [...NODES, 'lab-b-worker']) other.rules.get(n)!.push(...cutRules(params()), ['INPUT', '-s', '10.0.0.1/32', '-j', 'ACCEPT']);
  // Only the `active` line survived; the `applying` line with the params is torn.
  const line = (state: string) => JSON.stringify({ id: 'kafka-cut-x-1', fault: 'kafka-cut', state, at: new Date().toISOString(), pid: 999_999_999, host: os.hostname(), runId: 'gone' });
  fs.writeFileSync(path.join(dir, JOURNAL_FILE), `{"id":"kafka-cut-x-1","fault":"kafka-cut","state":"apply\n${line('active')}\n`);
  const journal = FaultJournal.open(dir);
  assert.equal(journal.warnings.length, 2, `a damaged line and a missing applying line: ${JSON.stringify(journal.warnings)}`);
  assert.deepEqual(journal.get('kafka-cut-x-1')!.params, {});
  const r = await healJournal(journal, 'all', octx);
  assert.deepEqual(r, { healed: ['kafka-cut-x-1'], failed: [] });
  for (const n of [...NODES, 'lab-b-control-plane', 'lab-b-worker']) assert.deepEqual(other.on(n).filter((x) => x.includes(CUT_COMMENT)), [], `${n} has no lab rule`);
  assert.equal(other.on('lab-worker').length, 1, 'rules that are not the lab\'s stay');
  assert.equal(journal.get('kafka-cut-x-1')!.info?.withoutParams, true);
});

test('the params-less heal fails closed too: a cluster whose nodes cannot be listed leaves it heal-failed', async () => {
  const { dir } = setup();
  const nodes = new FakeNodes({ lab: NODES });
  nodes.unreachable.add('cluster:lab');
  const journal = FaultJournal.open(dir);
  const id = journal.begin('kafka-cut', {});
  await assert.rejects(healEntry(journal, journal.get(id)!, nodes.context(PROBE)), /the nodes of cluster lab could not be listed/);
  assert.equal(journal.get(id)!.state, 'heal-failed');
});

test('applyFault refuses params that could not be healed later', async () => {
  const { journal, ctx } = setup();
  await assert.rejects(applyFault(journal, 'kafka-cut', { nodes: NODES }, ctx), /parameters are incomplete/);
  assert.deepEqual(journal.entries(), [], 'nothing journaled, nothing applied');
});

test('orphans that cannot be healed stop a command with ONE line saying what to do', async () => {
  const { dir } = setup();
  const nodes = new FakeNodes({ lab: NODES });
  const journal = FaultJournal.open(dir);
  const ctx = nodes.context(PROBE);
  const id = await applyFault(journal, 'kafka-cut', { ...params() }, ctx);
  // Make the entry an orphan: rewrite its owner to a pid that is not running.
  const file = path.join(dir, JOURNAL_FILE);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll(`"pid":${process.pid}`, '"pid":999999999'));
  nodes.unreachable.add('lab-worker');
  const r = await healJournal(journal, 'orphans', ctx);
  assert.deepEqual(r.failed.map((f) => f.id), [id]);
  await assert.rejects(healOrphansOrRefuse(journal, ctx), (err: unknown) => {
    assert.ok(err instanceof LabError);
    assert.equal(err.hint, undefined, 'no second line');
    assert.equal(err.message.split('\n').length, 1, err.message);
    assert.match(err.message, /NOT healed: kafka-cut-.*lab-worker: rules could not be read.*npx lab heal.*npx lab down/);
    return true;
  });
});

test('iptables -S lines are split and recognised by the comment only', () => {
  assert.deepEqual(splitRuleLine('-A OUTPUT -d 1.2.3.4/32 -m comment --comment "two words" -j DROP'), ['-A', 'OUTPUT', '-d', '1.2.3.4/32', '-m', 'comment', '--comment', 'two words', '-j', 'DROP']);
  const lines = ['-P INPUT ACCEPT', `-A FORWARD -d 1.2.3.4/32 -m comment --comment ${CUT_COMMENT} -j DROP`, '-A FORWARD -m comment --comment other -j DROP', `-A OUTPUT -s ${CUT_COMMENT} -j ACCEPT`];
  assert.deepEqual(labRulesIn(lines, CUT_COMMENT), [['FORWARD', '-d', '1.2.3.4/32', '-m', 'comment', '--comment', CUT_COMMENT, '-j', 'DROP']]);
});
