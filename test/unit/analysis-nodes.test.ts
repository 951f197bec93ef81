import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun } from '../../src/analysis/index.ts';
import { history, node, phases } from './analysis-helpers.ts';

const W1 = 'kind-worker';

test('NotReady node-time: an interval wholly before the first phase counts nothing, not negative time', () => {
  const recs = history(
    // The node was still NotReady from the previous run before this run's baseline began (at 0).
    node(-100, W1, false),
    node(-50, W1, true),
    ...phases(),
    node(70, W1, false),
    node(100, W1, true),
    node(300, W1, true),
  );
  const n = analyzeRun({ records: recs }).summary.nodes;
  assert.equal(n.notReadyIntervals.length, 2, 'both intervals are still listed');
  assert.equal(n.notReadyNodeSeconds, 30);
});
