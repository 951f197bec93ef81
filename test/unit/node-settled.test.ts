import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { nodeSettled } from '../../src/controller/node-settled.ts';

const node = (conds: Record<string, string>, unschedulable = false): V1Node => ({
  spec: { unschedulable },
  status: { conditions: Object.entries(conds).map(([type, status]) => ({ type, status })) },
});

test('a node is settled when Ready, schedulable and free of every pressure', () => {
  assert.equal(nodeSettled(node({ Ready: 'True', MemoryPressure: 'False', DiskPressure: 'False' })), true);
  assert.equal(nodeSettled(node({ Ready: 'True', MemoryPressure: 'True' })), false, 'left under pressure by the previous run');
  assert.equal(nodeSettled(node({ Ready: 'True', PIDPressure: 'True' })), false);
  assert.equal(nodeSettled(node({ Ready: 'False' })), false);
  assert.equal(nodeSettled(node({ Ready: 'Unknown' })), false);
  assert.equal(nodeSettled(node({ Ready: 'True' }, true)), false, 'cordoned');
  assert.equal(nodeSettled(node({})), false, 'no Ready condition yet');
});
