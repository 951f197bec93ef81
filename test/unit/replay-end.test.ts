// The end of every replay (issue 12 item 2, the replay's part): the heal's result is never ignored.
// The driver and the run around it are stand-ins (pure logic); the journal is a real one in a temp folder.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunContext } from '../../src/controller/replay/context.ts';
import { healAndStop } from '../../src/controller/replay/steps/heal-and-stop.ts';
import { FaultJournal } from '../../src/faults/journal.ts';

function run(opts: { restore?: () => Promise<void>; journal?: FaultJournal }) {
  const notes: string[] = [];
  let released = false;
  const ctx = {
    status: 'completed',
    network: { verified: true },
    driver: opts.restore ? { restore: opts.restore } : undefined,
    journal: opts.journal ?? FaultJournal.open(mkdtempSync(join(tmpdir(), 'outage-lab-end-'))),
    recorder: undefined,
    history: { append: (r: { type: string; text?: string }) => r.type === 'note' && notes.push(r.text!), close: () => {} },
    lock: { release: () => void (released = true) },
  } as unknown as RunContext;
  return { ctx, notes, released: () => released };
}

async function stderrOf(fn: () => Promise<void>): Promise<string> {
  const write = process.stderr.write.bind(process.stderr);
  let out = '';
  process.stderr.write = ((c: string) => ((out += c), true)) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return out;
}

test('a restore that fails fails the run, says the network is NOT verified healed, and still unlocks', async () => {
  const r = run({ restore: () => Promise.reject(new Error('rule still present on outage-lab-worker')) });
  const err = await stderrOf(() => healAndStop(r.ctx));
  assert.equal(r.ctx.status, 'failed');
  assert.deepEqual(r.ctx.network, { verified: false, reason: 'restore failed: rule still present on outage-lab-worker' });
  assert.match(err, /^✖ Network NOT verified healed: restore failed: rule still present on outage-lab-worker; run npx lab heal$/m);
  assert.deepEqual(r.notes.slice(-1), ['run failed']);
  assert.ok(r.released());
});

test('a journal entry left unhealed fails the run, even when the driver restored', async () => {
  const journal = FaultJournal.open(mkdtempSync(join(tmpdir(), 'outage-lab-end-')), { runId: 't' });
  const id = journal.begin('no-such-fault', {});
  const r = run({ restore: () => Promise.resolve(), journal });
  const err = await stderrOf(() => healAndStop(r.ctx));
  assert.equal(r.ctx.status, 'failed');
  assert.ok(!r.ctx.network.verified && r.ctx.network.reason.includes(id), JSON.stringify(r.ctx.network));
  assert.match(err, /✖ Network NOT verified healed: .*; run npx lab heal/);
});

test('a verified heal leaves the run’s status alone and prints nothing', async () => {
  const r = run({ restore: () => Promise.resolve() });
  const err = await stderrOf(() => healAndStop(r.ctx));
  assert.equal(r.ctx.status, 'completed');
  assert.deepEqual(r.ctx.network, { verified: true });
  assert.equal(err, '');
  assert.deepEqual(r.notes, ['run completed']);
});
