// Flap timings are checked against the time they run in (between cut and restore): a down period that
// does not fit is refused with one line naming the file, the field and the values allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadScenario, ScenarioError } from '../../src/scenario/index.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');

function write(text: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-flap-'));
  fs.writeFileSync(path.join(d, 'scenario.yaml'), text);
  return path.join(d, 'scenario.yaml');
}

const flap = (hold: string, up: string, down: string) => `name: t
fault:
  mode: flap
  flap: { up: ${up}, down: ${down} }
phases:
  - { name: baseline, duration: 10s }
  - { name: cut }
  - { name: hold, duration: ${hold} }
  - { name: restore }
  - { name: observe, duration: 30s }
`;

function refusal(text: string): string {
  const file = write(text);
  try {
    loadScenario(file, { variantsDir: path.dirname(file) });
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  return assert.fail('expected the scenario to be refused');
}

test('a flap whose down period is longer than the hold is refused: file, field, allowed values, one line', () => {
  const msg = refusal(flap('2s', '1s', '8s'));
  assert.match(msg, /scenario\.yaml/, msg);
  assert.match(msg, /fault\.flap\.down/, msg);
  assert.match(msg, /8s/, msg);
  assert.match(msg, /between phases\[1\] cut and phases\[3\] restore/, msg);
  assert.equal(msg.trim().split('\n').length, 1, `one line: ${msg}`);
});

test('a flap where down fits but down + up does not is refused, naming the largest down allowed', () => {
  const msg = refusal(flap('30s', '20s', '20s'));
  assert.match(msg, /fault\.flap\.down/, msg);
  assert.match(msg, /at most 10s/, msg);
});

test('flap timings that fit are accepted, and a plain cut ignores the flap fields', () => {
  const ok = write(flap('60s', '20s', '40s'));
  assert.equal(loadScenario(ok, { variantsDir: path.dirname(ok) }).fault.flap.downMs, 40_000);
  const cut = write(flap('2s', '1s', '8s').replace('mode: flap', 'mode: cut'));
  assert.equal(loadScenario(cut, { variantsDir: path.dirname(cut) }).fault.mode, 'cut');
});

test('the shipped flap variant fits target-2019 and is refused on smoke (30 s hold < 40 s down + 20 s up)', () => {
  const variantsDir = path.join(REPO, 'lab/variants');
  assert.equal(loadScenario(path.join(REPO, 'lab/scenarios/target-2019.yaml'), { variantsDir, variants: ['flap'] }).fault.mode, 'flap');
  assert.throws(() => loadScenario(path.join(REPO, 'lab/scenarios/smoke.yaml'), { variantsDir, variants: ['flap'] }), /fault\.flap\.down/);
});
