import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerMemoryBytes, quantityBytes, workerEviction } from '../../src/cluster/kubelet-eviction.ts';

const GiB = 1024 ** 3;
const none = { memoryAvailable: null, nodefsAvailable: null, imagefsAvailable: null };

test('quantities and docker sizes are read in bytes', () => {
  assert.equal(quantityBytes('100Mi'), 100 * 1024 ** 2);
  assert.equal(quantityBytes('1.5G'), 1.5e9);
  assert.equal(quantityBytes('5%'), undefined);
  assert.equal(dockerMemoryBytes('1536m'), 1536 * 1024 ** 2);
  assert.equal(dockerMemoryBytes('2g'), 2 * GiB);
  assert.equal(dockerMemoryBytes('0'), 0);
});

test('node view: the threshold moves up by the memory the kubelet sees but the node cannot have', () => {
  const e = workerEviction({ nodeMemory: '2g', kubeletMemory: 'node', evictionHard: none }, 24 * GiB);
  assert.match(e.flag, /^memory\.available<22628Mi,/); // 22 GiB + 100 Mi
  assert.match(e.flag, /nodefs\.available<0%,nodefs\.inodesFree<0%,imagefs\.available<0%$/);
  const pct = workerEviction({ nodeMemory: '1g', kubeletMemory: 'node', evictionHard: { ...none, memoryAvailable: '10%' } }, 8 * GiB);
  assert.match(pct.flag, /^memory\.available<7271Mi,/); // 7 GiB + 10% of 1 GiB (102.4 Mi, rounded up)
});

test('host view, or no node limit: the threshold is left as written', () => {
  const host = workerEviction({ nodeMemory: '2g', kubeletMemory: 'host', evictionHard: { ...none, memoryAvailable: '300Mi' } }, 24 * GiB);
  assert.match(host.flag, /^memory\.available<300Mi,/);
  const unlimited = workerEviction({ nodeMemory: '0', kubeletMemory: 'node', evictionHard: none }, 24 * GiB);
  assert.match(unlimited.flag, /^memory\.available<100Mi,/);
});
