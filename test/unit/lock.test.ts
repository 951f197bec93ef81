import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { acquireLock, readLock, liveHolder, LockHeldError, LOCK_DIR } from '../../src/controller/lock.ts';
import { LabError } from '../../src/util/errors.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-lock-'));
}

const deadPid = async () => {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
};

test('the controller lock: held by a live process, taken over from a dead one', async () => {
  const dir = tmp();
  const a = acquireLock(dir, 'run-a', { command: 'replay' });
  assert.equal(readLock(dir)!.runId, 'run-a');
  assert.equal(liveHolder(dir)!.pid, process.pid);
  const err = (() => {
    try {
      acquireLock(dir, 'run-b');
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  assert.ok(err instanceof LockHeldError && err instanceof LabError, 'a held lock is a user-facing error, not a crash');
  assert.match(err.message, new RegExp(`lab replay \\(pid ${process.pid}, run run-a, since `));
  a.release();
  assert.equal(readLock(dir), undefined);
  a.release(); // twice is harmless

  // A lock left by a process that has exited.
  const pid = await deadPid();
  const slots = path.join(dir, LOCK_DIR);
  const top = Math.max(...fs.readdirSync(slots).map((n) => Number.parseInt(n, 10)).filter(Number.isFinite));
  fs.writeFileSync(path.join(slots, `${top + 1}.json`), JSON.stringify({ pid, host: os.hostname(), runId: 'dead-run', at: 'x' }));
  assert.equal(readLock(dir)!.runId, 'dead-run');
  assert.equal(liveHolder(dir), undefined);
  const b = acquireLock(dir, 'run-b');
  assert.equal(b.stale?.runId, 'dead-run');
  assert.equal(readLock(dir)!.runId, 'run-b');
  b.release();
  assert.deepEqual(fs.readdirSync(slots).length, 1, 'old slots and temp files are pruned');

  // The single lock file of earlier versions still counts while its owner lives.
  fs.writeFileSync(path.join(dir, 'controller.lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), runId: 'old-version', at: 'x' }));
  assert.throws(() => acquireLock(dir, 'run-c'), LockHeldError);
  fs.writeFileSync(path.join(dir, 'controller.lock'), JSON.stringify({ pid, host: os.hostname(), runId: 'old-version', at: 'x' }));
  acquireLock(dir, 'run-c').release();

  // A holder on another host cannot be checked: it counts as alive.
  fs.writeFileSync(path.join(slots, '999.json'), JSON.stringify({ pid, host: 'elsewhere', runId: 'remote', at: 'x' }));
  assert.throws(() => acquireLock(dir, 'run-d'), /pid \d+ on host elsewhere/);
});

/** A lock contender in its own process, fed commands over stdin (see helpers/lock-worker.ts). */
class Worker {
  readonly child: ChildProcessWithoutNullStreams;
  #lines: string[] = [];
  #waiting: ((l: string) => void) | undefined;
  constructor(dir: string, markDir = dir) {
    this.child = spawn(process.execPath, ['--import', 'tsx', new URL('./helpers/lock-worker.ts', import.meta.url).pathname], {
      env: { ...process.env, LOCK_TEST_DIR: dir, LOCK_TEST_MARK_DIR: markDir },
    });
    this.child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    createInterface({ input: this.child.stdout }).on('line', (l) => {
      if (this.#waiting) {
        const w = this.#waiting;
        this.#waiting = undefined;
        w(l);
      } else this.#lines.push(l);
    });
  }
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }
  next(timeoutMs = 15_000): Promise<string> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`worker ${this.child.pid} said nothing in ${timeoutMs} ms`)), timeoutMs);
      this.#waiting = (x) => {
        clearTimeout(t);
        resolve(x);
      };
    });
  }
}

test('many processes contending: exactly one winner every round, over a dead holder, an empty lock file or nothing', { timeout: 120_000 }, async () => {
  const dir = tmp();
  const snapshot = tmp();
  // A real controller that took the lock and was killed holding it; its state is restored before each
  // dead-holder round (copied as files, so the test does not depend on the lock's layout).
  const dying = new Worker(dir);
  dying.send('hold-and-die dead-run');
  await new Promise((r) => dying.child.on('exit', r));
  fs.rmSync(snapshot, { recursive: true, force: true });
  fs.cpSync(dir, snapshot, { recursive: true });

  const contenders = Array.from({ length: 4 }, () => new Worker(dir));
  const reset = (kind: string) => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (kind === 'dead holder') fs.cpSync(snapshot, dir, { recursive: true });
    else fs.mkdirSync(dir);
    if (kind === 'empty file') {
      // As a crash (or a holder caught between creating and writing it, in the old single-file lock) leaves it.
      fs.writeFileSync(path.join(dir, 'controller.lock'), '');
      fs.mkdirSync(path.join(dir, LOCK_DIR));
      fs.writeFileSync(path.join(dir, LOCK_DIR, '1.json'), '');
    }
  };
  const bad: string[] = [];
  const started = Date.now();
  try {
    const rounds = 25;
    for (let r = 0; r < rounds * 3; r++) {
      const kind = ['dead holder', 'empty file', 'nothing'][r % 3]!;
      reset(kind);
      const at = Date.now() + 40;
      contenders.forEach((w, i) => w.send(`go ${at} r${r}-w${i}`));
      const answers = await Promise.all(contenders.map((w) => w.next()));
      const winners = contenders.filter((_, i) => answers[i]!.endsWith(' WIN'));
      const errors = answers.filter((a) => a.includes(' ERR '));
      if (winners.length !== 1 || errors.length) bad.push(`round ${r} (${kind}): ${answers.join(', ')}`);
      for (const w of winners) w.send('release');
      for (const w of winners) assert.equal(await w.next(), 'released');
    }
    assert.deepEqual(bad, [], `rounds without exactly one winner (of ${rounds * 3}):\n${bad.join('\n')}`);
  } finally {
    for (const w of contenders) w.child.kill();
  }
  assert.ok(Date.now() - started < 90_000, 'bounded time');
});

test('take and release as fast as it goes, from 4 processes: never two holders at once', { timeout: 120_000 }, async () => {
  const dir = tmp();
  const marks = tmp();
  const workers = Array.from({ length: 4 }, () => new Worker(dir, marks));
  try {
    workers.forEach((w, i) => w.send(`churn 300 w${i}`));
    const answers = await Promise.all(workers.map((w) => w.next(100_000)));
    const wins = answers.reduce((s, a) => s + Number(/wins=(\d+)/.exec(a)?.[1] ?? NaN), 0);
    const overlaps = answers.reduce((s, a) => s + Number(/overlaps=(\d+)/.exec(a)?.[1] ?? NaN), 0);
    assert.ok(wins >= 4, `the lock changed hands (${answers.join(', ')})`);
    assert.equal(overlaps, 0, answers.join(', '));
  } finally {
    for (const w of workers) w.child.kill();
  }
});
