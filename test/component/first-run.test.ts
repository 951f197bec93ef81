// A first run against the machine's running Docker engine, from empty state, log, cache and home roots:
// what a new user runs first (`lab docker`, `lab status`, `lab heal`, plans and help) succeeds or ends
// in one clear line, and never crashes on a folder that does not exist yet. Touches no cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { lab, sandbox, type CliResult } from '../unit/helpers/lab-cli.ts';

function assertClean(r: CliResult, what: string): void {
  assert.ok(r.code === 0 || r.code === 1, `${what}: exit ${r.code} (70 is a crash)\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |Unhandled|node:events/, `${what}: no stack trace\n${r.stderr}`);
  assert.doesNotMatch(r.stdout + r.stderr, /ENOENT/, `${what}: no missing file or folder\n${r.stderr}`);
}

test('first run with the running engine and empty roots: docker, status, heal, plans and help', { timeout: 600_000 }, async () => {
  const sb = sandbox();
  assert.ok(!fs.existsSync(sb.stateDir));

  const docker = await lab(sb, ['docker']);
  assertClean(docker, 'lab docker');
  assert.equal(docker.code, 0, docker.stderr);
  assert.match(docker.stdout + docker.stderr, /already running/);

  const status = await lab(sb, ['status']);
  assertClean(status, 'lab status');
  assert.equal(status.code, 1);
  assert.match(status.stderr, /the lab is not up/);

  const heal = await lab(sb, ['heal']);
  assertClean(heal, 'lab heal');
  assert.equal(heal.code, 0, heal.stderr);
  assert.match(heal.stdout + heal.stderr, /Nothing to heal/);

  const help = await lab(sb, ['--help']);
  assert.equal(help.code, 0);
  const commands = [...help.stdout.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]!);
  assert.ok(commands.includes('docker') && commands.includes('heal'), help.stdout);
  // `lab validate` checks a scenario with no Docker and no network, where this lab has it.
  const extra = commands.includes('validate') ? [['validate', 'smoke']] : [];
  for (const args of [['matrix', '--plan'], ['images', '--help'], ...extra]) {
    const r = await lab(sb, args);
    assertClean(r, `lab ${args.join(' ')}`);
    assert.equal(r.code, 0, `lab ${args.join(' ')}\n${r.stderr}`);
  }
});
