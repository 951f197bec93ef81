import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun } from '../../src/analysis/index.ts';
import { history, phases, pod } from './analysis-helpers.ts';

const W1 = 'kind-worker';

test('delivery: only the log shipper counts; the metrics agent, sidecar or DaemonSet, publishes the same counters but no log lines', () => {
  const app = (t: number, p: string, n: number) => ({ t, type: 'app', source: 'probe/app', pod: p, counters: { log_lines_total: n } }) as const;
  const stats = (t: number, p: string, component: 'shipper' | 'metrics-agent' | undefined, sent: number, dropped: number, buffered: number) =>
    ({ t, type: 'shipper', source: `probe/${component ?? 'shipper'}`, pod: p, ...(component ? { component } : {}), counters: { lines_sent_total: sent, lines_dropped_total: dropped, buffer_lines: buffered } }) as const;
  const recs = history(
    ...phases(),
    pod(1, 'a', { event: 'added', node: W1, name: 'app-a' }),
    pod(1, 'b', { event: 'added', node: W1, name: 'app-b' }),
    app(200, 'app-a', 1000),
    app(200, 'app-b', 500),
    { t: 200, type: 'kafka', source: 'probe/kafka', topic: 'logs', received: { 'app-a': 900, 'app-b': 480 } },
    // app-a's sidecars: the log shipper, then the metrics agent in the same pod, sampled later.
    stats(200, 'app-a', 'shipper', 900, 60, 40),
    stats(201, 'app-a', 'metrics-agent', 7000, 3, 900),
    // app-b's shipper from a history written before records named their component.
    stats(200, 'app-b', undefined, 480, 0, 20),
    // A DaemonSet metrics agent: not an app pod, so it would otherwise be listed as a shipper.
    stats(202, 'node-agents-x', 'metrics-agent', 5000, 11, 300),
  );
  const d = analyzeRun({ records: recs }).summary.delivery;
  const a = d.perPod.find((p) => p.pod === 'app-a')!;
  assert.deepEqual({ dropped: a.dropped, bufferedAtEnd: a.bufferedAtEnd }, { dropped: 60, bufferedAtEnd: 40 }, "the metrics agent's counters replaced the shipper's");
  assert.equal(d.perPod.find((p) => p.pod === 'app-b')!.bufferedAtEnd, 20, 'a record without a component is a log shipper');
  assert.deepEqual(d.shippers, [], 'the DaemonSet metrics agent is not a log shipper');
  assert.equal(d.dropped, 60);
  assert.equal(d.bufferedAtEnd, 60);
  assert.equal(d.lostWithPods, 0);
  assert.equal(d.peakBuffered, 60);
  assert.equal(d.unaccounted, 1500 - 1380 - 60 - 60 - 0);
});
