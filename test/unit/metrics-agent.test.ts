import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from '../../src/apps/lib/metrics.ts';
import { parsePrometheusText } from '../../src/apps/metrics-agent/prom-text.ts';

describe('prometheus text', () => {
  it('round-trips what our registry exposes', () => {
    const r = new Registry('shipper');
    r.setInfo({ mode: 'naive', pod: 'a"b' });
    r.counter('lines_sent_total', 'Sent.', () => 42);
    r.gauge('kafka_reachable', 'Up.', () => 0);
    const { samples, errors } = parsePrometheusText(r.toPrometheus());
    assert.equal(errors, 0);
    assert.deepEqual(samples, [
      { name: 'shipper_info', labels: { mode: 'naive', pod: 'a"b' }, value: 1 },
      { name: 'shipper_lines_sent_total', labels: {}, value: 42 },
      { name: 'shipper_kafka_reachable', labels: {}, value: 0 },
    ]);
  });

  it('accepts timestamps and special values, counts garbage', () => {
    const { samples, errors } = parsePrometheusText('a 1 1700000000000\nb{x="1"} +Inf\nc NaN\nthis is not a sample\n');
    assert.equal(samples.length, 3);
    assert.equal(samples[1]!.value, Infinity);
    assert.ok(Number.isNaN(samples[2]!.value));
    assert.equal(errors, 1);
  });
});
