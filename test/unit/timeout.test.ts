import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTimeout } from '../../src/apps/lib/timeout.ts';

test('a call that never answers is abandoned with a message naming it', async () => {
  await assert.rejects(withTimeout(new Promise(() => {}), 20, 'pod list'), /pod list timed out after 20 ms/);
});

test('an answer in time passes through, and a failure keeps its own error', async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 1000, 'x'), 7);
  await assert.rejects(withTimeout(Promise.reject(new Error('403')), 1000, 'x'), /403/);
});
