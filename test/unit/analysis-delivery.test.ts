import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRun, isUnknown } from '../../src/analysis/index.ts';
import { history, phases, pod } from './analysis-helpers.ts';

const W1 = 'kind-worker';
const app = (t: number, p: string, n: number) => ({ t, type: 'app', source: 'probe/app', pod: p, counters: { log_lines_total: n } }) as const;
const sample = (t: number, received: Record<string, number>) => ({ t, type: 'kafka', source: 'probe/kafka', topic: 'logs', received }) as const;
const ledger = (t: number, delivered: Record<string, { unique: number; duplicates: number; maxSeq: number }>) => ({ t, type: 'kafka', source: 'recorder/final', topic: 'logs', delivered }) as const;

test('delivery: only the log shipper counts; the metrics agent, sidecar or DaemonSet, publishes the same counters but no log lines', () => {
  const stats = (t: number, p: string, component: 'shipper' | 'metrics-agent' | undefined, sent: number, dropped: number, buffered: number) =>
    ({ t, type: 'shipper', source: `probe/${component ?? 'shipper'}`, pod: p, ...(component ? { component } : {}), counters: { lines_sent_total: sent, lines_dropped_total: dropped, buffer_lines: buffered } }) as const;
  const recs = history(
    ...phases(),
    pod(1, 'a', { event: 'added', node: W1, name: 'app-a' }),
    pod(1, 'b', { event: 'added', node: W1, name: 'app-b' }),
    app(200, 'app-a', 1000),
    app(200, 'app-b', 500),
    sample(200, { 'app-a': 900, 'app-b': 480 }),
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

test('delivery: a batch resent after a lost ack counts once; the copies are reported apart, not as delivery above 100 %', () => {
  const base = [
    ...phases(),
    pod(1, 'a', { event: 'added', node: W1, name: 'app-a' }),
    pod(1, 'b', { event: 'added', node: W1, name: 'app-b' }),
    app(100, 'app-a', 500),
    // The apps' last counter sample, a few seconds before the recorder stopped: they kept writing.
    app(290, 'app-a', 960),
    app(290, 'app-b', 400),
    sample(100, { 'app-a': 500 }),
    // app-a's shipper resent a 30-line batch whose ack was lost: Kafka holds 30 lines twice.
    sample(200, { 'app-a': 330, 'app-b': 200 }),
    sample(299, { 'app-a': 200, 'app-b': 200 }),
  ] as const;
  const final = ledger(300, { 'app-a': { unique: 1000, duplicates: 30, maxSeq: 1000 }, 'app-b': { unique: 400, duplicates: 0, maxSeq: 400 } });

  const d = analyzeRun({ records: history(...base, final) }).summary.delivery;
  assert.equal(d.deliveredBasis, 'distinct');
  assert.equal(d.received, 1430, 'every message the consumer counted');
  assert.equal(d.delivered, 1400, 'distinct (pod, sequence) lines');
  assert.equal(d.duplicates, 30);
  assert.equal(d.written, 1000 + 400, "line 1000 reached Kafka, so app-a wrote at least 1000, whatever its last counter said");
  assert.equal(d.deliveredRatio, 1);
  assert.deepEqual(
    d.perPod.map((p) => [p.pod, p.written, p.delivered, p.duplicates]),
    [['app-a', 1000, 1000, 30], ['app-b', 400, 400, 0]],
  );

  // Without the ledger the copies cannot be told apart: no ratio above 100 %, and the report says why.
  const old = analyzeRun({ records: history(...base) }).summary.delivery;
  assert.equal(old.deliveredBasis, 'received');
  assert.equal(old.delivered, 1430);
  assert.ok(isUnknown(old.duplicates));
  assert.ok(isUnknown(old.deliveredRatio), `read as ${JSON.stringify(old.deliveredRatio)}`);
  assert.match(old.deliveredRatio.reason, /may include duplicates: 70 lines received beyond written/);
});

test('delivery: after an app container restart, repeated sequence numbers may be new lines; delivered is a lower bound', () => {
  const recs = history(
    ...phases(),
    pod(1, 'a', { event: 'added', node: W1, name: 'app-a' }),
    app(100, 'app-a', 500),
    app(200, 'app-a', 100), // restarted: lines 1..100 numbered again
    sample(150, { 'app-a': 600 }),
    ledger(300, { 'app-a': { unique: 500, duplicates: 100, maxSeq: 500 } }),
  );
  const d = analyzeRun({ records: recs }).summary.delivery;
  assert.ok(isUnknown(d.delivered) && d.delivered.bound === 'lower' && d.delivered.observed === 500);
  assert.ok(isUnknown(d.duplicates) && d.duplicates.bound === 'upper' && d.duplicates.observed === 100);
  assert.equal(d.written, 600);
});

test('delivery: a pod whose app was never sampled has only a lower bound on lines written', () => {
  const recs = history(
    ...phases(),
    app(100, 'app-a', 100),
    sample(150, { 'app-a': 100, 'app-b': 50 }),
    ledger(300, { 'app-a': { unique: 100, duplicates: 0, maxSeq: 100 }, 'app-b': { unique: 50, duplicates: 0, maxSeq: 50 } }),
  );
  const d = analyzeRun({ records: recs, coverage: { silenceMinMs: Infinity } }).summary.delivery;
  assert.ok(isUnknown(d.written) && d.written.bound === 'lower' && d.written.observed === 150, JSON.stringify(d.written));
  assert.ok(isUnknown(d.deliveredRatio), 'no ratio from a denominator that only counts what arrived');
  assert.equal(d.delivered, 150);
});
