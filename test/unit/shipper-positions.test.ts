import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeRecord } from '../../src/apps/pipeline/record.ts';
import { shipperConfig } from '../../src/apps/shipper/config.ts';
import { Positions } from '../../src/apps/shipper/positions.ts';
import { createSelection } from '../../src/apps/shipper/selection.ts';
import { quietLog } from './helpers/apps-fakes.ts';

const r = (stream: string, seq: number, off: number) => makeRecord('k', 'v', { stream, seq, cursor: { ino: 1, off } });

describe('positions', () => {
  it('only move forward and survive a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pos-'));
    try {
      const path = join(dir, 'sub', 'positions.json');
      const p = new Positions(path, quietLog);
      p.done([r('a', 1, 10), r('a', 2, 20), r('b', 1, 5)]);
      p.done([r('a', 3, 30)]); // a newer line dropped before...
      p.done([r('a', 2, 20)]); // ...an older batch was finally acknowledged
      assert.deepEqual(p.get('a'), { ino: 1, off: 30 });
      p.save();
      assert.ok(JSON.parse(readFileSync(path, 'utf8')).streams.b);
      const q = new Positions(path, quietLog);
      q.load();
      assert.deepEqual(q.get('a'), { ino: 1, off: 30 });
      q.done([r('a', 1, 40)]); // sequence numbers restart with the process
      assert.deepEqual(q.get('a'), { ino: 1, off: 40 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shipper configuration', () => {
  it('needs the downward API variables for its scope', () => {
    assert.throws(() => shipperConfig({}), /POD_NAME and POD_NAMESPACE/);
    assert.throws(() => shipperConfig({ SHIPPER_SCOPE: 'node', SHIPPER_SOURCE: 'kubelet-api' }), /NODE_NAME/);
    const c = shipperConfig({ POD_NAME: 'p', POD_NAMESPACE: 'dev' });
    assert.equal(c.source, 'file');
    assert.equal(c.pipeline.policy.mode, 'naive');
    assert.equal(c.pipeline.kafka.topic, 'logs');
    assert.equal(c.port, 9101);
  });

  it('selects its own pod as a sidecar and every other pod as a daemonset', () => {
    const self = { namespace: 'dev', pod: 'me', uid: 'u1' };
    const side = createSelection({ scope: 'pod', self, namespaces: [], containers: ['app'], podPattern: undefined });
    assert.equal(side.pod({ namespace: 'dev', pod: 'me', uid: 'u1' }), true);
    assert.equal(side.pod({ namespace: 'dev', pod: 'me', uid: 'old' }), false);
    assert.equal(side.pod({ namespace: 'dev', pod: 'other' }), false);
    assert.equal(side.container('app'), true);
    assert.equal(side.container('shipper'), false);
    const ds = createSelection({ scope: 'node', self, namespaces: ['dev'], containers: ['*'], podPattern: /^devenv-/ });
    assert.equal(ds.pod({ namespace: 'dev', pod: 'devenv-1' }), true);
    assert.equal(ds.pod({ namespace: 'kube-system', pod: 'devenv-1' }), false);
    assert.equal(ds.pod({ namespace: 'dev', pod: 'kafka-0' }), false);
    assert.equal(ds.container('anything'), true);
  });
});
