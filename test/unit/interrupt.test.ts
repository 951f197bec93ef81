// Ctrl-C during a long wait (issue 12 item 9), with real processes and real signals: a child Node
// process waits the way `lab up` and the replay do (waitFor, an external command with a child of its
// own); SIGINT must end it within seconds, kill the whole command tree, and still let its cleanup run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../src/util/paths.ts';
import { interruptible, Interrupted } from '../../src/util/interrupt.ts';
import { waitFor } from '../../src/util/wait.ts';
import { run } from '../../src/util/exec.ts';

/** Running, not a zombie waiting for this machine's init to reap it. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

test('SIGINT ends a process blocked in waitFor and a command tree within seconds; the cleanup still runs; exit 130 with one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'outage-lab-interrupt-'));
  const script = join(dir, 'wait.mts');
  const src = (f: string) => JSON.stringify(join(repoRoot, 'src', f));
  writeFileSync(
    script,
    `import { interruptible, uninterruptible, Interrupted } from ${src('util/interrupt.ts')};
import { waitFor } from ${src('util/wait.ts')};
import { run } from ${src('util/exec.ts')};
const dir = ${JSON.stringify(dir)};
try {
  await interruptible(async () => {
    // A script that starts a long child of its own, as install and build scripts do.
    const cmd = run('sh', ['-c', 'sleep 300 & echo $! > ' + dir + '/grandchild; wait']);
    const wait = waitFor(async () => false, { timeoutMs: 15 * 60_000, intervalMs: 60_000, what: 'something that never comes' });
    setTimeout(() => process.stdout.write('waiting\\n'), 300);
    await Promise.all([cmd, wait]);
  });
} catch (err) {
  await uninterruptible(() => run('sh', ['-c', 'sleep 0.3; echo healed > ' + dir + '/cleanup']));
  if (err instanceof Interrupted) {
    process.stderr.write('✖ ' + err.message + '\\n');
    process.exitCode = err.exitCode;
  } else throw err;
}
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => c.toString().includes('waiting') && resolve());
    child.on('close', (c) => reject(new Error(`the waiting process ended by itself (${c}): ${stderr}`)));
  });
  const grandchild = Number(readFileSync(join(dir, 'grandchild'), 'utf8'));
  assert.ok(alive(grandchild), 'the command’s own child runs before the signal');
  const sent = Date.now();
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const took = Date.now() - sent;
  assert.ok(took < 5000, `exited ${took} ms after SIGINT`);
  assert.equal(code, 130, stderr);
  assert.match(stderr.trim().split('\n').at(-1)!, /^✖ stopped by Ctrl-C \(SIGINT\)$/);
  assert.equal(readFileSync(join(dir, 'cleanup'), 'utf8').trim(), 'healed', 'the uninterruptible cleanup ran to its end');
  assert.ok(!alive(grandchild), 'the grandchild was killed with its process group');
});

test('an interrupted scope fails its waits and commands at once, outside it nothing is touched', async () => {
  const ac = new AbortController();
  ac.abort(new Interrupted('SIGTERM'));
  const t0 = Date.now();
  await assert.rejects(waitFor(async () => false, { timeoutMs: 60_000, what: 'x', signal: ac.signal }), Interrupted);
  await assert.rejects(run('sleep', ['30'], { signal: ac.signal }), /SIGTERM/);
  assert.ok(Date.now() - t0 < 1000);
  // Without a scope there is no signal: a plain wait runs to its result.
  assert.equal(await waitFor(async () => 7, { timeoutMs: 1000, what: 'y' }), 7);
  assert.equal(existsSync('/nonexistent'), false);
});

test('a check that hangs does not hold an abort up', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Interrupted('SIGINT')), 100);
  const t0 = Date.now();
  await assert.rejects(
    waitFor(() => new Promise<false>(() => {}), { timeoutMs: 60_000, what: 'a hung API', signal: ac.signal }),
    (e: unknown) => e instanceof Interrupted && e.exitCode === 130,
  );
  assert.ok(Date.now() - t0 < 1000);
  await interruptible(async () => undefined); // installs and removes its handlers
  assert.equal(process.listenerCount('SIGINT'), 0);
});
