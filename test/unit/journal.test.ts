import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  FaultJournal,
  JournalError,
  isPidAlive,
  isOrphan,
  ownerStatus,
  JOURNAL_FILE,
  processStartTicks,
} from '../../src/faults/journal.ts';
import { Secret } from '../../src/secrets/secret.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-journal-'));
}

test('begin is on disk before it returns; transitions derive the current state', () => {
  const dir = tmp();
  const j = FaultJournal.open(dir, { runId: 'run-1' });
  const id = j.begin('kafka-cut', { nodes: ['kind-worker', 'kind-worker2'], rule: 'DROP to 172.18.0.9:9092' });
  const onDisk = fs.readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').trim().split('\n');
  assert.equal(onDisk.length, 1);
  const first = JSON.parse(onDisk[0]!);
  assert.equal(first.state, 'applying');
  assert.equal(first.pid, process.pid);
  assert.equal(first.runId, 'run-1');
  assert.deepEqual(first.params.nodes, ['kind-worker', 'kind-worker2']);
  assert.deepEqual(j.unhealed().map((e) => e.id), [id]);

  j.mark(id, 'active');
  j.mark(id, 'healing');
  assert.equal(j.get(id)!.state, 'healing');
  assert.equal(j.unhealed().length, 1);
  j.mark(id, 'healed', { verified: 'no DROP rule on any node' });
  assert.equal(j.unhealed().length, 0);
  assert.deepEqual(j.get(id)!.transitions.map((t) => t.state), ['applying', 'active', 'healing', 'healed']);
  assert.deepEqual(j.get(id)!.params.nodes, ['kind-worker', 'kind-worker2'], 'params survive later transitions');
  // A second process (lab heal) sees the same state from the file alone.
  assert.equal(FaultJournal.open(dir).get(id)!.state, 'healed');
});

test('illegal transitions and unknown ids are refused', () => {
  const j = FaultJournal.open(tmp());
  const id = j.begin('kafka-flap', {});
  assert.throws(() => j.mark('nope', 'active'), /no fault nope/);
  j.mark(id, 'active');
  assert.throws(() => j.mark(id, 'applying'), /cannot go from active to applying; allowed: healing, heal-failed/);
  j.mark(id, 'heal-failed', { error: 'docker exec timed out' });
  j.mark(id, 'healing');
  j.mark(id, 'healed');
  assert.throws(() => j.mark(id, 'healing'), /it is healed/);
  assert.throws(() => j.begin('Kafka Cut', {}), JournalError);
});

test('secrets never enter the journal', () => {
  const dir = tmp();
  const j = FaultJournal.open(dir);
  const key = new Secret('pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=');
  assert.throws(() => j.begin('gossip-encryption', { key }), /Secret/);
  const id = j.begin('gossip-encryption', { step: 'install' });
  j.mark(id, 'active', { note: `installed ${key.reveal()}` });
  assert.ok(!fs.readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').includes(key.reveal()));
});

test('after a simulated crash: torn last line, unhealed fault, dead owner is an orphan', () => {
  const dir = tmp();
  // A controller process begins a fault, marks it active, starts a transition and is killed mid-write.
  const journalUrl = new URL('../../src/faults/journal.ts', import.meta.url).href;
  const script = `
    import { FaultJournal } from ${JSON.stringify(journalUrl)};
    import * as fs from 'node:fs';
    const j = FaultJournal.open(${JSON.stringify(dir)}, { runId: 'crashed-run' });
    const id = j.begin('kafka-cut', { nodes: ['kind-worker'] });
    j.mark(id, 'active');
    fs.appendFileSync(${JSON.stringify(path.join(dir, JOURNAL_FILE))}, '{"id":"' + id + '","fault":"kafka-cut","state":"heal');
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'pipe' });
  assert.equal(r.signal, 'SIGKILL', r.stderr.toString());

  const j = FaultJournal.open(dir, { runId: 'lab-heal' });
  assert.equal(j.warnings.length, 1);
  assert.match(j.warnings[0]!.message, /incomplete/);
  const [entry, ...more] = j.unhealed();
  assert.equal(more.length, 0);
  assert.equal(entry!.state, 'active', 'the torn transition did not happen');
  assert.equal(entry!.runId, 'crashed-run');
  assert.deepEqual(entry!.params.nodes, ['kind-worker']);
  assert.equal(ownerStatus(entry!), 'dead');
  assert.ok(isOrphan(entry!));

  // lab heal takes over: its lines start on a fresh line after the torn one.
  j.mark(entry!.id, 'healing', { by: 'lab heal' });
  j.mark(entry!.id, 'healed');
  const again = FaultJournal.open(dir);
  assert.equal(again.unhealed().length, 0);
  assert.equal(again.warnings.length, 1, 'the torn line is reported as damage, nothing else');
  assert.match(again.warnings[0]!.message, /damaged/);
});

test('a fault owned by a running process is not an orphan', () => {
  const j = FaultJournal.open(tmp());
  const id = j.begin('kafka-cut', {});
  const e = j.get(id)!;
  assert.equal(ownerStatus(e), 'alive');
  assert.ok(!isOrphan(e));
  // pid reuse: same pid, different start time means the owner is gone.
  if (processStartTicks(process.pid) !== undefined) {
    assert.equal(ownerStatus({ ...e, pidStart: e.pidStart! + 1 }), 'dead');
  }
  assert.equal(ownerStatus({ ...e, host: 'some-other-host' }), 'unknown');
  assert.ok(isPidAlive(process.pid));
  assert.ok(!isPidAlive(0));
  assert.ok(!isPidAlive(-1));
});
