// The scenario side of the docker-api source and the retry log: where each is allowed, and what the
// scenario hash makes of them (runs from before the fields keep their hash only as they behaved).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadScenario, parseSetArgs } from '../../src/scenario/index.ts';
import { repoRoot } from '../../src/util/paths.ts';

const TARGET = join(repoRoot, 'lab', 'scenarios', 'target-2019.yaml');
const load = (variants: string[], set: string[] = []) => loadScenario(TARGET, { variants, overrides: parseSetArgs(set) });

test('shipper.source docker-api is refused in one line, naming the field and what is allowed, unless the nodes run Docker', () => {
  const err = (() => {
    try {
      load([], ['shipper.source=docker-api']);
    } catch (e) {
      return e as Error;
    }
    assert.fail('docker-api accepted on containerd nodes');
  })();
  assert.equal(err.message.split('\n').length, 1, err.message);
  assert.match(err.message, /^Invalid scenario: --set: shipper\.source: .*got "docker-api"; expected one of file \| kubelet-api with cluster\.runtime containerd \(docker-api needs cluster\.runtime: docker/);
  const ok = load(['docker-runtime'], ['shipper.source=docker-api']);
  assert.equal(ok.shipper.source, 'docker-api');
  assert.deepEqual(load(['docker-runtime', 'docker-api-logs']).shipper, ok.shipper);
  assert.throws(() => load([], ['shipper.source=docker']), /shipper\.source: got "docker"; expected one of file \| kubelet-api \| docker-api/);
});

test('shipper.retryLog: every by default; throttled and off accepted; anything else refused', () => {
  assert.equal(load([]).shipper.retryLog, 'every');
  assert.equal(load([], ['shipper.retryLog=throttled']).shipper.retryLog, 'throttled');
  assert.throws(() => load([], ['shipper.retryLog=all']), /shipper\.retryLog: got "all"; expected one of every \| throttled \| off/);
});

test('hashes: retryLog off is the scenario as it was before the field; every and throttled are new arms; docker-api differs from docker-runtime', () => {
  const before = 'e2cfddc46fd5da111fecec1affc45c026066562ace2913beea9aac2f1c97762e';
  assert.equal(load([], ['shipper.retryLog=off']).hash, before);
  const every = load([]).hash;
  const throttled = load([], ['shipper.retryLog=throttled']).hash;
  assert.equal(load([], ['shipper.retryLog=every']).hash, every, 'the default written out is the default');
  assert.equal(new Set([before, every, throttled]).size, 3);
  assert.notEqual(load(['docker-runtime', 'docker-api-logs']).hash, load(['docker-runtime']).hash);
  assert.notEqual(load(['docker-runtime', 'docker-api-logs']).hash, load(['docker-runtime', 'kubelet-api']).hash);
});
