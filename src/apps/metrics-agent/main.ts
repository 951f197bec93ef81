// The metrics agent sidecar: scrapes the app's /metrics and ships the samples to Kafka through the
// same buffer and flush modes as the log shipper.
import { systemClock } from '../lib/clock.ts';
import { envEnum, envInt, envList, envString } from '../lib/env.ts';
import { startStatusServer } from '../lib/http.ts';
import { createLogger } from '../lib/log.ts';
import { Registry } from '../lib/metrics.ts';
import { onShutdown, runMain } from '../lib/process.ts';
import { pipelineConfig } from '../pipeline/config.ts';
import { kafkaSinkFromConfig } from '../pipeline/kafka-sink.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { Scraper } from './scraper.ts';

const boot = createLogger('metrics-agent');

runMain(boot, async () => {
  const env = process.env;
  const pod = envString(env, 'POD_NAME', 'metrics-agent');
  const level = envEnum(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info');
  const log = createLogger('metrics-agent', { level }, { pod });
  const cfg = pipelineConfig(env, 'METRICS_TOPIC', 'metrics');
  const port = envInt(env, 'METRICS_AGENT_PORT', 9102);
  const sink = kafkaSinkFromConfig(cfg, `metrics-agent-${pod}`, log);
  const pipeline = new Pipeline(cfg, sink, log);
  const scraper = new Scraper(
    {
      targets: envList(env, 'SCRAPE_URL', ['http://127.0.0.1:8080/metrics']),
      intervalMs: envInt(env, 'SCRAPE_INTERVAL_MS', 10_000, 1),
      timeoutMs: envInt(env, 'SCRAPE_TIMEOUT_MS', 5_000, 1),
      key: pod,
    },
    pipeline,
    systemClock,
    log,
  );

  const registry = new Registry('metrics_agent');
  registry.setInfo({ pod });
  registry.counter('scrapes_total', 'Scrapes attempted.', () => scraper.scrapes);
  registry.counter('scrape_errors_total', 'Scrapes that failed.', () => scraper.scrapeErrors);
  registry.counter('samples_total', 'Samples accepted into the buffer.', () => scraper.samples);
  registry.counter('samples_refused_total', 'Samples refused by a full blocking buffer.', () => scraper.samplesRefused);
  registry.gauge('last_scrape_seconds', 'Duration of the last scrape.', () => scraper.lastScrapeMs / 1000);
  pipeline.register(registry);
  const server = await startStatusServer({ port, registry, details: () => pipeline.details(), log });

  pipeline.start();
  scraper.start();
  log.info('metrics agent started', { port, mode: cfg.policy.mode, topic: cfg.kafka.topic });
  onShutdown(log, async () => {
    await scraper.stop();
    await pipeline.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
