// `lab validate` and `lab matrix --plan`: the replay's checks before any cluster work, with no Docker and
// no network, each arm of the matrix on its own line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planMatrix, MATRIX } from '../../src/controller/matrix-plan.ts';
import { CONSUL_REFUSED_KEYS, labConsulVersion } from '../../src/scenario/consul-support.ts';
import { validateScenario } from '../../src/scenario/validate.ts';
import { repoRoot } from '../../src/util/paths.ts';

const TARGET = path.join(repoRoot, 'lab', 'scenarios', 'target-2019.yaml');

/** Runs `lab ...` with a `docker` on PATH that records any call and fails. */
function lab(args: string[]): { code: number | null; out: string; err: string; dockerCalls: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-validate-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  const called = path.join(dir, 'docker-called');
  fs.writeFileSync(path.join(dir, 'bin', 'docker'), `#!/bin/sh\necho "$@" >> ${JSON.stringify(called)}\nexit 1\n`, { mode: 0o755 });
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli.ts'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    cwd: repoRoot,
    env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}`, LAB_STATE_DIR: path.join(dir, 'state'), LAB_RUNS_DIR: path.join(dir, 'runs') },
  });
  return { code: r.status, out: r.stdout, err: r.stderr, dockerCalls: fs.existsSync(called) ? fs.readFileSync(called, 'utf8') : '' };
}

test('lab validate: exit 0 for a valid scenario, 1 with one line per problem, 2 for usage; never runs docker', { timeout: 120_000 }, () => {
  const ok = lab(['validate', 'target-2019', '--variant', 'daemonset']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /✔ target-2019 · variant daemonset/);
  const bad = lab(['validate', 'target-2019', '--set', 'consul.servers=5', '--set', 'fault.packets=reject']);
  assert.equal(bad.code, 1, bad.err);
  assert.match(bad.err, /\n {2}- --set: consul\.servers: .*expected one of 3\n {2}- --set: fault\.packets: .*expected one of drop\n$/);
  const consul = lab(['validate', 'target-2019', '--variant', 'short-reconnect']);
  assert.equal(consul.code, 1);
  assert.match(consul.err, /consul\.advertiseReconnectTimeout: Consul 1\.8\.7, the lab's agent, refuses it/);
  assert.equal(lab(['validate']).code, 2);
  assert.equal(lab(['validate', 'target-2019', '--bogus']).code, 2);
  for (const r of [ok, bad, consul]) assert.equal(r.dockerCalls, '', 'lab validate ran docker');
});

test('the static table knows the Consul version the lab builds', () => {
  assert.ok(CONSUL_REFUSED_KEYS[labConsulVersion()], `no entry for Consul ${labConsulVersion()} in CONSUL_REFUSED_KEYS`);
  const v = validateScenario(TARGET, { variants: ['short-reconnect'] });
  assert.equal(v.ok, false);
});

test('matrix --plan: an arm that does not validate is marked on its own line, the others still plan', () => {
  // Odd replicas: valid alone, invalid only for the split-clusters arm (replicas are split evenly).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-plan-'));
  const file = path.join(dir, 'odd.yaml');
  fs.writeFileSync(file, fs.readFileSync(TARGET, 'utf8').replace(/^( {2}replicas:) \d+/m, '$1 31'));
  assert.equal(validateScenario(file).ok, true);
  const plan = planMatrix(file);
  assert.equal(plan.length, MATRIX.length);
  const split = plan.find((a) => a.label === 'split-clusters')!;
  assert.match(split.unsupported ?? '', /workload\.replicas: got 31; expected an even number/);
  for (const a of plan.filter((x) => x.label !== 'split-clusters' && x.label !== 'short-reconnect')) assert.equal(a.unsupported, undefined, a.label);
});

test('lab matrix --plan runs no docker', { timeout: 60_000 }, () => {
  const r = lab(['matrix', '--plan', '--only', 'q2']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err + r.out, /short-reconnect .*skipped: consul\.advertiseReconnectTimeout/);
  assert.equal(r.dockerCalls, '');
});
