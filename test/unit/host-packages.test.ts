// Host programs the lab installs itself (as root on Debian) or names in one line. A fake apt-get on PATH
// stands in for Debian's: nothing is installed on this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LabError } from '../../src/util/errors.ts';

// Install logs go to a throwaway folder, not the machine's /var/log/outage-lab.
process.env.LAB_ENGINE_LOG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-install-log-'));
const { ensureHostProgram } = await import('../../src/host/packages.ts');

const canInstall = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get');

/** PATH = a folder with a fake apt-get (`script` is its body) + /usr/bin:/bin, for the duration of fn. */
async function withFakeApt<T>(script: string, fn: (bin: string, calls: () => string[]) => Promise<T>): Promise<T> {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-apt-'));
  const log = path.join(bin, 'calls');
  fs.writeFileSync(path.join(bin, 'apt-get'), `#!/bin/sh\necho "$*" >> '${log}'\n${script}\n`, { mode: 0o755 });
  const saved = { PATH: process.env.PATH };
  process.env.PATH = `${bin}:/usr/bin:/bin`;
  try {
    return await fn(bin, () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []));
  } finally {
    process.env.PATH = saved.PATH;
  }
}

const missing = { command: 'outage-lab-test-tool', pkg: 'outage-lab-test-pkg', neededBy: 'the test suite', otherwise: 'set LAB_TEST_TOOL' };

test('a program already on PATH is left alone', async () => {
  assert.equal(await ensureHostProgram({ command: 'sh', pkg: 'dash', neededBy: 'x' }), 'present');
});

test('a missing program: installed from Debian as root (lists refreshed when the install fails), else one line naming the package', async () => {
  await withFakeApt('exit 1', async (_bin, calls) => {
    const err = await ensureHostProgram(missing).then(() => undefined, (e: unknown) => e as LabError);
    assert.ok(err instanceof LabError, 'a user-facing error, not a crash');
    if (canInstall) {
      assert.match(err.message, /installing outage-lab-test-pkg for the test suite failed/);
      assert.match(err.hint ?? '', /install\.log/);
      assert.deepEqual(calls().map((c) => c.split(' ')[0]), ['install', 'update'], 'lists refreshed once; a failed refresh is the error');
    } else {
      assert.match(err.message, /the test suite needs outage-lab-test-tool, which is not installed/);
      assert.match(err.hint ?? '', /apt-get install outage-lab-test-pkg.*set LAB_TEST_TOOL/);
      assert.deepEqual(calls(), []);
    }
  });
  if (!canInstall) return;
  // An install that works: the fake apt-get puts the program on PATH.
  await withFakeApt('', async (bin, calls) => {
    fs.writeFileSync(path.join(bin, 'apt-get'), `#!/bin/sh\necho "$*" >> '${path.join(bin, 'calls')}'\nprintf '#!/bin/sh\\n' > '${path.join(bin, missing.command)}'; chmod +x '${path.join(bin, missing.command)}'\n`, { mode: 0o755 });
    const steps: string[] = [];
    assert.equal(await ensureHostProgram(missing, (s) => steps.push(s)), 'installed');
    assert.deepEqual(steps, ['installing outage-lab-test-pkg (apt-get)']);
    assert.match(calls()[0]!, /^install -y -qq --no-install-recommends outage-lab-test-pkg$/);
  });
});
