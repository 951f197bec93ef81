// What each `lab` command does while another controller holds the lab. A child process that takes the
// lock as `lab replay` does stands in for the replay; no cluster is needed, and fake docker/kind/go on
// PATH prove that a refusing command reached nothing on the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { lab, sandbox, repoRoot, type Sandbox, type CliResult } from './helpers/lab-cli.ts';
import { FaultJournal } from '../../src/faults/journal.ts';
import { acquireLock, liveHolder, LOCK_DIR } from '../../src/controller/lock.ts';

interface Holder {
  child: ChildProcessWithoutNullStreams;
  out: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function holder(sb: Sandbox, mode: 'cooperative' | 'stubborn'): Promise<Holder> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/unit/helpers/lock-holder.ts'), mode], { env: sb.env });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  const out: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the stand-in controller did not start in 30 s')), 30_000);
    createInterface({ input: child.stdout }).on('line', (l) => {
      out.push(l);
      if (l === 'ready') {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return { child, out, exited };
}

const alive = (h: Holder) => h.child.exitCode === null && h.child.signalCode === null;
const holderLine = (h: Holder) => new RegExp(`lab replay \\(pid ${h.child.pid}, run holder-run, since \\d{4}-`);

/** One clear line naming the holder, exit 1, no stack trace, nothing reached on the host. */
function assertRefused(r: CliResult, h: Holder, sb: Sandbox, what: string): void {
  assert.equal(r.code, 1, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, /Error: another controller holds the lab: /, what);
  assert.match(r.stderr, holderLine(h), what);
  assert.match(r.stderr, /lab heal/, `${what}: says how to stop it`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
  assert.deepEqual(sb.toolCalls(), [], `${what}: refused before reaching docker, kind or go`);
  assert.ok(alive(h), `${what}: the running controller is untouched`);
}

test('while a replay runs: up, down, replay and matrix refuse naming it; status reads only', { timeout: 400_000 }, async () => {
  const sb = sandbox({ fakeTools: true });
  const h = await holder(sb, 'cooperative');
  try {
    const [up, down, replay, matrix, status] = await Promise.all([
      lab(sb, ['up']),
      lab(sb, ['down']),
      lab(sb, ['replay', 'smoke']),
      lab(sb, ['matrix', '--only', 'q1']),
      lab(sb, ['status']),
    ]);
    assertRefused(up, h, sb, 'lab up');
    assertRefused(down, h, sb, 'lab down');
    assertRefused(replay, h, sb, 'lab replay');
    assertRefused(matrix, h, sb, 'lab matrix');
    // down deleted nothing under the live controller.
    assert.ok(fs.existsSync(path.join(sb.stateDir, 'faults.jsonl')), 'the running controller’s journal is still there');

    assert.match(status.stdout, holderLine(h), 'status names the running controller');
    assert.match(status.stdout, /is running/);
    assert.doesNotMatch(status.stderr, /\n\s+at /);
    const entry = FaultJournal.open(sb.stateDir).entries()[0]!;
    assert.equal(entry.state, 'active', 'nobody touched the running controller’s fault');
    assert.ok(alive(h));
  } finally {
    h.child.kill('SIGKILL');
  }
});

test('lab heal during a replay: the replay is asked to stop, heals its own fault and exits; then heal has nothing left', { timeout: 300_000 }, async () => {
  const sb = sandbox({ fakeTools: true });
  const h = await holder(sb, 'cooperative');
  try {
    const r = await lab(sb, ['heal']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /asking it to stop and heal \(SIGINT\)/);
    const exit = await h.exited;
    assert.equal(exit.code, 0, 'the controller ran its own heal and exited');
    assert.ok(h.out.includes('healed by the holder'));
    const [entry] = FaultJournal.open(sb.stateDir).entries();
    assert.equal(entry!.state, 'healed');
    assert.ok(entry!.transitions.every((t) => t.pid === h.child.pid), 'every transition written by the controller itself, none by heal');
    assert.match(r.stdout + r.stderr, /Nothing to heal/);
    assert.deepEqual(sb.toolCalls(), []);
    assert.equal(liveHolder(sb.stateDir), undefined, 'the lab is free again');
    acquireLock(sb.stateDir, 'next').release();
  } finally {
    h.child.kill('SIGKILL');
  }
});

test('lab heal and a controller that does not stop: bounded wait, then refuse; --force kills it and takes over', { timeout: 300_000 }, async () => {
  const sb = sandbox({ fakeTools: true });
  const h = await holder(sb, 'stubborn');
  try {
    const started = Date.now();
    const r = await lab(sb, ['heal', '--wait', '1']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /did not stop within 1 s; nothing was healed/);
    assert.match(r.stderr, holderLine(h));
    assert.match(r.stderr, /--force/);
    assert.ok(Date.now() - started < 30_000, 'bounded');
    assert.ok(alive(h), 'not killed without --force');
    assert.ok(h.out.includes('ignoring SIGINT'), 'it was asked');

    const forced = await lab(sb, ['heal', '--wait', '1', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((await h.exited).signal, 'SIGKILL');
    assert.equal(liveHolder(sb.stateDir), undefined, 'the lab is free again');
    acquireLock(sb.stateDir, 'next').release();
  } finally {
    h.child.kill('SIGKILL');
  }
});

test('lab heal --wait takes seconds and says so when it is not a number', async () => {
  const r = await lab(sandbox({ fakeTools: true }), ['heal', '--wait', 'soon']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--wait must be a number of seconds from 0 to 3600, got "soon"/);
});

test('a controller on another host cannot be signalled: heal refuses, --force takes the lab over', { timeout: 300_000 }, async () => {
  const sb = sandbox({ fakeTools: true });
  fs.mkdirSync(path.join(sb.stateDir, LOCK_DIR), { recursive: true });
  fs.writeFileSync(path.join(sb.stateDir, LOCK_DIR, '1.json'), JSON.stringify({ pid: 4242, host: 'other-host', runId: 'remote-run', at: '2026-01-01T00:00:00Z', command: 'replay' }));
  const r = await lab(sb, ['heal', '--wait', '0']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /lab replay \(pid 4242 on host other-host, run remote-run, since 2026-01-01T00:00:00Z\) holds the lab and runs on another host/);
  assert.match(r.stderr, /--force/);
  const forced = await lab(sb, ['heal', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout + forced.stderr, /taking over \(--force\)/);
  assert.equal(liveHolder(sb.stateDir), undefined);
  assert.deepEqual(sb.toolCalls(), []);
});
