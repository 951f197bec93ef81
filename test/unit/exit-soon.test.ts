// A command that returned must not leave the process running on a leftover handle (a replay once hung after
// its report on open connections, holding the lab's lock). The real function, in a real child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { repoRoot } from '../../src/util/paths.ts';

const script = (graceMs: number) => `
  const { exitSoon } = await import('./src/util/exit-soon.ts');
  setInterval(() => {}, 1000); // a leftover handle that would keep the process alive forever
  process.exitCode = 3;
  exitSoon(3, ${graceMs});
`;

test('exitSoon ends a process kept alive by a leftover handle, with the command\u2019s code, after the grace', () => {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(300)], { cwd: repoRoot, env: { ...process.env, LAB_DEBUG: '1' }, timeout: 20_000, encoding: 'utf8' });
  assert.equal(r.signal, null, 'ended by itself, not by the test\u2019s timeout');
  assert.equal(r.status, 3);
  assert.ok(Date.now() - t0 >= 300, 'not before the grace');
  assert.match(r.stderr, /exiting with \{.*"Timeout":1.*\} still open/);
});

test('exitSoon does not hold a process that ends by itself', () => {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { exitSoon } = await import('./src/util/exit-soon.ts'); exitSoon(0, 15000);`], { cwd: repoRoot, timeout: 20_000, encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms: the grace timer kept the process alive`);
});
