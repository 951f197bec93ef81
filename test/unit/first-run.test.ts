// A first run on a machine with no Docker engine and no lab folders yet: every command a new user runs
// first must end in one clear line or succeed, never crash on a folder that does not exist yet (seen:
// `lab docker` died on ENOENT .../install.log, whose folder only the engine's start created). Fake host
// tools stand in for docker, kind, apt and the install scripts; the engine install is reached, not run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lab, sandbox, type CliResult } from './helpers/lab-cli.ts';

const isRoot = process.getuid?.() === 0;

function assertClean(r: CliResult, what: string): void {
  assert.notEqual(r.code, null, `${what}: did not finish`);
  assert.ok(r.code === 0 || r.code === 1, `${what}: exit ${r.code} (70 is a crash)\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |Unhandled|node:events/, `${what}: no stack trace\n${r.stderr}`);
  assert.doesNotMatch(r.stdout + r.stderr, /ENOENT/, `${what}: no missing file or folder\n${r.stderr}`);
  if (r.code === 1) assert.match(r.stderr, /^\s*Error: .+/m, `${what}: says what failed`);
}

test('first run, no Docker engine, empty state and log roots: no command crashes on a missing folder', { timeout: 600_000 }, async () => {
  const sb = sandbox({ fakeTools: true });
  const engineLogs = sb.env.LAB_ENGINE_LOG_DIR!;
  assert.ok(!fs.existsSync(sb.stateDir) && !fs.existsSync(engineLogs), 'both roots start absent');

  const docker = await lab(sb, ['docker']);
  assertClean(docker, 'lab docker');
  assert.equal(docker.code, 1, 'no engine and no way to install one here');
  if (isRoot && fs.existsSync('/usr/bin/apt-get')) {
    // The install was reached (the fake bash stood in for it) and logged to a folder created for it.
    assert.match(docker.stderr, /installing the Docker engine failed/);
    assert.ok(sb.toolCalls().some((c) => c.startsWith('bash ') && c.includes('install-docker.sh')), sb.toolCalls().join('\n'));
    assert.ok(fs.existsSync(path.join(engineLogs, 'install.log')), 'install.log written in the new folder');
  } else {
    assert.match(docker.stderr, /Docker is not installed|engine is not running/);
  }

  for (const args of [['--help'], ['status'], ['heal'], ['up'], ['down'], ['images', '--help'], ['replay', '--help'], ['report']]) {
    const started = Date.now();
    const r = await lab(sb, args);
    assertClean(r, `lab ${args.join(' ')} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
});
