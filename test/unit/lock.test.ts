import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { acquireLock, readLock, LockHeldError, LOCK_FILE } from '../../src/controller/lock.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-lock-'));
}

test('the controller lock: held by a live process, taken over from a dead one', async () => {
  const dir = tmp();
  const a = acquireLock(dir, 'run-a');
  assert.equal(readLock(dir)!.runId, 'run-a');
  assert.throws(() => acquireLock(dir, 'run-b'), LockHeldError);
  a.release();
  assert.equal(readLock(dir), undefined);

  // A lock left by a process that has exited.
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: child.pid, host: os.hostname(), runId: 'dead-run', at: 'x' }));
  const b = acquireLock(dir, 'run-b');
  assert.equal(b.stale?.runId, 'dead-run');
  assert.equal(readLock(dir)!.runId, 'run-b');
  b.release();

  // A lock file torn by a crash is taken over too.
  fs.writeFileSync(path.join(dir, LOCK_FILE), '{"pid":');
  const c = acquireLock(dir, 'run-c');
  assert.equal(c.stale, undefined);
  c.release();
});
