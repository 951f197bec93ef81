import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { startStatusServer } from '../../src/apps/lib/http.ts';
import { Registry } from '../../src/apps/lib/metrics.ts';
import { parsePrometheusText } from '../../src/apps/metrics-agent/prom-text.ts';
import { fixedTargets, Scraper } from '../../src/apps/metrics-agent/scraper.ts';
import { pipelineConfig } from '../../src/apps/pipeline/config.ts';
import { Pipeline } from '../../src/apps/pipeline/pipeline.ts';
import { quietLog, ScriptedSink, VirtualClock } from './helpers/apps-fakes.ts';

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

describe('scraper', () => {
  it('turns every sample of a scrape into one record for the shared pipeline', async () => {
    const app = new Registry('devenv');
    app.counter('log_lines_total', 'Lines.', () => 7);
    app.gauge('log_rate', 'Rate.', () => 10);
    const server = await startStatusServer({ port: 0, host: '127.0.0.1', registry: app, log: quietLog });
    try {
      const port = (server.address() as { port: number }).port;
      const clock = new VirtualClock();
      const sink = new ScriptedSink(clock);
      const pipeline = new Pipeline(pipelineConfig({ SHIPPER_MODE: 'backoff' }, 'METRICS_TOPIC', 'metrics'), sink, quietLog, {}, clock);
      const targets = fixedTargets([`http://127.0.0.1:${port}/metrics`, 'http://127.0.0.1:1/metrics'], 'pod-1');
      const scraper = new Scraper({ targets: () => targets, intervalMs: 1000, timeoutMs: 1000 }, pipeline, clock, quietLog);
      await scraper.scrapeOnce();
      assert.equal(scraper.scrapes, 2);
      assert.equal(scraper.scrapeErrors, 1, 'the dead target is counted, not fatal');
      assert.equal(scraper.samples, 2);
      pipeline.start();
      for (let i = 0; i < 100 && sink.delivered.length < 2; i++) await new Promise((r) => setImmediate(r));
      await pipeline.stop();
      const values = sink.delivered.map((r) => JSON.parse(r.value) as { name: string; value: number; pod: string });
      assert.deepEqual(values.map((v) => [v.name, v.value, v.pod]), [['devenv_log_lines_total', 7, 'pod-1'], ['devenv_log_rate', 10, 'pod-1']]);
      assert.ok(sink.delivered.every((r) => r.key === 'pod-1'));
    } finally {
      server.close();
    }
  });

  it('keys each discovered target by the app pod it describes, and follows target changes', async () => {
    const servers = await Promise.all(
      [3, 5].map((n) => {
        const app = new Registry('devenv');
        app.counter('log_lines_total', 'Lines.', () => n);
        return startStatusServer({ port: 0, host: '127.0.0.1', registry: app, log: quietLog });
      }),
    );
    try {
      const [a, b] = servers.map((s) => `http://127.0.0.1:${(s.address() as { port: number }).port}/metrics`);
      const clock = new VirtualClock();
      const sink = new ScriptedSink(clock);
      const pipeline = new Pipeline(pipelineConfig({ SHIPPER_MODE: 'backoff' }, 'METRICS_TOPIC', 'metrics'), sink, quietLog, {}, clock);
      let targets = [{ id: 'ns/app-a/1', url: a!, key: 'app-a' }, { id: 'ns/app-b/2', url: b!, key: 'app-b' }];
      const scraper = new Scraper({ targets: () => targets, intervalMs: 1000, timeoutMs: 1000 }, pipeline, clock, quietLog);
      await scraper.scrapeOnce();
      targets = [targets[1]!];
      await scraper.scrapeOnce();
      assert.equal(scraper.scrapes, 3, 'the second round saw the refreshed list');
      pipeline.start();
      for (let i = 0; i < 100 && sink.delivered.length < 3; i++) await new Promise((r) => setImmediate(r));
      await pipeline.stop();
      const got = sink.delivered.map((r) => [r.key, (JSON.parse(r.value) as { pod: string; value: number }).pod, (JSON.parse(r.value) as { value: number }).value]);
      assert.deepEqual(got.sort(), [['app-a', 'app-a', 3], ['app-b', 'app-b', 5], ['app-b', 'app-b', 5]]);
    } finally {
      for (const s of servers) s.close();
    }
  });

  it('scrapes targets concurrently: hung pods cost one timeout per round, not one each', async () => {
    // Accepts connections and never answers, like an app on a node too busy to respond.
    const hung = createServer(() => undefined);
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(hung.address() as { port: number }).port}/metrics`;
      const targets = Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, url, key: `pod-${i}` }));
      const clock = new VirtualClock();
      const pipeline = new Pipeline(pipelineConfig({ SHIPPER_MODE: 'backoff' }, 'METRICS_TOPIC', 'metrics'), new ScriptedSink(clock), quietLog, {}, clock);
      const timeoutMs = 400;
      const scraper = new Scraper({ targets: () => targets, intervalMs: 1000, timeoutMs }, pipeline, clock, quietLog);
      const t0 = Date.now();
      await scraper.scrapeOnce();
      const took = Date.now() - t0;
      assert.equal(scraper.scrapeErrors, targets.length);
      // One after another would take targets × timeout (3.2 s); half of that leaves room for a loaded host.
      assert.ok(took < (targets.length * timeoutMs) / 2, `a round over ${targets.length} hung targets took ${took} ms`);
    } finally {
      hung.closeAllConnections();
      hung.close();
    }
  });
});
