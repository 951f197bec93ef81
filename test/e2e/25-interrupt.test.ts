// Ctrl-C during the replay's longest wait (issue 12 item 9): the workload coming up. The real `lab`
// process must stop within seconds, undo what it began (heal, recorder stopped, lock released) and end
// with exit 130 and one line; before the fix it waited out the workload (up to 8 minutes).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readHistory } from '../../src/history/reader.ts';
import { liveHolder } from '../../src/controller/lock.ts';
import { FaultJournal } from '../../src/faults/journal.ts';
import { repoRoot, runsDir, stateDir } from '../../src/util/paths.ts';

test('SIGINT while the workload comes up: out within seconds, healed, unlocked, exit 130 with one line', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'replay', 'smoke'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => process.stderr.write(c));
  const workloadWait = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
      process.stderr.write(c);
      if (/… Workload: /.test(stderr)) resolve();
    });
    child.on('close', (code) => reject(new Error(`lab replay ended (${code}) before the workload wait`)));
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  await workloadWait;
  // Into the wait: the pods are being created and polled.
  await new Promise((r) => setTimeout(r, 3000));
  const sent = Date.now();
  child.kill('SIGINT');
  const code = await closed;
  const took = Date.now() - sent;
  assert.ok(took < 20_000, `exited ${took} ms after SIGINT`);
  assert.equal(code, 130);
  assert.match(stderr.trim().split('\n').at(-1)!, /^✖ stopped by Ctrl-C \(SIGINT\)/);
  assert.equal(liveHolder(stateDir), undefined, 'the controller lock is released');
  assert.deepEqual(FaultJournal.open(stateDir).unhealed(), [], 'nothing left to heal');
  const runs = readdirSync(runsDir).filter((d) => d.includes('smoke-sidecar') && statSync(join(runsDir, d)).isDirectory()).sort();
  const { records } = await readHistory(join(runsDir, runs.at(-1)!, 'history.jsonl'));
  const notes = records.filter((r) => r.type === 'note').map((r) => (r as { text: string }).text);
  assert.ok(notes.some((t) => /^run stopped: stopped by Ctrl-C/.test(t)), 'the history says why the run stopped');
  assert.equal(notes.at(-1), 'run aborted', 'the recorder was stopped and the history closed');
});
