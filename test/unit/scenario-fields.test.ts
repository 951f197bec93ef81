// Every scenario field either works or is refused: settings the lab does not implement, values beyond
// what Node timers or the kubelet can take, and counts the cluster cannot hold end in one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadScenario, ScenarioError } from '../../src/scenario/index.ts';

const PHASES = `phases:
  - { name: baseline, duration: 10s }
  - { name: cut }
  - { name: hold, duration: 20s }
  - { name: restore }
  - { name: observe, duration: 30s }
`;

function load(extra: string, phases = PHASES) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outage-lab-fields-'));
  fs.writeFileSync(path.join(d, 's.yaml'), `name: t\n${phases}${extra}`);
  return loadScenario(path.join(d, 's.yaml'), { variantsDir: d });
}

function refused(extra: string, field: string, why: RegExp, phases = PHASES): void {
  assert.throws(
    () => load(extra, phases),
    (e: unknown) => {
      assert.ok(e instanceof ScenarioError, String(e));
      assert.match(e.message, new RegExp(`s\\.yaml(:\\d+:\\d+)?: ${field.replace(/[[\]().]/g, '\\$&')}: `), e.message);
      assert.match(e.message, why);
      return true;
    },
    `${field}: ${extra.trim()} was accepted`,
  );
}

test('consul.servers other than 3 is refused, naming the 3 the lab runs', () => {
  refused('consul: { servers: 5 }\n', 'consul.servers', /3 Consul servers.*expected one of 3/);
  refused('consul: { servers: 1 }\n', 'consul.servers', /not implemented/);
  assert.equal(load('consul: { servers: 3 }\n').consul.servers, 3);
});

test('consul.gossipEncryption on-from-start is withdrawn: it made no key', () => {
  refused('consul: { gossipEncryption: on-from-start }\n', 'consul.gossipEncryption', /no gossip key.*remedy/);
  assert.equal(load('consul: { gossipEncryption: "off" }\n').consul.gossipEncryption, 'off');
});

test('settings the lab never reads are refused unless left at their default', () => {
  refused('fault: { packets: reject }\n', 'fault.packets', /always drops/);
  refused('kafka: { partitions: 6 }\n', 'kafka.partitions', /3 partitions/);
  refused('recorder: { watchHeartbeat: 30s }\n', 'recorder.watchHeartbeat', /not read/);
  const s = load('fault: { packets: drop }\nkafka: { partitions: 3 }\nrecorder: { watchHeartbeat: 1m }\n');
  assert.equal(s.kafka.partitions, 3);
  assert.equal(s.recorder.watchHeartbeatMs, 60_000);
});

test('durations beyond a Node timer (and beyond a day) are refused, phases and their total included', () => {
  refused('', 'phases[2].duration', /<= 24h/, PHASES.replace('hold, duration: 20s', 'hold, duration: 30d'));
  refused('recovery: { timeout: 30d }\n', 'recovery.timeout', /<= 24h/);
  refused('shipper: { backoffMax: 25d }\n', 'shipper.backoffMax', /<= 24h/);
  refused('', 'phases', /at most 1d|at most 24h/, PHASES.replace('hold, duration: 20s', 'hold, duration: 23h').replace('observe, duration: 30s', 'observe, duration: 2h'));
  assert.equal(load('consul: { reconnectTimeout: 72h }\n').consul.reconnectTimeoutMs, 72 * 3_600_000, 'a Consul setting, not a timer, keeps its own range');
});

test('an eviction threshold above 100% is refused', () => {
  refused('cluster: { evictionHard: { memoryAvailable: "150%" } }\n', 'cluster.evictionHard.memoryAvailable', /0% to 100%/);
  assert.equal(load('cluster: { evictionHard: { memoryAvailable: "5%", nodefsAvailable: "100%" } }\n').cluster.evictionHard.memoryAvailable, '5%');
});

test('integers beyond what the apps can hold, and more pods than the workers take, are refused', () => {
  refused('shipper: { bufferMaxBytes: 1e300 }\n', 'shipper.bufferMaxBytes', /integer/);
  refused('shipper: { rateLinesPerSec: 1e300 }\n', 'shipper.rateLinesPerSec', /<= 1000000/);
  refused('cluster: { workers: 1 }\nworkload: { replicas: 2000 }\n', 'workload.replicas', /more pods than the workers can hold/);
  assert.equal(load('cluster: { workers: 3 }\nworkload: { replicas: 300 }\n').workload.replicas, 300);
});
