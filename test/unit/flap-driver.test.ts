// The Kafka fault driver's flapping (pure logic: the runner and the kafka-cut fault over fake nodes).
// restore() must interrupt a down period at once and be recorded only when the heal really happened;
// a failure inside the loop must stop the flapping, reach the history, abort the run's clock and come
// back out of restore(), never as an unhandled rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AbortableClock } from '../../src/controller/clock.ts';
import { KafkaFaultDriver } from '../../src/controller/kafka-fault.ts';
import { FaultJournal } from '../../src/faults/journal.ts';
import { CUT_COMMENT } from '../../src/faults/kafka-network.ts';
import { HistoryWriter } from '../../src/history/writer.ts';
import type { FaultRecord, HistoryRecord } from '../../src/history/records.ts';
import { FakeNodes } from './helpers/fake-nodes.ts';

const NODES = ['lab-control-plane', 'lab-worker'];
const PROBE = { host: '172.30.0.10', port: 9092 };

function setup(delayMs = 20) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-flap-'));
  const nodes = new FakeNodes({ lab: NODES });
  nodes.delayMs = delayMs;
  const journal = FaultJournal.open(dir, { runId: 'unit' });
  const history = HistoryWriter.open(path.join(dir, 'history.jsonl'));
  const records: { rec: HistoryRecord; seenAt: number }[] = [];
  history.subscribe((rec) => void records.push({ rec, seenAt: Date.now() }));
  const driver = new KafkaFaultDriver(journal, history, async () => ({ nodes: NODES, kafkaIp: PROBE.host, probe: PROBE }), nodes.context(PROBE));
  const faults = () => records.filter((r) => r.rec.type === 'fault').map((r) => ({ ...(r.rec as FaultRecord), seenAt: r.seenAt }));
  const labRules = () => NODES.flatMap((n) => nodes.on(n)).filter((r) => r.includes(CUT_COMMENT));
  return { dir, nodes, journal, history, driver, faults, labRules };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('flapping alternates cut and heal, each heal verified, and restore leaves nothing behind', { timeout: 15_000 }, async () => {
  const { driver, faults, labRules, journal } = setup(2);
  const clock = new AbortableClock();
  driver.startFlapping(clock, 40, 40);
  await until(() => faults().filter((f) => f.op === 'heal' && f.kind === 'ok').length >= 2, 'two flap heals');
  await driver.restore();
  const ops = faults().filter((f) => f.kind === 'ok').map((f) => f.op);
  assert.deepEqual(ops.slice(0, 4), ['inject', 'heal', 'inject', 'heal']);
  assert.equal(ops.filter((o) => o === 'inject').length, ops.filter((o) => o === 'heal').length, 'every cut was healed');
  assert.deepEqual(labRules(), []);
  assert.deepEqual(journal.unhealed(), []);
  assert.equal(driver.active, false);
});

test('restore interrupts a long down period at once, and the restore is recorded only once the heal really happened', { timeout: 15_000 }, async () => {
  const { driver, faults, labRules, nodes } = setup(20);
  const clock = new AbortableClock();
  const downMs = 8000;
  driver.startFlapping(clock, 2000, downMs);
  await until(() => driver.active && labRules().length === 4, 'the first cut');
  const t0 = Date.now();
  await driver.restore();
  const took = Date.now() - t0;
  assert.ok(took < 2000, `restore took ${took} ms; it must not wait out the ${downMs} ms down period`);
  assert.deepEqual(labRules(), [], 'the network really is restored when restore() returns');
  const okHeal = faults().find((f) => f.op === 'heal' && f.kind === 'ok');
  assert.ok(okHeal, 'the heal is recorded');
  // The last rule deletion and the verifying probes happen before the record says "healed", not after.
  const lastDelete = Math.max(...nodes.log.filter((l) => l.op === 'delete').map((l) => l.at));
  const lastProbe = Math.max(...nodes.log.filter((l) => l.op === 'probe').map((l) => l.at));
  assert.ok(lastDelete <= okHeal.seenAt && lastProbe <= okHeal.seenAt, `recorded at ${okHeal.seenAt}, last delete ${lastDelete}, last probe ${lastProbe}`);
  assert.ok(okHeal.seenAt - lastProbe < 500, `the record follows the verified heal closely (${okHeal.seenAt - lastProbe} ms)`);
  const invoke = faults().find((f) => f.op === 'heal' && f.kind === 'invoke')!;
  assert.ok(invoke.seenAt >= t0, 'the heal starts when restore is called');
});

test('a failure inside the loop stops flapping, is recorded, aborts the run clock and comes out of restore (no unhandled rejection)', { timeout: 15_000 }, async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const { driver, faults, nodes, labRules, journal } = setup(2);
    const clock = new AbortableClock();
    let cuts = 0;
    nodes.beforeInsert = (node) => {
      // The second cut fails on the worker after the control plane got its rules.
      if (node === 'lab-worker' && ++cuts === 3) throw new Error('iptables: Resource temporarily unavailable');
    };
    driver.startFlapping(clock, 30, 30);
    await until(() => clock.aborted, 'the run clock to be aborted by the failed flap');
    assert.match(clock.reason, /Kafka flapping failed: iptables: Resource temporarily unavailable/);
    const stop = faults().find((f) => f.op === 'flap' && f.kind === 'fail');
    assert.ok(stop, 'the history says flapping stopped');
    assert.match(stop.error ?? '', /flapping stopped/);
    const injectsBefore = faults().filter((f) => f.op === 'inject' && f.kind === 'invoke').length;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(faults().filter((f) => f.op === 'inject' && f.kind === 'invoke').length, injectsBefore, 'no cut after the failure');
    await assert.rejects(driver.restore(), /Kafka flapping failed: iptables: Resource temporarily unavailable/);
    assert.deepEqual(labRules(), [], 'the partial cut was healed');
    assert.deepEqual(journal.unhealed(), []);
    // The failure is reported once; a second restore (the replay's finally) has nothing left to say.
    await driver.restore();
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a heal that cannot be verified makes restore reject and leaves the entry heal-failed', { timeout: 15_000 }, async () => {
  const { driver, nodes, journal } = setup(2);
  await driver.cut();
  nodes.unreachable.add('lab-worker');
  await assert.rejects(driver.restore(), /could not heal fault kafka-cut-.*lab-worker: rules could not be read/);
  assert.equal(journal.unhealed()[0]!.state, 'heal-failed');
  assert.equal(driver.active, true, 'the driver still knows the cut is in effect');
  nodes.unreachable.delete('lab-worker');
  await driver.restore();
  assert.equal(driver.active, false);
  assert.deepEqual(journal.unhealed(), []);
});
