// The lab's state folder keeps Vault's keys, the fault journal and the cluster state: private to its
// owner, written atomically, and a damaged file is one clear line that never quotes its content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const STATE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lab-state-')), 'state');
process.env.LAB_STATE_DIR = STATE;
const { saveCredentials, loadCredentials, credentialsFileName } = await import('../../src/components/vault.ts');
const { readState } = await import('../../src/cluster/state.ts');
const { FaultJournal } = await import('../../src/faults/journal.ts');
const { Secret } = await import('../../src/secrets/secret.ts');
const { LabError } = await import('../../src/util/errors.ts');
const { repoRoot } = await import('../../src/util/paths.ts');

const mode = (f: string) => fs.statSync(f).mode & 0o777;

test('Vault credentials: written atomically, 0600 in a 0700 folder, nothing left behind', () => {
  saveCredentials({ unsealKey: new Secret('unseal-1', 'k'), rootToken: new Secret('root-1', 't') });
  const file = path.join(STATE, credentialsFileName());
  assert.equal(mode(file), 0o600);
  assert.equal(mode(STATE), 0o700);
  saveCredentials({ unsealKey: new Secret('unseal-2', 'k'), rootToken: new Secret('root-2', 't') });
  assert.equal(loadCredentials()!.rootToken.reveal(), 'root-2');
  assert.deepEqual(fs.readdirSync(STATE).filter((f) => f.includes('.tmp')), [], 'no temp file left');
});

test('a torn credentials file is one clear line that never quotes the token', () => {
  const file = path.join(STATE, credentialsFileName());
  fs.writeFileSync(file, '{"unsealKey":"unseal-x","rootToken":"hvs.TOPSECRETTOKEN');
  assert.throws(
    () => loadCredentials(),
    (e: unknown) => e instanceof LabError && /credentials file .* is not valid JSON/.test(e.message) && !/TOPSECRET|unseal-x/.test(`${e.message} ${e.hint} ${e.details ?? ''}`),
  );
  fs.writeFileSync(file, '{"rootToken":"hvs.TOPSECRETTOKEN"}');
  assert.throws(() => loadCredentials(), (e: unknown) => e instanceof LabError && /lacks/.test(e.message) && !/TOPSECRET/.test(e.message));
  fs.rmSync(file);
});

test('the fault journal is created 0600', () => {
  FaultJournal.open(STATE, { runId: 't' }).begin('kafka-cut', { nodes: ['n'] });
  const journal = fs.readdirSync(STATE).find((f) => f.startsWith('faults'))!;
  assert.equal(mode(path.join(STATE, journal)), 0o600);
});

test('a corrupt or unreadable cluster state is one line naming the file and what to do', () => {
  const file = path.join(STATE, 'cluster.json');
  fs.writeFileSync(file, '{"settings": {"name": "outage-lab"');
  assert.throws(() => readState(), (e: unknown) => e instanceof LabError && e.message.includes(file) && /rm /.test(e.hint ?? ''));
  // Through the CLI: exit 1 (a LabError), not 70 with a stack trace.
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), 'status'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LAB_STATE_DIR: STATE } });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /cluster\.json is not valid JSON/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  fs.rmSync(file);
});
