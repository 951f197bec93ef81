// fault.via and fault.agentDeadline: each works or is refused with one line naming the field; a
// scenario that leaves them at their defaults keeps the hash it had before they existed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadScenario, ScenarioError } from '../../src/scenario/index.ts';

function load(fault: string, extra = '') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-via-'));
  const file = path.join(d, 'scenario.yaml');
  fs.writeFileSync(
    file,
    `name: t
${extra}fault:
${fault}
phases:
  - { name: baseline, duration: 10s }
  - { name: cut }
  - { name: hold, duration: 20s }
  - { name: restore }
  - { name: observe, duration: 30s }
`,
  );
  return loadScenario(file, { variantsDir: d });
}

function refusal(fault: string, extra = ''): string {
  try {
    load(fault, extra);
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  return assert.fail('expected the scenario to be refused');
}

test('fault.via defaults to node-exec; agent resolves with its deadline in ms', () => {
  const plain = load('  mode: cut');
  assert.equal(plain.fault.via, 'node-exec');
  assert.equal(plain.fault.agentDeadlineMs, 15_000);
  const agent = load('  via: agent\n  agentDeadline: 30s');
  assert.equal(agent.fault.via, 'agent');
  assert.equal(agent.fault.agentDeadlineMs, 30_000);
});

test('the defaults stay out of the hash (runs before the field keep theirs); the agent makes a run of its own', () => {
  assert.equal(load('  mode: cut').hash, load('  via: node-exec').hash);
  assert.notEqual(load('  mode: cut').hash, load('  via: agent').hash);
  assert.notEqual(load('  via: agent').hash, load('  via: agent\n  agentDeadline: 20s').hash);
});

test('refused, one line each: an unknown driver, a deadline out of range or not whole seconds, a deadline without the agent, the agent with two clusters', () => {
  assert.match(refusal('  via: ssh'), /fault\.via: got "ssh"; expected one of node-exec \| agent/);
  assert.match(refusal('  via: agent\n  agentDeadline: 2s'), /fault\.agentDeadline/);
  assert.match(refusal('  via: agent\n  agentDeadline: 15500ms'), /fault\.agentDeadline.*whole seconds/);
  assert.match(refusal('  agentDeadline: 30s'), /fault\.agentDeadline.*fault\.via: agent/);
  const two = refusal('  via: agent', 'clusters: 2\ncluster: { workers: 2 }\nworkload: { replicas: 4 }\n');
  assert.match(two, /fault\.via.*first cluster only/);
});
